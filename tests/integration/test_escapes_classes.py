"""The escape classes of issue 11, one test each: the attack done from inside, with `cell run`'s
defaults (mode "run") and with a bundle `cell spec` wrote (mode "bundle"), as root and as nobody
where it applies. Each asserts what the kernel shows: the errno, the host's file unchanged."""
import json
import os
import platform
import shutil
import socket
import subprocess
import uuid

import pytest

from conftest import CELL, TIMEOUT, _env, _reset_signals, _user_prefix, mountinfo, ok
from test_escapes import ENTER_FDS, oci_bundle

PY = "/usr/bin/python3"
X86_64 = platform.machine() == "x86_64"
EPERM = 1

modes = pytest.mark.parametrize("mode", ["run", "bundle"])


def contain(mode, user, tdir, argv, flags=(), fds=None):
    """Run @argv in a container (cell run FLAGS, or a cell spec bundle); CompletedProcess.
    @fds: {n: host path} opened (read-only) as fd n of the cell process."""
    if mode == "run":
        cmd = [CELL, "run", *flags, "--", *argv]
    else:
        d = tdir / ("b-" + uuid.uuid4().hex[:8])
        d.mkdir()
        os.chmod(d, 0o777)
        state = tdir / "state"
        state.mkdir(exist_ok=True)
        os.chmod(state, 0o777)
        r = subprocess.run(_user_prefix(user) + [CELL, "spec", "--bundle", str(d), *flags, "--",
                                                 *argv], capture_output=True, text=True,
                           env=_env(), cwd="/")
        assert r.returncode == 0, r.stderr
        cmd = [CELL, "--root", str(state), "run", "--bundle", str(d),
               "cls-" + uuid.uuid4().hex[:8]]
    if fds:
        opens = " ".join(f'{n}<"{p}"' for n, p in fds.items())
        cmd = ["bash", "-c", f'exec {opens}; exec "$@"', "bash", *cmd]
    return subprocess.run(_user_prefix(user) + [str(a) for a in cmd], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT, env=_env(), cwd="/",
                          preexec_fn=_reset_signals)




def py(mode, user, tdir, script, *args, flags=()):
    return json.loads(ok(contain(mode, user, tdir, [PY, "-c", script, *args], flags)))


@pytest.fixture
def x86_64():
    if not X86_64:
        pytest.skip("the probes use x86_64 syscall numbers")


# --- /proc and /sys writes: core_pattern, sysrq-trigger ------------------------------------

WRITES = r"""
import errno, json, os
out = {}
for path, data in (("/proc/sys/kernel/core_pattern", "|/bin/sh -c id"),
                   ("/proc/sysrq-trigger", "h"), ("/sys/kernel/uevent_helper", "/x"),
                   ("/proc/sys/kernel/modprobe", "/x")):
    if not os.path.exists(path):
        continue
    try:
        with open(path, "w") as f:
            f.write(data)
        out[path] = "written"
    except OSError as e:
        out[path] = errno.errorcode[e.errno]
print(json.dumps(out))
"""


def host_files(*paths):
    return {p: open(p).read() for p in paths if os.path.exists(p)}


@modes
def test_proc_and_sys_writes_are_read_only(mode, user, tdir):
    before = host_files("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                        "/sys/kernel/uevent_helper")
    seen = py(mode, user, tdir, WRITES)
    assert host_files(*before) == before
    # /proc/sys, /proc/sysrq-trigger (where the kernel has it): readonlyPaths; /sys: ro
    assert "/proc/sys/kernel/core_pattern" in seen, seen
    assert seen == {path: "EROFS" for path in seen}, seen


# --- masked /proc files (kcore, keys, timer_list) and their umount -------------------------

MASKS = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2
out = {}
for path in ("/proc/kcore", "/proc/keys", "/proc/timer_list"):
    if not os.path.exists(path):  # a kernel without CONFIG_PROC_KCORE
        continue
    r = libc.umount2(path.encode(), MNT_DETACH)
    out[path] = {"umount": errno.errorcode[ctypes.get_errno()] if r < 0 else "unmounted",
                 "size": len(open(path, "rb").read(4096))}
print(json.dumps(out))
"""


@modes
def test_masked_proc_files_stay_masked_and_cannot_be_unmounted(mode, user, tdir):
    seen = py(mode, user, tdir, MASKS)
    assert "/proc/keys" in seen and "/proc/timer_list" in seen, seen
    for path, res in seen.items():
        # seccomp (umount2 needs CAP_SYS_ADMIN) as root; rootless, the mount lock too
        assert res == {"umount": "EPERM", "size": 0}, seen


# --- cgroup v1 release_agent (CVE-2022-0492) and leaving one's cgroup ----------------------

RELEASE_AGENT = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
out = {}
os.makedirs("/tmp/cg", exist_ok=True)
for ctrl in ("memory", "rdma", "pids"):
    r = libc.mount(b"cgroup", b"/tmp/cg", b"cgroup", 0, ctrl.encode())
    out[ctrl] = errno.errorcode[ctypes.get_errno()] if r < 0 else "mounted"
    if r == 0:
        try:
            open("/tmp/cg/release_agent", "w").write("/x")
            out[ctrl] += ",release_agent written"
        except OSError as e:
            out[ctrl] += "," + errno.errorcode[e.errno]
# the unshare -UrmC of the CVE: a user namespace of its own first
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWCGROUP = 0x10000000, 0x20000, 0x2000000
r = libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP)
out["unshare"] = errno.errorcode[ctypes.get_errno()] if r < 0 else "unshared"
print(json.dumps(out))
"""


def host_release_agents():
    out = {}
    for ctrl in os.listdir("/sys/fs/cgroup"):
        p = f"/sys/fs/cgroup/{ctrl}/release_agent"
        if os.path.exists(p):
            out[p] = open(p).read()
    return out


@modes
def test_cgroup_v1_release_agent_cannot_be_reached(mode, user, tdir):
    before = host_release_agents()
    seen = py(mode, user, tdir, RELEASE_AGENT)
    assert host_release_agents() == before
    for ctrl in ("memory", "rdma", "pids"):
        assert seen[ctrl] == "EPERM", seen
    # root: seccomp's CLONE_NEWUSER rule; rootless: max_user_namespaces (the mount lock)
    assert seen["unshare"] in ("EPERM", "ENOSPC"), seen


LEAVE = r"""
import errno, glob, json, os
before = open("/proc/self/cgroup").read()
out = {}
for f in glob.glob("/sys/fs/cgroup/*/cgroup.procs") + glob.glob("/sys/fs/cgroup/cgroup.procs") \
        + glob.glob("/sys/fs/cgroup/*/../cgroup.procs"):
    try:
        open(f, "w").write(str(os.getpid()))
        out[f] = "moved"
    except OSError as e:
        out[f] = errno.errorcode[e.errno]
out["same"] = open("/proc/self/cgroup").read() == before
out["paths"] = sorted({l.split(":", 2)[2] for l in before.splitlines()})
print(json.dumps(out))
"""


@modes
def test_container_cannot_leave_its_cgroup(mode, user, tdir):
    flags = ("--memory", "64m") if user is None else ()
    seen = py(mode, user, tdir, LEAVE, flags=flags)
    assert seen.pop("same") is True, seen
    # a cgroup namespace: the container's own cgroup is its root, a parent has no name
    assert seen.pop("paths") == ["/"], seen
    for f, res in seen.items():
        assert res in ("EROFS", "EACCES", "EPERM"), seen


# --- open_by_handle_at ("shocker", CVE-2014-3519 class), kernel calls ----------------------

# x86_64 numbers and arguments under which each would do its work unfiltered
SYSCALLS = r"""
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
out = {}
def call(name, nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    out[name] = ctypes.get_errno() if r < 0 else 0
# a file handle of /etc/passwd, as name_to_handle_at(2) gives it (allowed)
handle = ctypes.create_string_buffer(8 + 128)
ctypes.memmove(handle, (128).to_bytes(4, "little"), 4)
mount_id = ctypes.c_int()
r = libc.name_to_handle_at(-100, b"/etc/passwd", handle, ctypes.byref(mount_id), 0)
out["name_to_handle_at"] = 0 if r == 0 else ctypes.get_errno()
root = os.open("/", os.O_RDONLY)
call("open_by_handle_at", 304, root, ctypes.addressof(handle), 0)
call("perf_event_open", 298, 0, 0, -1, -1, 0)
call("bpf", 321, 5, 0, 0)
call("init_module", 175, 0, 0, 0)
call("finit_module", 313, root, 0, 0)
call("delete_module", 176, 0, 0)
call("kexec_load", 246, 0, 0, 0, 0)
call("kexec_file_load", 320, -1, -1, 0, 0, 0)
print(json.dumps(out))
"""


@modes
def test_open_by_handle_at_and_kernel_calls_are_eperm(mode, user, tdir, x86_64):
    seen = py(mode, user, tdir, SYSCALLS)
    assert seen.pop("name_to_handle_at") == 0, seen
    assert seen == {k: EPERM for k in seen}, seen


# --- raw and packet sockets, new links ----------------------------------------------------

SOCKETS = r"""
import errno, json, socket, sys
out = {"links": sorted(n for _, n in socket.if_nameindex())}
for name, fam, typ, proto in (("packet", socket.AF_PACKET, socket.SOCK_RAW, 0x0300),
                              ("raw", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)):
    try:
        s = socket.socket(fam, typ, proto)
        out[name] = "opened"
    except OSError as e:
        out[name] = errno.errorcode[e.errno]
        continue
    if name == "packet":  # the host's interfaces have no index here
        for idx in map(int, sys.argv[1:]):
            try:
                s.bind((socket.if_indextoname(idx), 0))
                out[f"bind{idx}"] = "bound"
            except OSError as e:
                out[f"bind{idx}"] = errno.errorcode[e.errno]
print(json.dumps(out))
"""


def host_link_indexes():
    return [i for i, n in socket.if_nameindex() if n != "lo"]


@modes
def test_raw_and_packet_sockets_see_only_the_containers_loopback(mode, user, tdir):
    host = host_link_indexes()
    seen = py(mode, user, tdir, SOCKETS, *map(str, host))
    assert seen["links"] == ["lo"], seen
    # root keeps CAP_NET_RAW (Docker's and runc's default set): the socket sees only the
    # container's network namespace. Rootless, the command is root of the mount lock's
    # user namespace, a child of the one that owns the network namespace: no CAP_NET_RAW
    expect = "opened" if user is None else "EPERM"
    assert seen["packet"] == expect and seen["raw"] == expect, seen
    for idx in host:
        assert seen.get(f"bind{idx}") in (None, "ENODEV", "ENXIO"), seen


@modes
def test_a_link_made_inside_stays_inside(mode, user, tdir):
    name = "esc" + uuid.uuid4().hex[:8]
    r = contain(mode, user, tdir, ["sh", "-c", f"ip link add {name} type dummy; echo rc=$?; "
                                   f"ip -o link show {name} | wc -l"])
    out = ok(r).split()
    host = subprocess.run(["ip", "link", "show", name], capture_output=True, text=True)
    assert host.returncode == 1 and "does not exist" in host.stderr, f"{name} appeared on the host"
    # no CAP_NET_ADMIN: not in Docker's set; rootless, not over the network namespace
    # (owned by the user namespace above the mount lock's)
    assert out == ["rc=2", "0"] and "Operation not permitted" in r.stderr, (out, r.stderr)


# --- setuid and file-capability binaries: no gain (no_new_privs) ---------------------------


@modes
def test_no_new_privs_is_set(mode, user, tdir):
    out = ok(contain(mode, user, tdir, ["grep", "^NoNewPrivs:", "/proc/self/status"]))
    assert out.split() == ["NoNewPrivs:", "1"], out


def test_setuid_root_binary_gives_no_euid_to_a_non_root_user(run, visible_dir):
    suid = visible_dir / "id"
    shutil.copy2("/usr/bin/id", suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    # on the host the bit works (nosuid is not set on the file system)
    host = subprocess.run(_user_prefix("nobody") + [str(suid)], capture_output=True, text=True)
    if "euid=0" not in host.stdout:
        pytest.skip(f"setuid has no effect on {visible_dir}'s file system: {host.stdout}")
    r = run(["run", "-u", "1000", "--", str(suid)])
    assert r.returncode == 0, r.stderr
    assert "euid=0" not in r.stdout and r.stdout.startswith("uid=1000"), r.stdout


def test_file_capabilities_give_no_capability(run, visible_dir):
    if not shutil.which("setcap"):
        pytest.skip("setcap (libcap2-bin) is not installed")
    f = visible_dir / "capsh-probe"
    shutil.copy2("/usr/bin/cat", f)
    os.chmod(f, 0o755)
    # within Docker's bounding set, so only no_new_privs stands in the way
    subprocess.run(["setcap", "cap_dac_override+ep", str(f)], check=True)
    host = subprocess.run(_user_prefix("nobody") + [str(f), "/proc/self/status"],
                          capture_output=True, text=True)
    assert "CapEff:\t0000000000000002" in host.stdout, host.stdout  # it works outside
    r = run(["run", "-u", "1000", "--", str(f), "/proc/self/status"])
    assert r.returncode == 0, r.stderr
    caps = dict(line.split(":\t") for line in r.stdout.splitlines() if line.startswith("Cap"))
    assert caps["CapEff"].strip() == "0" * 16 and caps["CapPrm"].strip() == "0" * 16, caps


# --- TIOCSTI to the caller's terminal (CVE-2017-5226) -------------------------------------

TIOCSTI = r"""
import errno, fcntl, termios
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"#")
    print("TIOCSTI=pushed")
except OSError as e:
    print("TIOCSTI=" + errno.errorcode[e.errno])
"""


@pytest.mark.parametrize("flags", [(), ("--no-init",), ("--seccomp", "unconfined")],
                         ids=["init", "no-init", "unconfined"])
def test_tiocsti_into_the_callers_terminal_fails(pty_start, user, flags):
    with open("/proc/sys/dev/tty/legacy_tiocsti") as f:
        if f.read().strip() == "0":
            pytest.skip("dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI to all")
    # cell's stdin is a terminal of the host, its controlling one, and no -t
    s = pty_start(["run", *flags, "--", PY, "-c", TIOCSTI], user=user)
    status, out, _ = s.finish()
    assert status == 0, out
    # a new session (setsid): the terminal is not the command's controlling one, and
    # pushing input into another needs CAP_SYS_ADMIN (tty_ioctl(4))
    assert "TIOCSTI=EPERM" in out, out


def test_tiocsti_from_a_bundle_fails(pty_start, tdir, user):
    with open("/proc/sys/dev/tty/legacy_tiocsti") as f:
        if f.read().strip() == "0":
            pytest.skip("dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI to all")
    d = tdir / "bundle"
    d.mkdir()
    os.chmod(d, 0o777)
    ok(subprocess.run(_user_prefix(user) + [CELL, "spec", "--bundle", str(d), "--", PY, "-c",
                                            TIOCSTI], capture_output=True, text=True,
                      env=_env(), cwd="/"))
    state = tdir / "state"
    state.mkdir()
    os.chmod(state, 0o777)
    s = pty_start(["--root", str(state), "run", "--bundle", str(d), "tty-" + uuid.uuid4().hex[:6]],
                  user=user)
    status, out, _ = s.finish()
    assert status == 0, out
    assert "TIOCSTI=EPERM" in out, out


# --- fds leaked into the container, cwd through /proc/self/fd (CVE-2024-21626) ------------

# ENTER_FDS lists /proc/self/fd and tries the host directory through fds 3 and 9


@pytest.fixture
def hidden_host_dir(workdir):
    """A host directory under /var/tmp (hidden inside) with a marker, anyone may read."""
    d = workdir / ("hidden-" + uuid.uuid4().hex[:8])
    d.mkdir()
    os.chmod(d, 0o777)
    (d / "host-marker").write_text("host\n")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@modes
def test_only_stdio_reaches_the_command(mode, user, tdir, hidden_host_dir):
    r = contain(mode, user, tdir, [PY, "-c", ENTER_FDS],
                fds={3: hidden_host_dir, 9: hidden_host_dir})
    # listdir's own fd is the lowest free one: 3
    assert ok(r).strip() == "[0, 1, 2, 3] unreachable unreachable"


def test_exec_passes_only_stdio(tdir, hidden_host_dir):
    root, name = exec_container(tdir)
    try:
        r = subprocess.run(["bash", "-c", f'exec 3<"{hidden_host_dir}" 9<"{hidden_host_dir}"; '
                            'exec "$@"', "bash", CELL, "--root", str(root), "exec", name, PY,
                            "-c", ENTER_FDS], capture_output=True, text=True, timeout=TIMEOUT,
                           env=_env(), cwd="/", stdin=subprocess.DEVNULL)
    finally:
        subprocess.run([CELL, "--root", str(root), "delete", "--force", name],
                       capture_output=True)
    assert ok(r).strip() == "[0, 1, 2, 3] unreachable unreachable"


def exec_container(tdir):
    """A detached `sleep` from a cell spec bundle (root: rootless exec is EPERM on main)."""
    d = tdir / "exec-bundle"
    d.mkdir()
    ok(subprocess.run([CELL, "spec", "--bundle", str(d), "--", "sleep", "60"],
                      capture_output=True, text=True, env=_env(), cwd="/"))
    root = tdir / "exec-state"
    root.mkdir()
    name = "ex-" + uuid.uuid4().hex[:8]
    started = subprocess.run([CELL, "--root", str(root), "run", "-d", "--bundle", str(d), name],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, timeout=TIMEOUT, env=_env(), cwd="/",
                             preexec_fn=_reset_signals)
    assert started.returncode == 0
    return root, name


CWD = "pwd; cat host-marker; touch pwned"


def assert_not_in_host_dir(r, d):
    assert not (d / "pwned").exists(), "the container wrote into the host's directory"
    assert "host" not in r.stdout.split(), r.stdout
    if r.returncode != 0:  # refused: it names the cwd
        assert r.returncode == 125 and "/proc/self/fd/7" in r.stderr, r.stderr


@modes
def test_cwd_through_proc_self_fd_does_not_lead_to_the_host(mode, user, tdir, hidden_host_dir):
    # cell run -w, or process.cwd of the bundle cell spec -w writes
    r = contain(mode, user, tdir, ["sh", "-c", CWD], flags=("-w", "/proc/self/fd/7"),
                fds={7: hidden_host_dir})
    assert_not_in_host_dir(r, hidden_host_dir)


def test_exec_and_ns_enter_cwd_through_proc_self_fd_do_not_lead_to_the_host(tdir,
                                                                           hidden_host_dir):
    root, name = exec_container(tdir)
    try:
        pid = json.loads(subprocess.run([CELL, "--root", str(root), "state", name],
                                        capture_output=True, text=True).stdout)["pid"]
        for argv in ([CELL, "--root", str(root), "exec", "--cwd", "/proc/self/fd/7", name],
                     [CELL, "ns", "enter", "-t", str(pid), "-w", "/proc/self/fd/7", "--"]):
            r = subprocess.run(["bash", "-c", f'exec 7<"{hidden_host_dir}"; exec "$@"', "bash",
                                *argv, "sh", "-c", CWD], capture_output=True, text=True,
                               timeout=TIMEOUT, env=_env(), cwd="/", stdin=subprocess.DEVNULL)
            assert_not_in_host_dir(r, hidden_host_dir)
    finally:
        subprocess.run([CELL, "--root", str(root), "delete", "--force", name],
                       capture_output=True)


# --- /proc/PID/exe of the runtime (CVE-2019-5736) -----------------------------------------

EXE = r"""
import errno, json, os
out = {}
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        comm = open(f"/proc/{p}/comm").read().strip()
    except OSError:
        continue
    if not comm.startswith("cell"):
        continue
    # exe: the runtime's binary (CVE-2019-5736); mem: its memory, writable
    # through /proc/PID/mem without ptrace when the ptrace access check passes
    for file, what, flags in (("exe", "read", os.O_RDONLY), ("exe", "write", os.O_WRONLY),
                              ("mem", "write", os.O_WRONLY)):
        try:
            os.close(os.open(f"/proc/{p}/{file}", flags))
            out[f"{comm} {file} {what}"] = "opened"
        except OSError as e:
            out[f"{comm} {file} {what}"] = errno.errorcode[e.errno]
print(json.dumps(out))
"""


@modes
def test_the_init_of_cell_run_cannot_be_opened_through_proc_exe(mode, user, tdir):
    seen = py(mode, user, tdir, EXE)
    if mode == "run":  # cell's init is PID 1 by default; a bundle has none unless asked
        assert seen, "no cell process seen inside"
    for what, res in seen.items():
        assert res in ("EACCES", "EPERM"), seen


def test_exec_cannot_be_opened_through_proc_exe(tdir):
    root, name = exec_container(tdir)
    try:
        # cell exec runs an init (the fork into the pid namespace) beside the command
        r = subprocess.run([CELL, "--root", str(root), "exec", name, PY, "-c", EXE],
                           capture_output=True, text=True, timeout=TIMEOUT, env=_env(), cwd="/",
                           stdin=subprocess.DEVNULL)
    finally:
        subprocess.run([CELL, "--root", str(root), "delete", "--force", name],
                       capture_output=True)
    for what, res in json.loads(ok(r)).items():
        assert res in ("EACCES", "EPERM"), r.stdout


# --- rootfs symlinks on /proc and /dev, mount destinations with ".." and symlinks ---------
# (CVE-2025-52565, CVE-2025-52881, CVE-2021-30465: the static cases)


def assert_host_dir_untouched(d, before):
    assert sorted(os.listdir(d)) == before, f"cell wrote into the host's {d}"
    with open("/proc/self/mountinfo") as f:
        assert str(d) not in f.read(), f"a mount on the host's {d}"


@pytest.fixture
def host_target(visible_dir):
    (visible_dir / "host-file").write_text("host\n")
    return visible_dir


@pytest.mark.parametrize("user", [None, pytest.param("nobody", marks=pytest.mark.rootless)],
                         ids=["root", "nobody"])
@pytest.mark.parametrize("where", ["proc", "dev"])
def test_rootfs_proc_or_dev_symlinked_out_does_not_mount_over_the_host(tdir, rootfs, user,
                                                                       host_target, where):
    before = sorted(os.listdir(host_target))
    shutil.rmtree(rootfs / where)
    os.symlink(str(host_target), rootfs / where)
    r = oci_bundle(tdir, rootfs, "ls /; cat /proc/self/mountinfo", user=user)
    assert_host_dir_untouched(host_target, before)
    if r.returncode == 0:  # it resolved inside the root: the mounts are the container's
        assert "host-file" not in r.stdout.split(), r.stdout
    else:
        assert r.returncode == 125, r.stderr


@pytest.mark.parametrize("user", [None, pytest.param("nobody", marks=pytest.mark.rootless)],
                         ids=["root", "nobody"])
def test_mount_destinations_with_dotdot_or_symlinks_stay_in_the_root(tdir, rootfs, user,
                                                                     host_target):
    before = sorted(os.listdir(host_target))
    # the same path inside the root exists: a symlink may lead there
    (rootfs / str(host_target).lstrip("/")).mkdir(parents=True)
    os.symlink(str(host_target), rootfs / "mnt" / "out")  # absolute: the host's path
    os.symlink("../../../../../../.." + str(host_target), rootfs / "mnt" / "up")
    depth = "/".join([".."] * 12)

    def mounts(c):
        for dst in ("/mnt/out", "/mnt/up", f"/{depth}{host_target}/dotdot"):
            c["mounts"].append({"destination": dst, "type": "tmpfs", "source": "tmpfs",
                                "options": ["size=1m"]})
    r = oci_bundle(tdir, rootfs, "for d in /mnt/out /mnt/up; do touch $d/made; done; "
                   "cat /proc/self/mountinfo", user=user, edit=mounts)
    assert_host_dir_untouched(host_target, before)
    assert r.returncode == 0, r.stderr
    points = [m["mountpoint"] for m in mountinfo(r.stdout) if m["fstype"] == "tmpfs"]
    # each lands on the same path inside the root (RESOLVE_IN_ROOT)
    assert str(host_target) in points and f"{host_target}/dotdot" in points, points
    assert (rootfs / str(host_target).lstrip("/")).is_dir()
