"""Escapes from an outside attack on cell (issue 18): each test does the attack and checks
what the kernel shows (errno, the container's mounts, the host's files), as root and as
nobody where it applies, with `cell run`'s defaults and from an OCI bundle."""
import json
import os
import pwd
import socket
import subprocess
import uuid

import pytest

from conftest import CELL, SANE_PATH, TIMEOUT, _env, _reset_signals, _user_prefix, mountinfo

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
