"""The door of a rootless container's init (src/init/init_door.h).

A rootless container's PID 1 is cell's (forked, or in cell's memory) and
non-dumpable, so setns(pidfd) and /proc/1/ns, root and cwd are closed to its
own user: without CAP_SYS_PTRACE in the host's user namespace nobody may open
them. `cell ns enter` and `cell exec` come in through PID 1's door instead:
an abstract socket named after PID 1's host PID, which answers only cell's uid
with PID 1's namespaces, root and working directory.
"""
import json
import os
import pwd
import subprocess

import pytest

from conftest import (CELL, TIMEOUT, _env, _reset_signals, _user_prefix, ok, settled_init,
                      only_child)

PYTHON = "/usr/bin/python3"
TYPES = ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time")

# Knock on the door of PID argv[1]; print what came: the header and, for each
# fd, its namespace link (or, for root and cwd, its device and inode), and the
# caller's own for comparison.
KNOCK = r"""
import array, json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("\0cell-init." + sys.argv[1])
s.settimeout(10)
msg, anc, flags, _ = s.recvmsg(64, socket.CMSG_SPACE(10 * 4))
fds = array.array("i")
for level, typ, data in anc:
    fds.frombytes(data[:len(data) - len(data) % 4])
out = {"len": len(msg), "fds": len(fds), "got": {}, "own": {}}
if len(msg) == 8:
    magic, have = struct.unpack("II", msg)
    names = TYPES + ("root", "cwd")
    it = iter(fds)
    for i, name in enumerate(names):
        if have >> i & 1:
            fd = next(it)
            st = os.fstat(fd)
            out["got"][name] = (os.readlink(f"/proc/self/fd/{fd}") if i < 8
                                else [st.st_dev, st.st_ino])
for name in TYPES:
    try:
        out["own"][name] = os.readlink(f"/proc/self/ns/{name}")
    except OSError:
        pass
st = os.stat("/")
out["own"]["root"] = [st.st_dev, st.st_ino]
print(json.dumps(out))
""".replace("TYPES", repr(TYPES))


def as_uid(uid, gid):
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
            "--"]


def knock(pid, prefix=()):
    r = subprocess.run(list(prefix) + [PYTHON, "-c", KNOCK, str(pid)], capture_output=True,
                       text=True, timeout=TIMEOUT, cwd="/", env=_env())
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def namespaces(pid):
    return {t: os.readlink(f"/proc/{pid}/ns/{t}") for t in TYPES}


def doors():
    with open("/proc/net/unix") as f:
        return {ln.split()[-1] for ln in f if "@cell-init." in ln}


@pytest.mark.rootless
def test_rootless_ns_enter_joins_a_run_under_init_through_its_door(start, run):
    c = start(["run", "--tmpfs", "/mnt", "--", "sh", "-c",
               "echo inside > /mnt/marker; echo ready; read x"], user="nobody")
    c.wait_for("ready")
    init = settled_init(c.pid)
    command = only_child(init)
    want = namespaces(command)
    assert f"@cell-init.{init}" in doors()
    # the way a root caller takes is closed to the container's own user
    r = run(["ns", "enter", "--target", init, "--", PYTHON, "-c",
             "import json, os\n"
             f"print(json.dumps({{t: os.readlink('/proc/self/ns/' + t) for t in {TYPES!r}}}))\n"
             "print(os.getuid(), open('/mnt/marker').read().strip())\n"], user="nobody")
    c.finish()
    assert r.returncode == 0, r.stderr
    got, ids = r.stdout.splitlines()
    assert json.loads(got) == want  # every namespace of the command, the nested user one too
    assert ids == "0 inside"  # its root, its /mnt
    assert f"@cell-init.{init}" not in doors()  # the door went with PID 1


@pytest.mark.rootless
def test_rootless_exec_into_a_container_under_init(tdir):
    """`cell spec` gives a bundle cell's init; rootless, cell exec enters it
    through the door, and finds names in its /etc/passwd through its root."""
    nobody = pwd.getpwnam("nobody")
    xdg = tdir / "xdg"
    xdg.mkdir()
    os.chown(xdg, nobody.pw_uid, -1)
    b = tdir / "bundle"
    b.mkdir()
    os.chown(b, nobody.pw_uid, nobody.pw_gid)
    env = {"XDG_RUNTIME_DIR": str(xdg)}

    def cell(*args, **kw):
        return subprocess.run(_user_prefix("nobody") + [CELL, *map(str, args)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT, env=_env(env), cwd="/", preexec_fn=_reset_signals,
                              **kw)
    ok(cell("spec", "--bundle", b, "--", "sleep", "30"))
    cfg = json.loads((b / "config.json").read_text())
    assert cfg["annotations"]["run.cell.init"] == "true"
    cid = f"door-{os.getpid()}"
    # a detached container keeps cell's stdio: no pipes
    r = subprocess.run(_user_prefix("nobody") + [CELL, "run", "-d", "--bundle", str(b), cid],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=TIMEOUT, env=_env(env), cwd="/")
    assert r.returncode == 0
    try:
        pid = json.loads(ok(cell("state", cid)))["pid"]
        with open(f"/proc/{pid}/comm") as f:
            assert f.read().strip() == "cell-init"  # forked, non-dumpable
        sleeper = only_child(pid)
        assert ok(cell("exec", cid, "sh", "-c", "id -u; readlink /proc/self/ns/mnt")) == \
            f"0\n{os.readlink(f'/proc/{sleeper}/ns/mnt')}\n"
        assert ok(cell("exec", "--user", "root", cid, "id", "-u")) == "0\n"
    finally:
        ok(cell("delete", "--force", cid))
    assert f"@cell-init.{pid}" not in doors()


@pytest.mark.rootless
def test_the_door_answers_its_users_uid_alone(start, run):
    c = start(["run", "--", "sh", "-c", "echo ready; read x"], user="nobody")
    c.wait_for("ready")
    init = settled_init(c.pid)
    want = namespaces(only_child(init))
    nobody = pwd.getpwnam("nobody")
    try:
        mine = knock(init, _user_prefix("nobody"))
        root = knock(init)  # host root: no id in the container, and no need of a door
        other = knock(init, as_uid(12345, 12345))
        r = subprocess.run(as_uid(12345, 12345) + [CELL, "ns", "enter", "--target", str(init),
                                                   "--", "true"],
                           capture_output=True, text=True, timeout=TIMEOUT, env=_env(), cwd="/")
    finally:
        c.finish()
    assert mine["len"] == 8 and mine["fds"] == 10, mine
    for name, link in want.items():
        assert mine["got"][name] == link, (name, mine)
    for seen in (root, other):
        assert seen["len"] == 0 and seen["fds"] == 0 and not seen["got"], seen
    assert r.returncode == 125
    assert f"@cell-init.{init} is uid {nobody.pw_uid}'s, not yours" in r.stderr, r.stderr


@pytest.mark.rootless
def test_a_container_at_its_inits_door_gets_only_what_it_has(start):
    """With the host's network namespace the container reaches the door, and its
    root is cell's uid: it gets PID 1's namespaces and root, which are its own."""
    c = start(["run", "--net", "host", "--", PYTHON, "-c",
               "import subprocess, sys\n"
               "print('ready', flush=True)\n"
               f"subprocess.run([{PYTHON!r}, '-c', {KNOCK!r}, sys.stdin.readline().strip()])\n"],
              user="nobody")
    c.wait_for("ready")
    init = settled_init(c.pid)
    c.proc.stdin.write(f"{init}\n".encode())
    c.proc.stdin.flush()
    status, out, err = c.finish()
    assert status == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["fds"] == 10, seen
    for name in TYPES + ("root",):
        assert seen["got"][name] == seen["own"][name], (name, seen)


@pytest.mark.parametrize("user", [None, pytest.param("nobody", marks=pytest.mark.rootless)],
                         ids=["root", "nobody"])
@pytest.mark.parametrize("mode", ["run", "judge"])
def test_no_door_where_none_is_needed(start, user, mode):
    """Root may ptrace its containers' init; nothing enters a judged box."""
    if mode == "run" and user:
        pytest.skip("a rootless run has a door (above)")
    if mode == "run":
        c = start(["run", "--", "sh", "-c", "echo ready; read x"], user=user)
        c.wait_for("ready")
    else:  # the judged command's output is the report's: none to wait for
        c = start(["judge", "--wall-time", "20", "--", "sleep", "2"], user=user)
    init = settled_init(c.pid)
    try:
        assert not doors(), doors()
        assert os.readlink(f"/proc/{init}/ns/pid") != os.readlink("/proc/self/ns/pid")
    finally:
        c.finish()


# Bind and listen on a door's name, say so, and wait: an impostor.
SQUAT = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind("\0cell-init." + sys.argv[1])
s.listen(8)
print("listening", flush=True)
sys.stdin.readline()
"""


@pytest.mark.rootless
def test_a_door_that_another_process_listens_on_is_refused(start):
    """Another process of the same uid took a door's name first (here for a
    judged box, which has none): the kernel shows its PID as the listener's,
    not the target's, and cell enters nothing."""
    box = start(["judge", "--wall-time", "20", "--", "sleep", "5"], user="nobody")
    init = settled_init(box.pid)
    squatter = subprocess.Popen(_user_prefix("nobody") + [PYTHON, "-c", SQUAT, str(init)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=_env(), cwd="/")
    try:
        assert squatter.stdout.readline() == "listening\n"
        r = subprocess.run(_user_prefix("nobody") + [CELL, "ns", "enter", "--target", str(init),
                                                     "--", "true"],
                           capture_output=True, text=True, timeout=TIMEOUT, env=_env(), cwd="/")
    finally:
        squatter.communicate("\n", timeout=TIMEOUT)
        box.finish()
    assert r.returncode == 125, r
    # setpriv execs python: the squatter's PID is the one the kernel shows
    assert f"@cell-init.{init} is not process {init}'s (process {squatter.pid}'s)" in r.stderr, \
        r.stderr
