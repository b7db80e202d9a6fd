"""Escapes from an outside attack on cell (issue 18): each test does the attack and checks
what the kernel shows (errno, the container's mounts, the host's files), as root and as
nobody where it applies, with `cell run`'s defaults and from an OCI bundle."""
import hashlib
import json
import os
import platform
import pwd
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from conftest import CELL, TIMEOUT, _env, _reset_signals, _user_prefix, mountinfo, settled_init

PY = "/usr/bin/python3"


def oci_bundle(tdir, rootfs, script, user=None, edit=None):
    """`cell run --bundle` of a config.json from `cell spec` running `sh -c SCRIPT`."""
    d = tdir / "bundle"
    d.mkdir(exist_ok=True)
    if not (d / "rootfs").exists():
        os.symlink(rootfs, d / "rootfs")
    cfg = tdir / "bundle" / "config.json"
    if cfg.exists():
        cfg.unlink()
    flags = ["--rootless"] if user else []
    r = subprocess.run([CELL, "spec", "--bundle", str(d), *flags], capture_output=True,
                       text=True, cwd="/", env=_env())
    assert r.returncode == 0, r.stderr
    c = json.loads(cfg.read_text())
    c["process"].update(terminal=False, args=["sh", "-c", script])
    c["root"]["readonly"] = False
    if user:
        pw = pwd.getpwnam(user)
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": pw.pw_uid, "size": 1}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": pw.pw_gid, "size": 1}]
        for dirpath, dirnames, filenames in os.walk(tdir):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.lchown(name, pw.pw_uid, pw.pw_gid)
    if edit:
        edit(c)
    cfg.write_text(json.dumps(c))
    os.chmod(cfg, 0o644)
    if user:
        os.chown(cfg, pwd.getpwnam(user).pw_uid, -1)
    argv = _user_prefix(user) + [CELL, "--root", str(tdir / "state"), "run", "--bundle",
                                 str(d), "esc-" + uuid.uuid4().hex[:8]]
    (tdir / "state").mkdir(exist_ok=True)
    os.chmod(tdir / "state", 0o777)
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TIMEOUT, env=_env(), cwd="/", preexec_fn=_reset_signals)


# --- issue 18 item 4: mknod and device use from inside


OPEN_NODES = r"""
import errno, json, os, sys
out = {}
for name, kind, major, minor in json.loads(sys.argv[1]):
    path = "/dev/" + name
    try:
        os.mknod(path, 0o600 | kind, os.makedev(major, minor))
    except OSError as e:
        out[name] = "mknod " + errno.errorcode[e.errno]
        continue
    try:
        os.close(os.open(path, os.O_RDWR | os.O_NOCTTY))
        out[name] = "opened"
    except OSError as e:
        out[name] = "open " + errno.errorcode[e.errno]
for name in ("null", "zero", "full", "urandom", "ptmx"):
    try:
        os.close(os.open("/dev/" + name, os.O_RDWR | os.O_NOCTTY))
        out[name] = "opened"
    except OSError as e:
        out[name] = "open " + errno.errorcode[e.errno]
print(json.dumps(out))
"""


def attack_nodes():
    """kmsg (c 1:11: the host's kernel log), and /dev/kvm and /dev/loop0 where the host has them."""
    nodes = [("kmsg2", 0o020000, 1, 11)]
    for name in ("kvm", "loop0"):
        try:
            st = os.stat("/dev/" + name)
        except FileNotFoundError:
            continue
        kind = 0o060000 if name == "loop0" else 0o020000
        nodes.append((name + "2", kind, os.major(st.st_rdev), os.minor(st.st_rdev)))
    return nodes


def test_nodes_made_inside_cell_run_cannot_be_opened(run, user):
    nodes = attack_nodes()
    r = run(["run", "--", PY, "-c", OPEN_NODES, json.dumps(nodes)], user=user)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    for name, *_ in nodes:
        # root may mknod (runc's "c *:* m"), never open; a user namespace may not mknod
        assert seen[name] == ("open EPERM" if user is None else "mknod EPERM"), seen
    for name in ("null", "zero", "full", "urandom", "ptmx"):
        assert seen[name] == "opened", seen


def test_nodes_made_inside_a_bundle_without_device_rules_cannot_be_opened(tdir, rootfs):
    def no_rules(c):
        c["linux"].get("resources", {}).pop("devices", None)
        for kind in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][kind].append("CAP_MKNOD")
    r = oci_bundle(tdir, rootfs, "mknod /dev/kmsg2 c 1 11 && echo made; echo x > /dev/kmsg2 "
                   "&& echo wrote; echo y > /dev/null && echo null-ok", edit=no_rules)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["made", "null-ok"], (r.stdout, r.stderr)
    assert "Operation not permitted" in r.stderr


# --- issue 18 item 6: masked paths and a symlinked /dev/null (CVE-2025-31133)


def no_dev_mounts(masked):
    def edit(c):
        c["mounts"] = [m for m in c["mounts"] if not m["destination"].startswith("/dev")]
        c["linux"]["maskedPaths"] = masked
    return edit


@pytest.mark.parametrize("user", [None, pytest.param("nobody", marks=pytest.mark.rootless)],
                         ids=["root", "nobody"])
def test_masked_paths_never_follow_a_symlinked_dev_null(tdir, rootfs, user):
    with open("/proc/sys/kernel/core_pattern") as f:
        core_pattern = f.read()
    os.symlink("/proc/sys/kernel/core_pattern", rootfs / "dev" / "null")
    r = oci_bundle(tdir, rootfs, "cat /proc/keys; echo ---; cat /proc/self/mountinfo", user=user,
                   edit=no_dev_mounts(["/proc/timer_list", "/proc/keys"]))
    with open("/proc/sys/kernel/core_pattern") as f:
        assert f.read() == core_pattern
    if r.returncode == 125:  # refused: the node is not the null device
        assert "/dev/null" in r.stderr, r.stderr
        return
    assert r.returncode == 0, r.stderr
    keys, info = r.stdout.split("---\n", 1)
    assert keys == "", "the masked /proc/keys showed the host's core_pattern"
    for m in mountinfo(info):
        if m["mountpoint"] in ("/proc/keys", "/proc/timer_list"):
            assert m["fstype"] != "proc", m


@pytest.mark.parametrize("user", [None, pytest.param("nobody", marks=pytest.mark.rootless)],
                         ids=["root", "nobody"])
def test_bundle_without_a_dev_mount_gets_the_default_nodes(tdir, rootfs, user):
    script = ("for n in null zero full random urandom tty; do stat -c '%n %F %t:%T' /dev/$n; "
              "done; echo x > /dev/null && head -c 3 /dev/zero | wc -c; cat /proc/keys | wc -c")
    r = oci_bundle(tdir, rootfs, script, user=user, edit=no_dev_mounts(["/proc/keys"]))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "/dev/null character special file 1:3", "/dev/zero character special file 1:5",
        "/dev/full character special file 1:7", "/dev/random character special file 1:8",
        "/dev/urandom character special file 1:9", "/dev/tty character special file 5:0",
        "3", "0"]
    # a second run finds the nodes (or the files they were bound on) and keeps them
    r = oci_bundle(tdir, rootfs, script, user=user, edit=no_dev_mounts(["/proc/keys"]))
    assert r.returncode == 0, r.stderr


def test_a_dev_null_that_is_another_device_is_refused_for_masking(tdir, rootfs):
    """linux.devices may replace /dev/null; masking with anything but c 1:3 is refused."""
    def edit(c):
        c["linux"]["devices"] = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 11,
                                  "fileMode": 0o666}]
        c["linux"]["maskedPaths"] = ["/proc/keys"]
    r = oci_bundle(tdir, rootfs, "cat /proc/keys", edit=edit)
    assert r.returncode == 125 and "/dev/null" in r.stderr, (r.returncode, r.stderr)


# --- issue 18 item 7: the host's unix sockets


CONNECT = r"""
import errno, socket, sys
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        print(path, "connected")
    except OSError as e:
        print(path, errno.errorcode[e.errno])
"""


@pytest.fixture
def host_sockets(user):
    """Listening 0600 sockets in the host's /run and /var/tmp, owned by the user who runs cell."""
    uid = pwd.getpwnam(user).pw_uid if user else 0
    made = []
    for d in ("/run", "/var/tmp"):
        path = f"{d}/celltest-{uuid.uuid4().hex[:8]}.sock"
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        os.chmod(path, 0o600)
        os.chown(path, uid, -1)
        s.listen(8)
        made.append((path, s))
    yield [p for p, _ in made]
    for path, s in made:
        s.close()
        os.unlink(path)


def test_host_sockets_in_run_and_var_tmp_are_out_of_reach(run, user, host_sockets):
    run_sock, tmp_sock = host_sockets
    via_var_run = "/var/run/" + os.path.basename(run_sock)
    r = run(["run", "--", PY, "-c", CONNECT, run_sock, via_var_run, tmp_sock], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [run_sock, "ENOENT", via_var_run, "ENOENT", tmp_sock, "ENOENT"]


def test_bind_brings_back_a_socket_under_run(run, user, host_sockets):
    run_sock, _ = host_sockets
    r = run(["run", "--bind", run_sock, run_sock, "--", PY, "-c", CONNECT, run_sock], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [run_sock, "connected"]


PYTHON = "/usr/bin/python3"  # the host's, seen through the read-only host root

# Probes run inside with the host's python: each step prints "name errno-name".
PROBE_PRELUDE = r"""
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
MS_RDONLY, MS_REMOUNT, MS_BIND, MNT_DETACH = 1, 32, 4096, 2
def say(name, rc):
    e = ctypes.get_errno() if rc != 0 else 0
    print(name, errno.errorcode.get(e, "OK") if e else "OK", flush=True)
def mount(src, tgt, fs, flags, data=None):
    enc = lambda s: s.encode() if s is not None else None
    return libc.mount(enc(src), enc(tgt), enc(fs), flags, enc(data))
"""


def probe_result(stdout):
    return dict(line.split(None, 1) for line in stdout.splitlines() if " " in line)


def nobody_dir(tdir):
    """A directory in @tdir (one the container sees: visible_dir) owned by nobody, with a file nobody may write."""
    pw = pwd.getpwnam("nobody")
    d = tdir / "owned"
    d.mkdir()
    (d / "f").write_text("host\n")
    for p in (d, d / "f"):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    return d


# --- issue 18 item 3: rootless mounts are locked (second user namespace) ---

REMOUNT_PROBE = PROBE_PRELUDE + r"""
target = sys.argv[1]
say("remount-root-rw", mount(None, "/", None, MS_REMOUNT | MS_BIND))
say("remount-proc-sys-rw", mount(None, "/proc/sys", None, MS_REMOUNT | MS_BIND))
say("umount-proc-keys", libc.umount2(b"/proc/keys", 0))
say("detach-proc-keys", libc.umount2(b"/proc/keys", MNT_DETACH))
say("umount-sys-firmware", libc.umount2(b"/sys/firmware", MNT_DETACH))
try:
    with open(target, "w") as f:
        f.write("container\n")
    print("write OK")
except OSError as e:
    print("write", errno.errorcode[e.errno])
print("keys", len(open("/proc/keys").read()))
"""


def assert_locked(res, target):
    assert res.returncode == 0, res.stderr
    got = probe_result(res.stdout)
    # mount_namespaces(7): a locked flag cannot be changed (EPERM), a locked
    # mount cannot be unmounted alone (EINVAL)
    assert got["remount-root-rw"] == "EPERM", got
    assert got["remount-proc-sys-rw"] == "EPERM", got
    assert got["umount-proc-keys"] == "EINVAL", got
    assert got["detach-proc-keys"] == "EINVAL", got
    assert got["umount-sys-firmware"] == "EINVAL", got
    assert got["write"] == "EROFS", got
    assert got["keys"] == "0", "the mask over /proc/keys is gone"
    assert target.read_text() == "host\n"


@pytest.mark.rootless
def test_rootless_run_cannot_remount_the_host_root_or_unmask(run, tdir, visible_dir):
    d = nobody_dir(visible_dir)
    r = run(["run", "--seccomp", "unconfined", "--", PYTHON, "-c", REMOUNT_PROBE, d / "f"], user="nobody")
    assert_locked(r, d / "f")


@pytest.mark.rootless
def test_rootless_bundle_cannot_remount_the_host_root_or_unmask(tdir, visible_dir):
    d = nobody_dir(visible_dir)
    b = d / "bundle"
    b.mkdir()
    os.chown(b, *[getattr(pwd.getpwnam("nobody"), a) for a in ("pw_uid", "pw_gid")])
    state = d / "state"
    as_nobody = _user_prefix("nobody")

    def cell(*args):
        return subprocess.run(as_nobody + [CELL, *map(str, args)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT, env=_env(), cwd="/", preexec_fn=_reset_signals)
    # `cell spec` as the user: the spec `cell run` would run, as a bundle
    r = cell("spec", "--seccomp", "unconfined", "--bundle", b, "--", PYTHON, "-c", REMOUNT_PROBE, d / "f")
    assert r.returncode == 0, r.stderr
    cfg = json.loads((b / "config.json").read_text())
    assert {"type": "user"} in cfg["linux"]["namespaces"]
    assert_locked(cell("--root", state, "run", "--bundle", b, f"esc-{os.getpid()}"), d / "f")


def test_root_userns_run_with_sys_admin_cannot_remount_the_host_root(run, tdir, visible_dir):
    """Root's runs drop CAP_SYS_ADMIN by default; given it, in a user namespace,
    the mounts cell made stay as made."""
    d = nobody_dir(visible_dir)
    os.chmod(d / "f", 0o666)  # writable by the container's ids, but for the read-only root
    r = run(["run", "--seccomp", "unconfined", "--unshare-user", "--uidmap", "0:100000:65536", "--gidmap",
             "0:100000:65536", "--cap-add", "SYS_ADMIN", "--",
             PYTHON, "-c", REMOUNT_PROBE, d / "f"])
    assert_locked(r, d / "f")


@pytest.mark.rootless
def test_rootless_exec_joins_the_locked_namespaces_as_root_enters_them(start, run, tdir):
    """cell ns enter (as root) lands in the container's innermost user and
    mount namespaces, where the mounts stay locked."""
    c = start(["run", "--", "sh", "-c", "echo ready; read x"], user="nobody")
    c.wait_for("ready")
    init = settled_init(c.pid)  # rootless: cell's second child, beside its hop
    want = [os.readlink(f"/proc/{init}/ns/{t}") for t in ("user", "mnt")]
    r = run(["ns", "enter", "--target", init, "--", PYTHON, "-c",
             PROBE_PRELUDE + "import os\n"
             "print('ns', os.readlink('/proc/self/ns/user'), os.readlink('/proc/self/ns/mnt'))\n"
             "say('remount-root-rw', mount(None, '/', None, MS_REMOUNT | MS_BIND))\n"])
    c.finish()
    assert r.returncode == 0, r.stderr
    got = probe_result(r.stdout)
    assert got["ns"].split() == want
    assert got["remount-root-rw"] == "EPERM"


# --- issue 18 item 2: cgroup v1 limits cannot be lifted from inside ---

# unshare(USER|NS|CGROUP), map root, mount the v1 memory and pids hierarchies
# (the container's own cgroup is their root) and lift the limits.
LIFT_PROBE = PROBE_PRELUDE + r"""
uid, gid = os.getuid(), os.getgid()
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUSER = 0x20000, 0x2000000, 0x10000000
if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) != 0:
    say("unshare", -1)
else:
    say("unshare", 0)
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                       ("gid_map", f"0 {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        except OSError:
            pass
    say("tmpfs", mount("t", "/tmp", "tmpfs", 0))
    for ctrl, file, value in (("memory", "memory.limit_in_bytes", "-1"),
                              ("pids", "pids.max", "max")):
        os.mkdir(f"/tmp/{ctrl}")
        if mount("cgroup", f"/tmp/{ctrl}", "cgroup", 0, ctrl) != 0:
            say(f"mount-{ctrl}", -1)
            continue
        try:
            with open(f"/tmp/{ctrl}/{file}", "w") as f:
                f.write(value)
            print(f"lift-{ctrl} OK")
        except OSError as e:
            print(f"lift-{ctrl}", errno.errorcode[e.errno])
print("ready", flush=True)
sys.stdin.read()
"""


def host_limits(pid):
    """memory.limit_in_bytes and pids.max of @pid's v1 cgroups, read on the host."""
    paths = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(","):
                paths[c] = path
    out = []
    for ctrl, file in (("memory", "memory.limit_in_bytes"), ("pids", "pids.max")):
        if ctrl not in paths:
            pytest.skip(f"no v1 {ctrl} hierarchy")
        with open(f"/sys/fs/cgroup/{ctrl}{paths[ctrl]}/{file}") as f:
            out.append(f.read().strip())
    return out


def lift_attack(start, flags, user=None):
    c = start(["run", *flags, "--", PYTHON, "-c", LIFT_PROBE], user=user)
    c.wait_for("ready")
    init = settled_init(c.pid)
    limits = host_limits(init)
    status, out, err = c.finish()
    assert status == 0, err
    return probe_result(out), limits


LIMITS = ["--memory", "64m", "--pids-limit", "50"]
SUBIDS = ["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"]


def test_userns_run_cannot_make_a_user_namespace_to_lift_its_limits(start):
    got, limits = lift_attack(start, ["--seccomp", "unconfined", "--unshare-user", *SUBIDS,
                                      *LIMITS])
    # max_user_namespaces 1 in the container's first namespace, spent on the
    # one that locks the mounts (user_namespaces(7))
    assert got["unshare"] == "ENOSPC", got
    assert limits == [str(64 << 20), "50"]


@pytest.mark.rootless
def test_rootless_run_cannot_make_a_user_namespace(run):
    r = run(["run", "--seccomp", "unconfined", "--", PYTHON, "-c", LIFT_PROBE], user="nobody")
    assert r.returncode == 0, r.stderr
    assert probe_result(r.stdout)["unshare"] == "ENOSPC"


@pytest.mark.rootless
def test_rootless_bundle_cannot_make_a_user_namespace(tdir):
    b = tdir / "bundle"
    b.mkdir()
    pw = pwd.getpwnam("nobody")
    os.chown(b, pw.pw_uid, pw.pw_gid)
    argv = _user_prefix("nobody") + [CELL]
    kw = dict(stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT,
              env=_env(), cwd="/", preexec_fn=_reset_signals)
    r = subprocess.run(argv + ["spec", "--seccomp", "unconfined", "--bundle", str(b), "--",
                               PYTHON, "-c", LIFT_PROBE], **kw)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(argv + ["--root", str(b / "state"), "run", "--bundle", str(b),
                               f"esc-{os.getpid()}"], **kw)
    assert r.returncode == 0, r.stderr
    assert probe_result(r.stdout)["unshare"] == "ENOSPC"


@pytest.mark.rootless
def test_nested_userns_flag_lets_the_container_make_one(run):
    r = run(["run", "--nested-userns", "--seccomp", "unconfined", "--", PYTHON, "-c", LIFT_PROBE],
            user="nobody")
    assert r.returncode == 0, r.stderr
    assert probe_result(r.stdout)["unshare"] == "OK"


def test_root_run_cannot_lift_its_limits(start):
    # Root without a user namespace owns its cgroup files (host uid 0) and keeps
    # CAP_SETUID: only the default seccomp profile, refusing CLONE_NEWUSER, stops it.
    got, limits = lift_attack(start, LIMITS)
    assert limits == [str(64 << 20), "50"], got


def _children_named(parent, comm, timeout=10):
    """The PID of @parent's child (or grandchild) whose comm is @comm."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        todo = [parent]
        while todo:
            pid = todo.pop()
            try:
                kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
            except OSError:
                kids = []
            for k in kids:
                try:
                    if open(f"/proc/{k}/comm").read().strip() == comm:
                        return int(k)
                except OSError:
                    pass
                todo.append(k)
        time.sleep(0.02)
    pytest.fail(f"no process {comm} under {parent}")


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _run(argv, user=None, cwd="/", **kw):
    return subprocess.run(_user_prefix(user) + [str(a) for a in argv], capture_output=True,
                          text=True, timeout=TIMEOUT, env=_env(), cwd=cwd,
                          preexec_fn=_reset_signals, **kw)


def _ok(res):
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr!r}"
    return res.stdout


# --- issue 18 item 1: the process entering a container is closed to it until execve

# Inside: /etc/passwd becomes a FIFO, so `cell ns enter --user root` blocks in
# cell's own code (opening the container's /etc/passwd) inside the container's
# pid namespace. The attacker then does what CVE-2019-5736 does: open
# /proc/PID/exe and ptrace it; with the exe fd, it writes the binary once cell
# has exited. Then it lets cell go on (which refuses a FIFO as /etc/passwd).
ENTER_ATTACK = r"""
import ctypes, errno, json, os, signal, sys, time
signal.alarm(25)
libc = ctypes.CDLL(None, use_errno=True)
os.mkfifo("/etc/passwd")
print("READY", flush=True)
me, victim = os.getpid(), None
while victim is None:
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(p) != me and open(f"/proc/{p}/comm").read().startswith("cell"):
                victim = int(p)
        except OSError:
            pass
res = {}
try:
    exe = os.open(f"/proc/{victim}/exe", os.O_RDONLY)
    res["exe"] = 0
except OSError as e:
    exe, res["exe"] = None, e.errno
PTRACE_SEIZE = 0x4206
r = libc.ptrace(ctypes.c_long(PTRACE_SEIZE), ctypes.c_long(victim), None, None)
res["seize"] = 0 if r == 0 else ctypes.get_errno()
while True:   # ENXIO until cell waits in open(2) for a writer (fifo(7))
    try:
        os.close(os.open("/etc/passwd", os.O_WRONLY | os.O_NONBLOCK))
        break
    except OSError:
        time.sleep(0.01)
deadline = time.monotonic() + 8
while exe is not None and time.monotonic() < deadline:
    try:
        w = os.open(f"/proc/self/fd/{exe}", os.O_WRONLY | os.O_TRUNC)
        os.write(w, b"#!/bin/sh\necho overwritten\n")
        os.close(w)
        res["wrote"] = True
        break
    except OSError as e:
        time.sleep(0.05)
print(json.dumps(res), flush=True)
# This process is the pid namespace's init: its exit would SIGKILL the entering
# cell if that is still finishing (slower under ASan), so wait for it to go.
while os.path.exists(f"/proc/{victim}/exe") or os.path.exists(f"/proc/{victim}/stat"):
    try:
        if open(f"/proc/{victim}/stat").read().split(") ")[1][0] == "Z":
            break
    except OSError:
        break
    time.sleep(0.01)
"""


def test_ns_enter_cannot_be_ptraced_or_its_binary_opened_from_inside(start, tdir, user):
    # The victim is a copy: a failure overwrites it, never build/cell. Rootless,
    # it is the user's own binary (as ~/bin/cell would be), so only the kernel's
    # ptrace check stands between the container and it.
    victim = tdir / "cell-victim"
    shutil.copy2(CELL, victim)
    os.chmod(victim, 0o755)
    if user:
        pw = pwd.getpwnam(user)
        os.chown(victim, pw.pw_uid, pw.pw_gid)
    before = _sha256(victim)
    c = start(["run", "--no-init", "--tmpfs", "/etc", "--", PYTHON, "-c", ENTER_ATTACK],
              user=user)
    c.wait_for("READY")
    target = _children_named(c.pid, "python3")
    r = _run([victim, "ns", "enter", "-t", target, "--user", "root", "--", "true"], user=user)
    status, out, err = c.finish(timeout=30)
    assert r.returncode == 125 and "/etc/passwd" in r.stderr, r.stderr
    assert status == 0, err
    res = json.loads(out.splitlines()[-1])
    # ptrace(2) "ptrace access mode checking": non-dumpable needs CAP_SYS_PTRACE
    # in cell's user namespace; /proc/PID/exe says EACCES, PTRACE_SEIZE EPERM.
    assert res == {"exe": 13, "seize": 1}, res
    assert _sha256(victim) == before


ENTER_FDS = r"""
import os
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
def reach(fd):
    try:
        return open(f"/proc/self/fd/{fd}/host-marker").read().strip()
    except OSError:
        return "unreachable"
print(fds, reach(3), reach(9))
"""


def test_ns_enter_passes_only_stdio_unless_preserve_fds(start, tdir, user):
    # A directory of the host that cell inherits open (fds 3 and 9) is a way
    # out of the container for the command if it crosses (CVE-2024-21626).
    (tdir / "host-marker").write_text("host\n")
    c = start(["run", "--no-init", "--", "sleep", "60"], user=user)
    target = _children_named(c.pid, "sleep")

    def enter(*flags):
        return _run(["bash", "-c", 'exec 3<"$0" 9<"$0"; exec "$@"', tdir, CELL, "ns", "enter",
                     *flags, "-t", target, "--", PYTHON, "-c", ENTER_FDS], user=user)
    # listdir's own fd is the lowest free one: 3 when nothing leaked
    assert _ok(enter()).strip() == "[0, 1, 2, 3] unreachable unreachable"
    assert _ok(enter("--preserve-fds", "1")).strip() == "[0, 1, 2, 3, 4] host unreachable"
    c.kill()


# --- item 5: a session keyring of the container's own, for every start and exec

KEYS = r"""
import ctypes, json, os, platform, struct, subprocess, sys
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
SESSION, USER = -3, -4

def arg(a):
    return a if isinstance(a, (bytes, ctypes.Array)) or a is None else ctypes.c_long(a)

def keyctl(*a):
    r = libc.syscall(ctypes.c_long(KEYCTL), *map(arg, a))
    return r if r >= 0 else -ctypes.get_errno()

def add_key(desc, ring):
    r = libc.syscall(ctypes.c_long(ADD_KEY), b"user", desc.encode(), b"x", ctypes.c_long(1),
                     ctypes.c_long(ring))
    return r if r >= 0 else -ctypes.get_errno()

def names(ring):
    buf = ctypes.create_string_buffer(4096)
    n = keyctl(11, ring, buf, 4096)                          # KEYCTL_READ
    found = {}
    for k in struct.unpack(f"{max(n, 0) // 4}i", buf.raw[:max(n, 0)]):
        d = ctypes.create_string_buffer(512)
        if keyctl(6, k, d, 512) > 0:                         # KEYCTL_DESCRIBE
            found[d.value.decode().split(";")[-1]] = k
    return found
"""

# What a process inside tries: read the host's session key, plant keys where
# the host's processes look (its session keyring, its user keyring).
KEYS_INSIDE = KEYS + r"""
print(json.dumps({
    "session": keyctl(0, SESSION, 0),                        # KEYCTL_GET_KEYRING_ID
    "search": keyctl(10, SESSION, b"user", b"cell-host-secret", 0),   # KEYCTL_SEARCH
    "plant_s": add_key("cell-planted-s", SESSION),
    "plant_u": add_key("cell-planted-u", USER),
}))
"""

# On the host: a session keyring with a secret, then the command; what the
# caller's keyrings hold afterwards. A key planted in the caller's user keyring
# is invalidated (KEYCTL_INVALIDATE): the host's keyrings are left as found.
KEYS_HOST = KEYS + r"""
keyctl(1, None)                                              # a new anonymous session
add_key("cell-host-secret", SESSION)
r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
in_s, in_u = names(SESSION), names(USER)
if "cell-planted-u" in in_u:
    keyctl(21, in_u["cell-planted-u"])
print(json.dumps({"rc": r.returncode, "out": r.stdout, "err": r.stderr,
                  "session": keyctl(0, SESSION, 0), "host_session": sorted(in_s),
                  "host_user": sorted(in_u)}))
"""


def _keyring_check():
    if platform.machine() not in ("x86_64", "aarch64"):
        pytest.skip(f"syscall numbers of add_key/keyctl unknown for {platform.machine()}")
    if not os.path.exists("/proc/keys"):
        pytest.skip("the kernel has no keyrings (CONFIG_KEYS)")


def _with_host_keyring(argv, user):
    """Run @argv from a host session keyring holding cell-host-secret."""
    res = _run([PYTHON, "-c", KEYS_HOST, *argv], user=user)
    host = json.loads(_ok(res))
    assert host["rc"] == 0, host["err"]
    inside = json.loads(host["out"].splitlines()[-1])
    return host, inside


def _assert_own_session_keyring(host, inside):
    assert inside["session"] > 0 and inside["session"] != host["session"]
    assert inside["search"] == -126                   # ENOKEY: the host's key is not there
    assert inside["plant_s"] > 0                       # its own keyring takes keys...
    assert host["host_session"] == ["cell-host-secret"]  # ...the caller's gains none


def test_run_defaults_give_the_container_its_own_session_keyring(user):
    _keyring_check()
    host, inside = _with_host_keyring([CELL, "run", "--seccomp", "unconfined", "--", PYTHON, "-c", KEYS_INSIDE],
                                      user)
    _assert_own_session_keyring(host, inside)


def _spec_bundle(tdir, user, args):
    d = tdir / "bundle"
    d.mkdir()
    if user:
        os.chmod(d, 0o777)
    _ok(_run([CELL, "spec", "--seccomp", "unconfined", "--bundle", d, "--", *args], user=user))
    return d


def _state_root(tdir):
    root = tdir / "state"
    root.mkdir()
    os.chmod(root, 0o777)
    return root


def test_bundle_run_gives_the_container_its_own_session_keyring(tdir, user):
    _keyring_check()
    b = _spec_bundle(tdir, user, [PYTHON, "-c", KEYS_INSIDE])
    host, inside = _with_host_keyring([CELL, "--root", _state_root(tdir), "run", "--bundle", b,
                                       "keys1"], user)
    _assert_own_session_keyring(host, inside)


def test_exec_gives_the_process_its_own_session_keyring(tdir):
    # runc's setns init joins a session keyring too: the exec'd process must not
    # take the keys of whoever ran cell exec into the container. (Root only:
    # a rootless cell exec cannot join its container on main yet, EPERM.)
    user = None
    _keyring_check()
    b = _spec_bundle(tdir, user, ["sleep", "60"])
    root = _state_root(tdir)
    # a detached container keeps cell's stdio (as runc's does): no pipes
    started = subprocess.run(_user_prefix(user) + [CELL, "--root", str(root), "run", "-d",
                                                   "--bundle", str(b), "keys2"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, timeout=TIMEOUT, env=_env(), cwd="/",
                             preexec_fn=_reset_signals)
    assert started.returncode == 0
    try:
        host, inside = _with_host_keyring([CELL, "--root", root, "exec", "keys2", PYTHON, "-c",
                                           KEYS_INSIDE], user)
    finally:
        _run([CELL, "--root", root, "delete", "--force", "keys2"], user=user)
    _assert_own_session_keyring(host, inside)


@pytest.mark.parametrize("user", [
    pytest.param(None, id="root"),
    pytest.param("nobody", id="nobody", marks=pytest.mark.rootless),
])
def test_a_key_planted_in_the_user_keyring_stays_out_of_the_callers(user):
    _keyring_check()
    host, inside = _with_host_keyring([CELL, "run", "--", PYTHON, "-c", KEYS_INSIDE], user)
    assert inside["plant_u"] < 0 or "cell-planted-u" not in host["host_user"]
