"""
Fixtures for cell's integration tests.

The tests drive the real binary (env CELL_BIN, default /work/main/build/cell)
as root and, where it makes sense, as the unprivileged user nobody (through
setpriv), and check what the kernel reports from inside the container rather
than what cell prints.

Every test runs under the autouse fixture `no_leftovers`: after the test, no
process started by the test may still run, no new `cell-*` cgroup directory
may exist and no new mount may be left in the host's mount table.
"""
import ctypes
import errno
import fcntl
import os
import pathlib
import pwd
import re
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time

import pytest

CELL = os.path.abspath(os.environ.get("CELL_BIN", "/work/main/build/cell"))
TIMEOUT = 30
CGROUP_ROOT = "/sys/fs/cgroup"
SANE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
PR_SET_CHILD_SUBREAPER = 36

# Cgroups that `no_leftovers` saw a test leave behind; removed (if empty) at
# the end of the session. Only directories that appeared during a test.
_LEAKED_CGROUPS = set()


# --------------------------------------------------------------------------
# session set-up


def pytest_configure(config):
    config.addinivalue_line("markers", "rootless: runs cell as an unprivileged user")
    config.addinivalue_line("markers", "celltest: needs the user celltest with /etc/subuid ranges")
    # Orphans of cell (a container init that outlived it, say) are reparented
    # to pytest instead of the host's init, so no_leftovers can see them and
    # can only ever touch processes this test session started.
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _userns_for_nobody():
    """Can nobody create a user namespace? (None if yes, else the reason)."""
    if shutil.which("setpriv") is None or shutil.which("unshare") is None:
        return "setpriv or unshare missing"
    try:
        r = subprocess.run(
            _user_prefix("nobody") + ["unshare", "--user", "--map-root-user", "true"],
            capture_output=True, text=True, timeout=10, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"cannot test user namespaces: {e}"
    if r.returncode != 0:
        return f"unprivileged user namespaces unavailable: {r.stderr.strip()}"
    return None


def _celltest_problem():
    try:
        pwd.getpwnam("celltest")
    except KeyError:
        return "user celltest does not exist (tests/run creates it)"
    for f in ("/etc/subuid", "/etc/subgid"):
        if subid_range("celltest", f) is None:
            return f"celltest has no range in {f}"
    if shutil.which("newuidmap") is None or shutil.which("newgidmap") is None:
        return "newuidmap/newgidmap missing (package uidmap)"
    return None


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        why = "the integration tests run as root"
    elif not os.access(CELL, os.X_OK):
        why = f"cell binary not found: {CELL} (set CELL_BIN)"
    else:
        why = None
    if why:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=why))
        return
    rootless_problem = None
    celltest_problem = None
    if any(item.get_closest_marker("rootless") for item in items):
        rootless_problem = _userns_for_nobody()
    if any(item.get_closest_marker("celltest") for item in items):
        celltest_problem = _celltest_problem()
    for item in items:
        if rootless_problem and item.get_closest_marker("rootless"):
            item.add_marker(pytest.mark.skip(reason=rootless_problem))
        if celltest_problem and item.get_closest_marker("celltest"):
            item.add_marker(pytest.mark.skip(reason=celltest_problem))


def pytest_generate_tests(metafunc):
    # A test that takes `user` runs once as root and once as nobody.
    if "user" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "user" in names:
            return  # the test chose its own users
    metafunc.parametrize("user", [
        pytest.param(None, id="root"),
        pytest.param("nobody", id="nobody", marks=pytest.mark.rootless),
    ])


def pytest_sessionfinish(session, exitstatus):
    for path in sorted(_LEAKED_CGROUPS, key=len, reverse=True):
        try:
            os.rmdir(path)
        except OSError:
            pass


# --------------------------------------------------------------------------
# helpers (also used by the tests through fixtures)


def _built_with_asan():
    try:
        with open(CELL, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# Under ASan cell forks its child (ASan cannot follow the stack switch of a
# child that shares its memory), and the init is that fork, as rootless runs'.
CELL_ASAN = _built_with_asan()


def only_child(pid, timeout=10):
    """The host PID of @pid's one child (cell's: the container's init)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        if len(kids) == 1:
            return int(kids[0])
        time.sleep(0.02)
    raise AssertionError(f"{pid} has children {kids}")


NS_GET_PARENT, NS_GET_OWNER_UID = 0xB702, 0xB704  # ioctl_ns(2)


def userns_owners(pid):
    """The host uids that made @pid's user namespace and each above it, up to
    this process's (ioctl_ns(2)): whose per-user counts the kernel charges."""
    mine = os.stat("/proc/self/ns/user").st_ino
    fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    owners = []
    try:
        while os.fstat(fd).st_ino != mine:
            owners.append(struct.unpack("I", fcntl.ioctl(fd, NS_GET_OWNER_UID, bytes(4)))[0])
            parent = fcntl.ioctl(fd, NS_GET_PARENT)
            os.close(fd)
            fd = parent
    finally:
        os.close(fd)
    return owners


KCMP_VM = 1


def same_mm(a, b):
    """kcmp(2) KCMP_VM: do processes @a and @b share one address space?"""
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.syscall(312, a, b, KCMP_VM, 0, 0)  # SYS_kcmp, x86_64
    assert r >= 0, os.strerror(ctypes.get_errno())
    return r == 0


# What a container may try on a PID 1 that shares cell's memory (a judged
# box's, a rootless run's) with the system calls that read or take another
# process's memory or fds; each must fail (-1), 11 lines "NAME -1". Python is
# the host's: the container sees the host's root read-only.
REACH_INIT = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(8)
mine, theirs = iovec(ctypes.addressof(buf), 8), iovec(0x400000, 8)
pidfd = libc.syscall(434, 1, 0)  # pidfd_open: allowed, it only names the process
print("ptrace", libc.ptrace(16, 1, 0, 0))  # PTRACE_ATTACH
print("process_vm_readv", libc.syscall(310, 1, ctypes.byref(mine), 1, ctypes.byref(theirs), 1, 0))
print("pidfd_getfd", libc.syscall(438, pidfd, 0, 0))
for f in ("mem", "environ", "maps", "auxv", "exe"):
    try:
        open("/proc/1/" + f, "rb").read(1)
        print(f, 0)
    except OSError:
        print(f, -1)
for d in ("root", "cwd"):
    try:
        os.listdir("/proc/1/" + d)
        print(d, 0)
    except OSError:
        print(d, -1)
reached = -1  # an fd itself: its numbers alone (a directory its owner may list) are no reach
try:
    for fd in os.listdir("/proc/1/fd"):
        for how in (os.readlink, lambda p: os.close(os.open(p, os.O_RDONLY))):
            try:
                how("/proc/1/fd/" + fd)
                reached = 0
            except OSError:
                pass
except OSError:
    pass
print("fd", reached)
"""


def settled_init(cell_pid, timeout=10):
    """The init's host PID once it is the init: the command may print before the
    child that starts it has exec'd cell-init (or, forked, named itself so). A
    judged box's init, and a rootless run's, stays in cell's memory, beside the
    hop it is "in vfork" of: cell's two children then, the init the one named so."""
    deadline = time.monotonic() + timeout
    kids = []
    while time.monotonic() < deadline:
        with open(f"/proc/{cell_pid}/task/{cell_pid}/children") as f:
            kids = f.read().split()
        for kid in kids:
            try:
                with open(f"/proc/{kid}/comm") as f:
                    if f.read().strip() == "cell-init":
                        return int(kid)
            except FileNotFoundError:
                pass
        time.sleep(0.02)
    raise AssertionError(f"no child of {cell_pid} became cell-init (children {kids})")


def rmdir_cgroup(path, tries=500):
    """Remove a cgroup the test made, once its last task has left (EBUSY until then)."""
    for _ in range(tries):
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.01)


def subid_range(user, path):
    """(start, count) of @user's first range in /etc/subuid or /etc/subgid."""
    try:
        with open(path) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[0] == user:
                    return int(parts[1]), int(parts[2])
    except OSError:
        pass
    return None


def _user_prefix(user):
    if user is None:
        return []
    pw = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
            "--clear-groups", "--inh-caps=-all", "--"]


def _env(extra=None):
    env = {"PATH": SANE_PATH, "LC_ALL": "C"}
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if key in os.environ:
            env[key] = os.environ[key]
    if extra:
        env.update(extra)
    return env


def _reset_signals():
    # Start cell like an interactive shell would: default dispositions and
    # nothing blocked, whatever pytest's own parent left us.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP,
                signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _argv(args, user):
    return _user_prefix(user) + [CELL] + [str(a) for a in args]


def run_cell(args, user=None, timeout=TIMEOUT, env=None, cwd="/", input=None):
    """Run `cell ARGS` to the end; CompletedProcess with text stdout/stderr."""
    argv = _argv(args, user)
    try:
        return subprocess.run(
            argv, input=input, stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout, env=_env(env), cwd=cwd,
            preexec_fn=_reset_signals)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"cell did not finish within {timeout}s: {argv}\n"
                    f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}")


class Running:
    """A cell process running in the background, its output collected."""

    def __init__(self, argv, env, cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, preexec_fn=_reset_signals, start_new_session=False):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr,
                                     env=env, cwd=cwd, preexec_fn=preexec_fn,
                                     start_new_session=start_new_session)
        self.out = b""
        self.err = b""
        self._open = {}
        for name in ("stdout", "stderr"):
            f = getattr(self.proc, name)
            if f is not None:
                os.set_blocking(f.fileno(), False)
                self._open[f.fileno()] = name

    @property
    def pid(self):
        return self.proc.pid

    def _pump(self, timeout):
        if not self._open:
            time.sleep(timeout)
            return
        ready, _, _ = select.select(list(self._open), [], [], timeout)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                del self._open[fd]
            elif self._open[fd] == "stdout":
                self.out += data
            else:
                self.err += data

    def wait_for(self, needle, timeout=10):
        """Wait until stdout contains @needle (bytes or str)."""
        if isinstance(needle, str):
            needle = needle.encode()
        deadline = time.monotonic() + timeout
        while needle not in self.out:
            if time.monotonic() > deadline or (self.proc.poll() is not None and not self._open):
                pytest.fail(f"{needle!r} never appeared on stdout of {self.argv}\n"
                            f"exit: {self.proc.poll()}\nstdout: {self.out!r}\nstderr: {self.err!r}")
            self._pump(0.05)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def finish(self, timeout=15):
        """Close stdin, wait for the exit; returns (status, stdout, stderr) as text."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        deadline = time.monotonic() + timeout
        exited_at = None
        while True:
            self._pump(0.05)
            if self.proc.poll() is not None:
                exited_at = exited_at or time.monotonic()
                # cell has exited: its output pipes close unless something
                # it started still holds them (no_leftovers will say so).
                if not self._open or time.monotonic() - exited_at > 1:
                    break
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"cell did not finish within {timeout}s: {self.argv}\n"
                            f"stdout: {self.out!r}\nstderr: {self.err!r}")
        return self.proc.returncode, self.out.decode(errors="replace"), \
            self.err.decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None and not f.closed:
                try:
                    f.close()
                except OSError:
                    pass


def ok(res):
    """@res exited 0; its stdout."""
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr!r}"
    return res.stdout


def read_file(path):
    """A (proc, sys or cgroup) file's text without the trailing newline."""
    with open(path) as f:
        return f.read().strip()


def top(mounts, point):
    """The top mount at @point of mountinfo() dicts: the last one there."""
    found = [m for m in mounts if m["mountpoint"] == point]
    assert found, f"nothing on {point}: {[m['mountpoint'] for m in mounts]}"
    return found[-1]


def hook(tdir, name, body):
    """An executable shell script tdir/NAME running @body; its path."""
    p = tdir / name
    p.write_text("#!/bin/sh\n" + body)
    os.chmod(p, 0o755)
    return str(p)


def assert_cell_error(res, code=125, *needles):
    """@res failed with @code and exactly one stderr line `cell: ...` holding @needles."""
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == code, \
        f"expected exit {code}, got {res.returncode}; stderr: {res.stderr!r}"
    assert len(lines) == 1, f"expected exactly one error line, got: {res.stderr!r}"
    assert lines[0].startswith("cell: "), f"error does not start with 'cell: ': {lines[0]!r}"
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not named in {lines[0]!r}"
    return lines[0]


def mountinfo(text):
    """Parse /proc/self/mountinfo text into dicts (mountpoint, dev, opts, tags, fstype, super)."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 10:
            continue
        sep = fields.index("-")
        mounts.append({
            "mountpoint": fields[4].replace("\\040", " "),
            "dev": fields[2],
            "opts": fields[5].split(","),
            "tags": fields[6:sep],
            "fstype": fields[sep + 1],
            "source": fields[sep + 2],
            "super": fields[sep + 3].split(",") if len(fields) > sep + 3 else [],
        })
    return mounts


def cell_cgroups():
    """Every directory named cell-* in any cgroup hierarchy."""
    found = set()
    for dirpath, dirnames, _ in os.walk(CGROUP_ROOT):
        for d in dirnames:
            if d.startswith("cell-"):
                found.add(os.path.join(dirpath, d))
    return found


def _proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), rest[19]  # state, ppid, starttime


def _descendants(root_pid):
    """{(pid, starttime): (state, cmdline)} of live descendants of @root_pid."""
    children = {}
    info = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            state, ppid, start = _proc_stat(pid)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
        info[pid] = (state, start, cmd)
    result = {}
    todo = list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        state, start, cmd = info[pid]
        if state != "Z":
            result[(pid, start)] = (state, cmd)
    return result


def _reap_zombies():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# The graph root of test_podman.py's store: containers/storage mounts its overlay
# home there and takes it down when its last user leaves, which may be the
# cleanup process conmon starts after `podman rm` returns (seconds later on a
# loaded machine). Podman's mounts, not cell's: never a leftover of a test.
PODMAN_STORAGE = re.compile(r"^/var/tmp/cell-podman-[^/]+/root/overlay(/|$)")


def _host_mounts():
    with open("/proc/self/mountinfo") as f:
        # Drop the mount id and parent id: they are not part of what a mount is.
        return {" ".join(line.split()[2:]) for line in f
                if not PODMAN_STORAGE.match(line.split()[4])}


def _snapshot():
    return {
        "processes": set(_descendants(os.getpid())),
        "cgroups": cell_cgroups(),
        "mounts": _host_mounts(),
    }


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(autouse=True)
def no_leftovers():
    """Fail the test if it leaves a process, a cell-* cgroup or a mount behind."""
    before = _snapshot()
    yield
    deadline = time.monotonic() + 3
    while True:
        _reap_zombies()
        after = _snapshot()
        new = {key: after[key] - before[key] for key in after}
        if not any(new.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not any(new.values()):
        return
    report = []
    if new["processes"]:
        procs = _descendants(os.getpid())
        for key in sorted(new["processes"]):
            report.append(f"process {key[0]} still running: {procs.get(key, ('?', '?'))[1]}")
            try:
                os.kill(key[0], signal.SIGKILL)  # a descendant of this test session
            except OSError:
                pass
        time.sleep(0.2)
        _reap_zombies()
    for path in sorted(new["cgroups"]):
        report.append(f"cgroup left behind: {path}")
        _LEAKED_CGROUPS.add(path)
    for line in sorted(new["mounts"]):
        report.append(f"mount left behind: {line}")
    pytest.fail("cell left things behind:\n  " + "\n  ".join(report))


@pytest.fixture(scope="session")
def cell_bin():
    return CELL


@pytest.fixture
def run():
    """run(args, user=None, timeout=30, env=None, cwd='/', input=None) -> CompletedProcess."""
    return run_cell


@pytest.fixture
def sh():
    """sh(script, *flags, user=None, **kw): `cell run FLAGS -- sh -c SCRIPT`."""
    def _sh(script, *flags, user=None, **kw):
        return run_cell(["run", *flags, "--", "sh", "-c", script], user=user, **kw)
    return _sh


@pytest.fixture
def start():
    """start(args, user=None, env=None, cwd='/') -> Running; killed at teardown."""
    started = []

    def _start(args, user=None, env=None, cwd="/", **kw):
        r = Running(_argv(args, user), _env(env), cwd, **kw)
        started.append(r)
        return r
    yield _start
    for r in started:
        r.kill()


@pytest.fixture
def cell_error():
    return assert_cell_error


@pytest.fixture(scope="session")
def host_ns():
    """Namespace links of the test process: {'pid': 'pid:[4026531836]', ...}."""
    return {name: os.readlink(f"/proc/self/ns/{name}")
            for name in ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")}


@pytest.fixture(scope="session")
def host_cap_bnd():
    """The test process's bounding set, as /proc/self/status shows it."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return line.split()[1]
    raise AssertionError("no CapBnd in /proc/self/status")


@pytest.fixture(scope="session")
def workdir():
    """A world-readable scratch directory outside /tmp (which cells replace)."""
    d = tempfile.mkdtemp(prefix="ctr-it-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    _safe_rmtree(d)


def _mounted_under(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p == path or p.startswith(path + "/")]


def _safe_rmtree(path):
    # Never recurse into a mount: a leaked bind of / would take the host with it.
    if _mounted_under(path):
        return
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def visible_dir():
    """A fresh directory the container sees (/var/tmp, where tdir lies, is hidden)."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="ctr-it-", dir="/mnt"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tdir(workdir):
    """A fresh directory (mode 755) for this test, outside /tmp."""
    d = tempfile.mkdtemp(dir=workdir)
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    _safe_rmtree(d)


@pytest.fixture(scope="session")
def busybox_applets():
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox (busybox-static) is not installed")
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout
    return [a for a in out.split() if "/" not in a and a not in ("busybox",)]


ROOTFS_DIRS = ("bin", "dev", "etc", "home", "mnt", "proc", "root", "sys", "tmp")


@pytest.fixture
def missing():
    """A path under /opt that the host does not have, unique to this test; never
    made on the host (a container's skeleton makes it, the host's root stays)."""
    name = f"/opt/cell-missing-{os.getpid()}"
    assert not os.path.lexists(name)
    yield name
    assert not os.path.lexists(name), f"{name} was made on the host"


@pytest.fixture
def rootfs(tdir, busybox_applets):
    """A minimal root file system: static busybox and its applets, /etc/passwd."""
    r = tdir / "rootfs"
    r.mkdir()
    for d in ROOTFS_DIRS:
        (r / d).mkdir()
    (r / "home" / "alice").mkdir()
    shutil.copy2(BUSYBOX, r / "bin" / "busybox")
    os.chmod(r / "bin" / "busybox", 0o755)
    for applet in busybox_applets:
        os.symlink("busybox", r / "bin" / applet)
    (r / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "alice:x:1234:1234:Alice:/home/alice:/bin/sh\n")
    (r / "etc" / "group").write_text("root:x:0:\nalice:x:1234:\n")
    for dirpath, dirnames, _ in os.walk(r):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    os.chmod(r, 0o755)
    os.chmod(r / "tmp", 0o1777)
    return r


@pytest.fixture
def host_mount():
    """host_mount(*mount_args, target=path): mount on the host, unmounted at teardown."""
    made = []

    def _mount(*args, target):
        subprocess.run(["mount", *args, str(target)], check=True, capture_output=True)
        made.append(str(target))
    yield _mount
    for target in reversed(made):
        subprocess.run(["umount", "-R", target], capture_output=True)


class PtySession(Running):
    """cell run with a fresh pseudo-terminal as its controlling terminal."""

    def __init__(self, argv, env, cwd, rows=None, cols=None):
        self.master, slave = os.openpty()
        self.slave_name = os.ttyname(slave)
        if rows:
            set_winsize(self.master, rows, cols)

        def make_ctty():
            _reset_signals()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        super().__init__(argv, env, cwd, stdin=slave, stdout=slave, stderr=slave,
                         preexec_fn=make_ctty, start_new_session=True)
        os.close(slave)
        os.set_blocking(self.master, False)
        self._open = {self.master: "stdout"}

    def _pump(self, timeout):
        if not self._open:
            time.sleep(timeout)
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                return
            except OSError as e:  # EIO: every slave fd is closed
                if e.errno != errno.EIO:
                    raise
                data = b""
            if data:
                self.out += data
            else:
                self._open = {}

    def write(self, data):
        os.write(self.master, data)

    def finish(self, timeout=15):
        try:
            return super().finish(timeout)
        finally:
            self._close_master()

    def kill(self):
        super().kill()
        self._close_master()

    def _close_master(self):
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@pytest.fixture
def pty_start():
    """pty_start(args, user=None, rows=None, cols=None, env=None) -> PtySession."""
    started = []

    def _start(args, user=None, rows=None, cols=None, env=None, cwd="/"):
        s = PtySession(_argv(args, user), _env(env), cwd, rows=rows, cols=cols)
        started.append(s)
        return s
    yield _start
    for s in started:
        s.kill()


# --------------------------------------------------------------------------
# network namespaces for the network tests


class TestNet:
    """
    Two network namespaces made for one test, pinned by `sleep` processes
    (no /run/netns mount is left behind):

      host   where cell runs: the bridge, the nft table, published ports;
             up0 10.231.0.1/24, a default route via 10.231.0.254, which no one
             has (pasta maps its gateway address to the host's loopback)
      outer  a server beyond the host side: up1 10.231.0.2/24, no route back
             to a bridge subnet, so a reply reaches a container only through NAT

    Nothing here sends a packet to any other address.
    """
    HOST_IP = "10.231.0.1"
    OUTER_IP = "10.231.0.2"

    def __init__(self, tmp):
        self.tmp = tmp
        self.holders = []
        self.host_pid = self._pin()
        self.outer_pid = self._pin()
        self.ino = os.stat(f"/proc/{self.host_pid}/ns/net").st_ino
        self.sh(f"ip link set lo up; ip link add up0 type veth peer name up1 netns "
                f"{self.outer_pid}; ip addr add {self.HOST_IP}/24 dev up0; ip link set up0 up; "
                f"ip route add default via 10.231.0.254")
        self.sh(f"ip link set lo up; ip addr add {self.OUTER_IP}/24 dev up1; ip link set up1 up",
                outer=True)
        # pasta opens /dev/net/tun as the user; this machine's node is 0600.
        # A 0666 copy is bind-mounted over it in a private mount namespace.
        self.tun = os.path.join(tmp, "tun")
        os.mknod(self.tun, 0o666 | 0o020000, os.makedev(10, 200))
        os.chmod(self.tun, 0o666)

    def _pin(self):
        p = subprocess.Popen(["unshare", "-n", "sleep", "3600"], preexec_fn=_reset_signals)
        self.holders.append(p)
        mine = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if os.readlink(f"/proc/{p.pid}/ns/net") != mine:
                    return p.pid
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError("unshare -n did not make a network namespace")

    @property
    def ns_path(self):
        return f"/proc/{self.outer_pid}/ns/net"

    def prefix(self, outer=False, user=None):
        pid = self.outer_pid if outer else self.host_pid
        argv = ["nsenter", "-t", str(pid), "-n"]
        if user is not None:
            argv += ["unshare", "-m", "sh", "-c",
                     f'mount --bind {self.tun} /dev/net/tun && exec "$@"', "sh"]
        return argv + _user_prefix(user)

    def sh(self, script, outer=False, check=True, timeout=TIMEOUT):
        """A shell command in the host (or outer) namespace, as root, not in a container."""
        r = subprocess.run(self.prefix(outer) + ["sh", "-c", script], capture_output=True,
                           text=True, timeout=timeout, env=_env())
        if check:
            assert r.returncode == 0, f"{script}: {r.stderr}"
        return r

    def popen(self, script, outer=False):
        """A background shell command (a server) in a namespace; stopped at the end."""
        p = subprocess.Popen(self.prefix(outer) + ["sh", "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=_env(),
                             preexec_fn=_reset_signals)
        self.holders.append(p)
        return p

    def cell(self, args, user=None, timeout=TIMEOUT, input=None):
        """`cell ARGS` in the host namespace; CompletedProcess."""
        argv = self.prefix(user=user) + [CELL] + [str(a) for a in args]
        try:
            return subprocess.run(argv, input=input, capture_output=True, text=True,
                                  timeout=timeout, env=_env(), cwd="/",
                                  stdin=None if input is not None else subprocess.DEVNULL,
                                  preexec_fn=_reset_signals)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"cell did not finish within {timeout}s: {argv}\n"
                        f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}")

    def start(self, args, user=None):
        """`cell ARGS` in the background (a Running); killed at the end."""
        r = Running(self.prefix(user=user) + [CELL] + [str(a) for a in args], _env(), "/")
        self.holders.append(r)
        return r

    def links(self):
        return sorted(line.split(":")[1].strip().split("@")[0]
                      for line in self.sh("ip -o link show").stdout.splitlines())

    def ruleset(self):
        return self.sh("nft list ruleset").stdout

    def state_dirs(self):
        return [f"/run/cell/net/{self.ino}", f"/tmp/cell-65534/net/{self.ino}"]

    def leases(self):
        """Lines of the lease file ([] when there is none)."""
        try:
            with open(os.path.join(self.state_dirs()[0], "leases")) as f:
                return [line for line in f.read().splitlines() if line.startswith("lease ")]
        except FileNotFoundError:
            return []

    def close(self):
        for h in reversed(self.holders):
            if isinstance(h, Running):
                h.kill()
            elif h.poll() is None:
                h.kill()
                h.wait()
        for d in self.state_dirs():
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def netns(tdir):
    """A TestNet: the namespaces every network test runs in (see TestNet)."""
    n = TestNet(str(tdir))
    yield n
    n.close()
