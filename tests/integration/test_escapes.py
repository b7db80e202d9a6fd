"""Escapes from a container to the host (issue 18): each test does the attack from
inside and checks what the kernel shows on the host (errno, a host file, the caller's
keyrings), not what cell prints. Root and rootless (nobody), `cell run` defaults and
a bundle (`cell spec` + `cell run ID`).
"""
import hashlib
import json
import os
import platform
import pwd
import shutil
import subprocess
import time

import pytest

from conftest import CELL, TIMEOUT, _env, _reset_signals, _user_prefix

PYTHON = "/usr/bin/python3"


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
    host, inside = _with_host_keyring([CELL, "run", "--", PYTHON, "-c", KEYS_INSIDE], user)
    _assert_own_session_keyring(host, inside)


def _spec_bundle(tdir, user, args):
    d = tdir / "bundle"
    d.mkdir()
    if user:
        os.chmod(d, 0o777)
    _ok(_run([CELL, "spec", "--bundle", d, "--", *args], user=user))
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
    pytest.param(None, id="root", marks=pytest.mark.xfail(
        strict=True, reason="without a user namespace @u is host root's user keyring; "
        "only the default seccomp profile (issue 18 item 8) refuses add_key")),
    pytest.param("nobody", id="nobody", marks=pytest.mark.rootless),
])
def test_a_key_planted_in_the_user_keyring_stays_out_of_the_callers(user):
    _keyring_check()
    host, inside = _with_host_keyring([CELL, "run", "--", PYTHON, "-c", KEYS_INSIDE], user)
    assert inside["plant_u"] < 0 or "cell-planted-u" not in host["host_user"]
