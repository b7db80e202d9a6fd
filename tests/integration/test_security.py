"""
The process's security and scheduling fields of an OCI bundle, checked where
the kernel shows them: seccomp (errno, errnoRet, kill, argument filters, the
notify listener), linux.sysctl, personality, scheduler, I/O priority, CPU
affinity, LSM labels, umask and groups, rlimits, the fds the command gets,
and the container's access to cell's own binary through /proc/PID/exe.

Bundles start from cell's default spec (the one `cell run` builds, from `cell spec`)
and run with `cell run --bundle`.
"""
import array
import ctypes
import errno
import json
import os
import socket
import struct
import subprocess
import threading
import uuid

import pytest

from conftest import (BUSYBOX, CELL, TIMEOUT, _env, _reset_signals, _user_prefix,
                      assert_cell_error, ok)

SIGSYS = 31
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
NR_MKDIR = 83  # x86_64


def default_spec(user):
    """The spec `cell run -- true` builds for @user (`cell spec -b -`)."""
    r = subprocess.run(_user_prefix(user) + [CELL, "spec", "-b", "-", "--", "true"],
                       capture_output=True, text=True, timeout=TIMEOUT, env=_env(), cwd="/")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def run_bundle(tdir, spec, user=None, preserve_fds=0, pass_fds=()):
    """Write @spec as tdir/config.json and `cell run --bundle` it, as runc's callers do;
    CompletedProcess with text output."""
    (tdir / "config.json").write_text(json.dumps(spec))
    os.chmod(tdir / "config.json", 0o644)
    state = tdir / "state"
    state.mkdir(exist_ok=True)
    os.chmod(state, 0o777)
    argv = _user_prefix(user) + [CELL, "--root", str(state), "run", "--bundle", str(tdir)]
    if preserve_fds:
        argv += ["--preserve-fds", str(preserve_fds)]
    argv.append(f"sec-{uuid.uuid4().hex[:12]}")
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TIMEOUT, env=_env(), cwd="/", pass_fds=pass_fds,
                          preexec_fn=_reset_signals)


def sh(spec, script):
    spec["process"]["args"] = ["sh", "-c", script]
    return spec


def seccomp(default="SCMP_ACT_ALLOW", syscalls=(), **extra):
    s = {"defaultAction": default, "syscalls": list(syscalls)}
    s.update(extra)
    return s




# ------------------------------------------------------------------ seccomp


def test_seccomp_errno_action_denies_mkdir_with_eperm(tdir, user):
    spec = sh(default_spec(user), "mkdir /tmp/x; echo rc=$?; touch /tmp/f && echo touched")
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    out = ok(run_bundle(tdir, spec, user))
    assert "Operation not permitted" in out or "rc=1" in out
    assert "rc=1" in out and "touched" in out


def test_seccomp_errno_ret_is_the_errno_the_syscall_returns(tdir, user):
    spec = default_spec(user)
    spec["process"]["args"] = ["python3", "-c",
                               "import os\ntry:\n os.mkdir('/tmp/x')\nexcept OSError as e:\n"
                               " print('errno', e.errno)"]
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
         "errnoRet": errno.ENOSPC}])
    assert ok(run_bundle(tdir, spec, user)).split() == ["errno", str(errno.ENOSPC)]


def test_seccomp_default_errno_ret_applies_to_unlisted_syscalls(tdir):
    spec = default_spec(None)
    # Everything a dynamic python needs is allowed; mkdir is not listed.
    spec["process"]["args"] = ["python3", "-c",
                               "import os\ntry:\n os.mkdir('/tmp/x')\nexcept OSError as e:\n"
                               " print('errno', e.errno)"]
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EROFS}])
    spec["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_ALLOW"
    assert ok(run_bundle(tdir, spec)).split() == ["errno", str(errno.EROFS)]
    # The reverse: the default action carries the errno; a static busybox needs
    # few syscalls, mkdir is not among them.
    spec["process"]["args"] = [BUSYBOX, "mkdir", "/tmp/x"]
    spec["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO",
                                "defaultErrnoRet": errno.EXDEV,
                                "syscalls": [{"names": STATIC_BUSYBOX_SYSCALLS,
                                              "action": "SCMP_ACT_ALLOW"}]}
    res = run_bundle(tdir, spec)
    assert res.returncode == 1, res.stderr
    assert os.strerror(errno.EXDEV).lower() in res.stderr.lower()


STATIC_BUSYBOX_SYSCALLS = [
    "execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
    "prlimit64", "getuid", "geteuid", "getgid", "getegid", "getpid", "write", "writev",
    "exit", "exit_group", "ioctl", "uname", "readlink", "rt_sigprocmask", "rt_sigaction",
    "close", "mprotect", "mmap", "munmap", "newfstatat", "fstat", "stat", "getrandom",
    "open", "openat", "read", "fcntl", "sendto", "sendmsg"]


def test_seccomp_kill_process_ends_the_command_with_sigsys(tdir, user):
    spec = default_spec(user)
    spec["process"]["args"] = ["mkdir", "/tmp/x"]
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}])
    res = run_bundle(tdir, spec, user)
    assert res.returncode == 128 + SIGSYS, res.stderr


def test_seccomp_trap_sends_sigsys(tdir):
    spec = default_spec(None)
    spec["process"]["args"] = ["mkdir", "/tmp/x"]
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRAP"}])
    assert run_bundle(tdir, spec).returncode == 128 + SIGSYS


SOCKETS = """
import socket
for fam, typ, name in ((socket.AF_UNIX, socket.SOCK_DGRAM, 'unix-dgram'),
                       (socket.AF_UNIX, socket.SOCK_STREAM, 'unix-stream'),
                       (socket.AF_INET, socket.SOCK_DGRAM, 'inet-dgram'),
                       (socket.AF_INET6, socket.SOCK_DGRAM, 'inet6-dgram')):
    try:
        socket.socket(fam, typ).close()
        print(name, 'ok')
    except OSError as e:
        print(name, e.errno)
"""


def _sockets(tdir, user, args):
    spec = default_spec(user)
    spec["process"]["args"] = ["python3", "-c", SOCKETS]
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EACCES,
         "args": args}])
    out = ok(run_bundle(tdir, spec, user))
    return dict(line.split() for line in out.splitlines())


def test_seccomp_args_on_different_indexes_must_all_match(tdir, user):
    # AF_UNIX and (type & 0xf) == SOCK_DGRAM: python adds SOCK_CLOEXEC to the type.
    got = _sockets(tdir, user, [
        {"index": 0, "value": AF_UNIX, "op": "SCMP_CMP_EQ"},
        {"index": 1, "value": 0xf, "valueTwo": socket.SOCK_DGRAM, "op": "SCMP_CMP_MASKED_EQ"}])
    assert got == {"unix-dgram": str(errno.EACCES), "unix-stream": "ok", "inet-dgram": "ok",
                   "inet6-dgram": "ok"}


def test_seccomp_args_on_one_index_become_separate_rules(tdir, user):
    got = _sockets(tdir, user, [
        {"index": 0, "value": AF_UNIX, "op": "SCMP_CMP_EQ"},
        {"index": 0, "value": AF_INET6, "op": "SCMP_CMP_EQ"}])
    assert got == {"unix-dgram": str(errno.EACCES), "unix-stream": str(errno.EACCES),
                   "inet-dgram": "ok", "inet6-dgram": str(errno.EACCES)}


def test_seccomp_comparison_operators(tdir):
    # socket's domain: AF_UNIX 1, AF_INET 2, AF_INET6 10
    cases = {
        "SCMP_CMP_NE": (AF_INET, {"unix", "inet6"}),
        "SCMP_CMP_LT": (AF_INET, {"unix"}),
        "SCMP_CMP_LE": (AF_INET, {"unix", "inet"}),
        "SCMP_CMP_GE": (AF_INET, {"inet", "inet6"}),
        "SCMP_CMP_GT": (AF_INET, {"inet6"}),
    }
    for op, (value, denied) in cases.items():
        got = _sockets(tdir, None, [{"index": 0, "value": value, "op": op}])
        families = {"unix": got["unix-dgram"], "inet": got["inet-dgram"],
                    "inet6": got["inet6-dgram"]}
        assert {f for f, v in families.items() if v != "ok"} == denied, (op, got)


def test_seccomp_unknown_syscall_names_are_skipped(tdir):
    spec = sh(default_spec(None), "mkdir /tmp/x 2>/dev/null; echo rc=$?")
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["no_such_syscall_at_all", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    assert ok(run_bundle(tdir, spec)).strip() == "rc=1"


def test_seccomp_flags_log_and_spec_allow_load(tdir, user):
    spec = sh(default_spec(user), "mkdir /tmp/x 2>/dev/null; echo rc=$?")
    spec["linux"]["seccomp"] = seccomp(
        syscalls=[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
        flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
               "SECCOMP_FILTER_FLAG_TSYNC"],
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    assert ok(run_bundle(tdir, spec, user)).strip() == "rc=1"


def test_seccomp_loads_before_the_capability_drop_without_no_new_privileges(tdir):
    spec = sh(default_spec(None), "grep NoNewPrivs /proc/self/status; "
              "mkdir /tmp/x 2>/dev/null; echo rc=$?")
    spec["process"]["noNewPrivileges"] = False
    spec["process"]["user"] = {"uid": 1000, "gid": 1000}
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    out = ok(run_bundle(tdir, spec))
    assert "NoNewPrivs:\t0" in out and "rc=1" in out


@pytest.mark.parametrize("field, value, needle", [
    ("architectures", ["SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11"],
     "linux.seccomp.architectures[1]"),
    ("flags", ["SECCOMP_FILTER_FLAG_BOGUS"], "linux.seccomp.flags[0]"),
    ("defaultErrnoRet", 1, "linux.seccomp.defaultErrnoRet"),
    ("listenerMetadata", "x", "linux.seccomp.listenerMetadata"),
])
def test_seccomp_bad_fields_are_refused_before_the_start(tdir, field, value, needle):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["seccomp"] = seccomp(**{field: value})
    res = run_bundle(tdir, spec)
    assert "started" not in res.stdout
    assert_cell_error(res, 125, needle)


def test_seccomp_errno_ret_on_an_action_without_errno_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1}])
    assert_cell_error(run_bundle(tdir, spec), 125, "linux.seccomp.syscalls[0].errnoRet")


def test_seccomp_notify_without_listener_path_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["seccomp"] = seccomp(syscalls=[
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}])
    assert_cell_error(run_bundle(tdir, spec), 125, "listenerPath")


# struct seccomp_notif (80 bytes) and seccomp_notif_resp (24 bytes), linux/seccomp.h
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101


class Listener(threading.Thread):
    """The seccomp agent: takes the fd and the state, answers one mkdir with ENOMEDIUM."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(1)
        self.sock.settimeout(TIMEOUT)
        self.state = None
        self.nr = None
        self.error = None

    def run(self):
        import fcntl
        try:
            conn, _ = self.sock.accept()
            fds = array.array("i")
            data = b""
            msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
            data += msg
            while True:
                more = conn.recv(65536)
                if not more:
                    break
                data += more
            conn.close()
            self.state = json.loads(data)
            fd = fds[0]
            req = bytearray(80)
            fcntl.ioctl(fd, NOTIF_RECV, req)
            nid, _pid, _flags, nr = struct.unpack_from("=QIIi", req)
            self.nr = nr
            fcntl.ioctl(fd, NOTIF_SEND, bytearray(struct.pack("=Qqii", nid, 0,
                                                              -errno.ENOMEDIUM, 0)))
            os.close(fd)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.sock.close()


def test_seccomp_notify_sends_the_fd_and_state_to_the_listener(tdir, user):
    os.chmod(tdir, 0o777)
    path = str(tdir / "agent.sock")
    agent = Listener(path)
    agent.start()
    spec = default_spec(user)
    spec["process"]["args"] = ["python3", "-c",
                               "import os\ntry:\n os.mkdir('/tmp/x')\nexcept OSError as e:\n"
                               " print('errno', e.errno)"]
    spec["annotations"] = {"org.example.key": "value"}
    spec["linux"]["seccomp"] = seccomp(
        syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
        listenerPath=path, listenerMetadata="MKNOD=/dev/null")
    res = run_bundle(tdir, spec, user)
    agent.join(TIMEOUT)
    assert agent.error is None, agent.error
    assert ok(res).split() == ["errno", str(errno.ENOMEDIUM)]
    assert agent.nr == NR_MKDIR
    st = agent.state
    assert st["ociVersion"] and st["fds"] == ["seccompFd"] and st["metadata"] == "MKNOD=/dev/null"
    assert st["pid"] > 1 and st["state"]["pid"] == st["pid"]
    assert st["state"]["status"] == "creating" and st["state"]["id"]
    assert st["state"]["annotations"]["org.example.key"] == "value"


def test_seccomp_notify_listener_that_is_not_there_fails_the_start(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["seccomp"] = seccomp(
        syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
        listenerPath=str(tdir / "nobody-listens.sock"))
    res = run_bundle(tdir, spec)
    assert "started" not in res.stdout
    assert_cell_error(res, 125, "listenerPath", "nobody-listens.sock")


# --------------------------------------------------- personality, scheduler


def test_personality_linux32_shows_a_32_bit_machine(tdir, user):
    spec = default_spec(user)
    spec["process"]["args"] = ["uname", "-m"]
    spec["linux"]["personality"] = {"domain": "LINUX32"}
    assert ok(run_bundle(tdir, spec, user)).strip() == "i686"
    spec["linux"]["personality"] = {"domain": "LINUX"}
    assert ok(run_bundle(tdir, spec, user)).strip() == os.uname().machine


def _sched_fields():
    return "grep -E '^policy|^prio' /proc/self/sched | tr -d ' \\t'; " \
           "cut -d' ' -f19 /proc/self/stat"


def test_scheduler_batch_policy_and_nice(tdir, user):
    spec = sh(default_spec(user), _sched_fields())
    spec["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    out = ok(run_bundle(tdir, spec, user)).split()
    assert "policy:3" in out and out[-1] == "7", out


def test_scheduler_fifo_with_priority_as_root(tdir):
    spec = default_spec(None)
    spec["process"]["args"] = ["python3", "-c",
                               "import os; print(os.sched_getscheduler(0), "
                               "os.sched_getparam(0).sched_priority)"]
    spec["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    assert ok(run_bundle(tdir, spec)).split() == [str(os.SCHED_FIFO), "10"]


def test_scheduler_priority_on_a_normal_policy_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["process"]["scheduler"] = {"policy": "SCHED_OTHER", "priority": 5}
    assert_cell_error(run_bundle(tdir, spec), 125, "process.scheduler.priority")


IOPRIO_GET = "import ctypes; print(ctypes.CDLL(None).syscall(252, 1, 0))"


@pytest.mark.parametrize("cls, num, prio", [("IOPRIO_CLASS_BE", 2, 6),
                                             ("IOPRIO_CLASS_IDLE", 3, 0)])
def test_io_priority_is_what_ioprio_get_reports(tdir, user, cls, num, prio):
    spec = default_spec(user)
    spec["process"]["args"] = ["python3", "-c", IOPRIO_GET]
    spec["process"]["ioPriority"] = {"class": cls, "priority": prio}
    assert int(ok(run_bundle(tdir, spec, user))) == num << 13 | prio


def test_exec_cpu_affinity_final_pins_the_command(tdir, user):
    if os.cpu_count() < 2:
        pytest.skip("needs two CPUs")
    spec = sh(default_spec(user), "grep Cpus_allowed_list /proc/self/status")
    spec["process"]["execCPUAffinity"] = {"initial": "0", "final": "1"}
    assert ok(run_bundle(tdir, spec, user)).split()[-1] == "1"
    # initial alone: the command gets the default (all the cgroup's CPUs) back
    spec["process"]["execCPUAffinity"] = {"initial": "0"}
    host = open("/proc/self/status").read().split("Cpus_allowed_list:")[1].split()[0]
    assert ok(run_bundle(tdir, spec, user)).split()[-1] == host


def test_exec_cpu_affinity_bad_list_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["process"]["execCPUAffinity"] = {"final": "3-1"}
    assert_cell_error(run_bundle(tdir, spec), 125, "process.execCPUAffinity.final")


# ------------------------------------------------------------------- sysctl


def _host_sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as f:
        return f.read().strip()


def test_sysctl_is_set_in_the_containers_network_namespace_only(tdir, user):
    host = _host_sysctl("net.ipv4.ip_forward")
    want = "0" if host == "1" else "1"
    spec = sh(default_spec(user), "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni")
    spec["linux"]["sysctl"] = {"net.ipv4.ip_forward": want, "kernel.shmmni": "1234"}
    assert ok(run_bundle(tdir, spec, user)).split() == [want, "1234"]
    assert _host_sysctl("net.ipv4.ip_forward") == host


# A user namespace's own limits on the per-user counts (kernel/ucount.c): what
# its processes may hold, below what the namespaces above allow. (The command
# reads its own namespace's value in /proc/sys/user, which is the mount lock's
# when there is one: a namespace below the container's, bound by it.)
_INOTIFY_HELD = ("import ctypes; l = ctypes.CDLL(None); n = 0\n"
                 "while l.inotify_init1(0) >= 0: n += 1\n"
                 "print(n)")


def test_user_sysctls_limit_the_containers_own_user_namespace(tdir, user):
    host = _host_sysctl("user.max_inotify_instances")
    spec = default_spec(user)
    if user is None:
        spec["linux"]["namespaces"].append({"type": "user"})
        spec["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        spec["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    spec["process"]["args"] = ["python3", "-c", _INOTIFY_HELD]
    spec["linux"]["sysctl"] = {"user.max_inotify_instances": "3"}
    assert ok(run_bundle(tdir, spec, user)).split() == ["3"]
    assert _host_sysctl("user.max_inotify_instances") == host


def test_user_sysctl_without_a_user_namespace_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["sysctl"] = {"user.max_inotify_instances": "3"}
    assert_cell_error(run_bundle(tdir, spec), 125, "user.max_inotify_instances", "user")


def test_sysctl_slash_spelling_is_accepted(tdir):
    spec = sh(default_spec(None), "cat /proc/sys/net/ipv4/ip_default_ttl")
    spec["linux"]["sysctl"] = {"net/ipv4/ip_default_ttl": "33"}
    assert ok(run_bundle(tdir, spec)).strip() == "33"


def test_sysctl_without_its_namespace_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"]
                                   if ns["type"] != "network"]
    spec["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    assert_cell_error(run_bundle(tdir, spec), 125, "net.ipv4.ip_forward", "network")


def test_sysctl_in_the_callers_own_network_namespace_is_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    for ns in spec["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = "/proc/self/ns/net"
    spec["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    assert_cell_error(run_bundle(tdir, spec), 125, "net.ipv4.ip_forward", "host")


@pytest.mark.parametrize("key", ["vm.swappiness", "kernel.pid_max", "net..x", "fs/../vm/x",
                                 "user.other"])
def test_sysctl_that_is_not_namespaced_is_refused(tdir, key):
    spec = sh(default_spec(None), "echo started")
    spec["linux"]["sysctl"] = {key: "1"}
    res = run_bundle(tdir, spec)
    assert "started" not in res.stdout
    assert_cell_error(res, 125, "linux.sysctl", key)


# ---------------------------------------------------------------------- LSM


@pytest.mark.parametrize("where, field, needle", [
    ("process", "apparmorProfile", "AppArmor"),
    ("process", "selinuxLabel", "SELinux"),
    ("linux", "mountLabel", "SELinux"),
])
def test_lsm_label_on_a_host_without_the_lsm_is_a_clear_error(tdir, where, field, needle):
    if needle == "AppArmor" and os.path.exists("/sys/module/apparmor/parameters/enabled"):
        pytest.skip("this host has AppArmor")
    if needle == "SELinux" and os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("this host has SELinux")
    spec = sh(default_spec(None), "echo started")
    spec[where][field] = "system_u:system_r:container_t:s0" if needle == "SELinux" \
        else "cell-test"
    assert_cell_error(run_bundle(tdir, spec), 125, f"{where}.{field}", needle)


# ------------------------------------------------- user, rlimits, open fds


def test_umask_and_additional_gids(tdir):
    spec = sh(default_spec(None), "umask; id -G")
    spec["process"]["user"] = {"uid": 1000, "gid": 1000, "umask": 0o027,
                               "additionalGids": [10, 20]}
    out = ok(run_bundle(tdir, spec)).split()
    assert out[0] == "0027" and set(out[1:]) == {"1000", "10", "20"}


def test_rlimits_are_set(tdir, user):
    spec = sh(default_spec(user), "ulimit -Sn; ulimit -Hn; ulimit -Sc")
    spec["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_RTTIME", "soft": 1000000, "hard": 1000000}]
    assert ok(run_bundle(tdir, spec, user)).split() == ["321", "654", "0"]


def test_duplicate_rlimits_are_refused(tdir):
    spec = sh(default_spec(None), "echo started")
    spec["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                  {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]
    assert_cell_error(run_bundle(tdir, spec), 125, "process.rlimits[1]")


def _open_fds(out):
    return sorted(int(x) for x in out.split())


def test_only_stdio_reaches_the_command(tdir, user):
    # An fd the caller left open (not close-on-exec) must not leak in.
    r, w = os.pipe()
    os.set_inheritable(r, True)
    try:
        spec = sh(default_spec(user), "ls /proc/self/fd")
        res = run_bundle(tdir, spec, user, pass_fds=(r,))
    finally:
        os.close(r)
        os.close(w)
    # 0 1 2, and ls's own directory fd
    assert _open_fds(ok(res)) == [0, 1, 2, 3]


def test_preserved_fds_reach_the_command(tdir):
    spec = sh(default_spec(None), "cat <&3; ls /proc/self/fd")
    (tdir / "config.json").write_text(json.dumps(spec))
    (tdir / "state").mkdir()
    r, w = os.pipe()
    os.write(w, b"through fd 3\n")
    os.close(w)
    try:
        # The caller's fd 3 is what --preserve-fds 1 hands over.
        res = subprocess.run(["bash", "-c", f'exec 3<&{r} {r}<&-; exec "$0" "$@"', CELL,
                              "--root", str(tdir / "state"), "run", "--bundle", str(tdir),
                              "--preserve-fds", "1", f"sec-{uuid.uuid4().hex[:12]}"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=TIMEOUT, env=_env(), cwd="/", pass_fds=(r,),
                             preexec_fn=_reset_signals)
    finally:
        os.close(r)
    lines = ok(res).splitlines()
    assert lines[0] == "through fd 3"
    assert _open_fds(" ".join(lines[1:])) == [0, 1, 2, 3, 4]


# ------------------------------------------------------- CVE-2019-5736


def test_container_cannot_open_cells_binary_through_proc_exe(tdir, user):
    spec = sh(default_spec(user),
              "readlink /proc/1/exe || echo no-link; "
              "cat /proc/1/exe >/dev/null 2>&1 && echo READ || echo no-read; "
              "(echo x >> /proc/1/exe) 2>/dev/null && echo WROTE || echo no-write; "
              "readlink /proc/self/exe")
    spec["annotations"] = {"run.cell.init": "true"}
    out = ok(run_bundle(tdir, spec, user)).split()
    assert out[:3] == ["no-link", "no-read", "no-write"], out
    # the command itself, after execve, is an ordinary dumpable process
    assert out[3].endswith("readlink")
