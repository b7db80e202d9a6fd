"""The OCI runtime commands with runc's command line: spec, create, start, state, kill,
delete, list, run from a bundle, exec, hooks, the console socket, --preserve-fds.

Every test uses its own --root, so the machine's /run/cell is never touched, and checks
what the kernel shows (the container's processes, namespaces, cgroups) besides cell's
output.
"""
import array
import json
import os
import pathlib
import pwd
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (CELL, SANE_PATH, _env, _reset_signals, _user_prefix, assert_cell_error,
                      hook, ok, userns_owners)

TIMEOUT = 30


def oci(root, *args, user=None, cwd="/", env=None, timeout=TIMEOUT, prefix=(), **kw):
    """`cell --root ROOT ARGS` (after @prefix: nsenter ...). Output goes through files,
    not pipes: a created or detached container keeps cell's stdio (as runc's does), and
    a pipe would not close."""
    argv = list(prefix) + _user_prefix(user) + [CELL] + \
        (["--root", str(root)] if root else []) + [str(a) for a in args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        res = subprocess.run(argv, stdout=out, stderr=err, timeout=timeout, cwd=cwd,
                             env=_env(env), preexec_fn=_reset_signals,
                             stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
        out.seek(0)
        err.seek(0)
        res.stdout = out.read().decode(errors="replace")
        res.stderr = err.read().decode(errors="replace")
    return res




def state(root, cid, user=None):
    return json.loads(ok(oci(root, "state", cid, user=user)))


def assert_no_container(root, cid, user=None):
    """`cell state` answers 125 "does not exist" for @cid, and its state directory is gone."""
    assert_cell_error(oci(root, "state", cid, user=user), 125, f"container '{cid}' does not exist")
    assert not os.path.exists(os.path.join(root, cid))


def wait_status(root, cid, want, user=None, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        st = state(root, cid, user=user)
        if st["status"] == want or time.monotonic() > deadline:
            return st
        time.sleep(0.05)


@pytest.fixture
def root(tdir):
    r = tdir / "state"
    r.mkdir()
    os.chmod(r, 0o777)
    return r


@pytest.fixture
def bundle(rootfs, tdir):
    """bundle(args, edit=None) -> bundle dir with config.json from `cell spec`."""
    def make(args, edit=None, rootless=False, user=None):
        d = tdir / "bundle"
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o777 if user else 0o755)
        if not (d / "rootfs").exists():
            os.symlink(rootfs, d / "rootfs")
        cfg_path = d / "config.json"
        if cfg_path.exists():
            cfg_path.unlink()
        flags = ["--rootless"] if rootless else []
        r = subprocess.run(_user_prefix(user) + [CELL, "spec", "--bundle", str(d), *flags],
                           capture_output=True, text=True, cwd="/", env=_env())
        assert r.returncode == 0, r.stderr
        cfg = json.loads(cfg_path.read_text())
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = args
        cfg["root"]["readonly"] = False
        if edit:
            edit(cfg)
        cfg_path.write_text(json.dumps(cfg))
        os.chmod(d, 0o755)
        os.chmod(cfg_path, 0o644)
        return d
    return make


def cgroup_dirs(cid):
    found = []
    for ctrl in os.listdir("/sys/fs/cgroup"):
        p = f"/sys/fs/cgroup/{ctrl}/cell-{cid}"
        if os.path.isdir(p):
            found.append(p)
    return found


# -------------------------------------------------------------------- spec


def test_spec_writes_runcs_defaults(tdir):
    res = subprocess.run([CELL, "spec", "--bundle", str(tdir)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    cfg = json.loads((tdir / "config.json").read_text())
    assert cfg["root"] == {"path": "rootfs", "readonly": True}
    assert cfg["process"]["args"] == ["sh"] and cfg["process"]["terminal"] is True
    assert cfg["process"]["noNewPrivileges"] is True
    assert sorted(cfg["process"]["capabilities"]["bounding"]) == \
        ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    assert cfg["process"]["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    assert "/proc/kcore" in cfg["linux"]["maskedPaths"]
    assert "/proc/sys" in cfg["linux"]["readonlyPaths"]
    assert cfg["linux"]["resources"]["devices"] == [{"allow": False, "type": "a",
                                                     "access": "rwm"}]
    assert {n["type"] for n in cfg["linux"]["namespaces"]} == \
        {"pid", "network", "ipc", "uts", "mount", "cgroup"}
    # never overwritten
    again = subprocess.run([CELL, "spec", "--bundle", str(tdir)], capture_output=True, text=True)
    assert_cell_error(again, 125, "config.json", "exists")


def test_spec_rootless_has_a_user_namespace_mapping_the_caller(tdir):
    os.chmod(tdir, 0o777)
    res = subprocess.run(_user_prefix("nobody") + [CELL, "spec", "--rootless", "--bundle",
                                                   str(tdir)],
                         capture_output=True, text=True, cwd="/")
    assert res.returncode == 0, res.stderr
    cfg = json.loads((tdir / "config.json").read_text())
    uid = pwd.getpwnam("nobody").pw_uid
    assert cfg["linux"]["uidMappings"] == [{"containerID": 0, "hostID": uid, "size": 1}]
    types = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert "user" in types and "network" not in types
    assert not any(m["destination"] == "/sys/fs/cgroup" for m in cfg["mounts"])


def test_spec_with_run_flags_saves_the_sandbox_they_build():
    res = subprocess.run([CELL, "spec", "--bundle", "-", "--memory", "64m", "--hostname", "h1",
                          "--", "echo", "hi"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    cfg = json.loads(res.stdout)
    assert cfg["process"]["args"] == ["echo", "hi"]
    assert cfg["hostname"] == "h1"
    assert cfg["linux"]["resources"]["memory"]["limit"] == 64 << 20


def test_features_document_is_truthful_about_namespaces_and_hooks():
    res = subprocess.run([CELL, "features"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    f = json.loads(res.stdout)
    assert f["ociVersionMax"] == "1.3.0"
    assert set(f["linux"]["namespaces"]) == {"cgroup", "ipc", "mount", "network", "pid",
                                            "time", "user", "uts"}
    assert "createContainer" in f["hooks"]
    assert f["linux"]["cgroup"]["systemd"] is False
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]


# ------------------------------------------------------------ lifecycle


def test_create_holds_the_process_until_start(root, bundle, tdir):
    b = bundle(["sh", "-c", "echo started > /tmp/marker; hostname; exec sleep 30"])
    pidfile = tdir / "pid"
    ok(oci(root, "create", "--bundle", b, "--pid-file", pidfile, "c1"))
    st = state(root, "c1")
    assert st["status"] == "created" and st["bundle"] == str(b)
    pid = st["pid"]
    assert int(pidfile.read_text()) == pid
    # set up (its own pid namespace) but not yet running the user's command
    assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
    assert not os.path.exists(f"/proc/{pid}/root/tmp/marker")
    ok(oci(root, "start", "c1"))
    # the shell creates the file, then writes to it: wait for the whole line
    marker = pathlib.Path(f"/proc/{pid}/root/tmp/marker")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text() == "started\n":
            break
        time.sleep(0.05)
    assert marker.read_text() == "started\n"
    assert state(root, "c1")["status"] == "running"
    assert cgroup_dirs("c1"), "the container has no cgroup"
    # start twice is refused
    assert_cell_error(oci(root, "start", "c1"), 125, "c1", "running")
    ok(oci(root, "kill", "c1", "KILL"))
    assert wait_status(root, "c1", "stopped")["status"] == "stopped"
    ok(oci(root, "delete", "c1"))
    assert not (root / "c1").exists()
    assert cgroup_dirs("c1") == []


def test_a_created_containers_user_namespace_is_its_roots_on_the_host(root, bundle):
    # `cell create` clones the child into its new user namespace and writes the
    # maps after: that clone runs as the container's root on the host, so the
    # kernel charges the container's per-user counts to 100000, not to root
    def edit(cfg):
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b = bundle(["sleep", "30"], edit=edit)
    ok(oci(root, "create", "--bundle", b, "owned"))
    try:
        owners = userns_owners(state(root, "owned")["pid"])
        assert owners and set(owners) == {100000}, owners
    finally:
        ok(oci(root, "delete", "-f", "owned"))


def test_list_shows_each_container_in_every_format(root, bundle):
    b = bundle(["sleep", "30"])
    ok(oci(root, "create", "--bundle", b, "l1"))
    try:
        assert ok(oci(root, "list", "-q")).split() == ["l1"]
        listed = json.loads(ok(oci(root, "list", "--format", "json")))
        assert [c["id"] for c in listed] == ["l1"] and listed[0]["status"] == "created"
        table = ok(oci(root, "list")).splitlines()
        assert table[0].split()[:3] == ["ID", "PID", "STATUS"]
        assert table[1].split()[0] == "l1" and "created" in table[1]
    finally:
        ok(oci(root, "delete", "--force", "l1"))
    assert ok(oci(root, "list", "-q")) == ""


def test_kill_sends_the_named_signal(root, bundle):
    b = bundle(["sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.1; done"])
    ok(oci(root, "run", "--detach", "--bundle", b, "k1"))
    try:
        time.sleep(0.3)
        ok(oci(root, "kill", "k1", "SIGUSR1"))
        assert wait_status(root, "k1", "stopped")["status"] == "stopped"
    finally:
        ok(oci(root, "delete", "--force", "k1"))


def test_kill_all_reaches_every_process_in_the_cgroup(root, bundle):
    b = bundle(["sh", "-c", "sleep 30 & sleep 30 & wait"])
    ok(oci(root, "run", "-d", "--bundle", b, "k2"))
    try:
        time.sleep(0.3)
        ok(oci(root, "kill", "--all", "k2", "KILL"))
        assert wait_status(root, "k2", "stopped")["status"] == "stopped"
    finally:
        ok(oci(root, "delete", "--force", "k2"))


def test_delete_refuses_a_running_container_without_force(root, bundle):
    b = bundle(["sleep", "30"])
    ok(oci(root, "run", "-d", "--bundle", b, "d1"))
    pid = state(root, "d1")["pid"]
    assert_cell_error(oci(root, "delete", "d1"), 125, "d1", "running")
    assert os.path.exists(f"/proc/{pid}")
    ok(oci(root, "delete", "--force", "d1"))
    assert not (root / "d1").exists() and cgroup_dirs("d1") == []


def test_delete_removes_only_the_cgroups_cell_made(root, bundle):
    """state.json keeps which directories cell made (cellCgroup): a directory of the
    same name in a hierarchy the container never joined is someone else's, and stays."""
    foreign = "/sys/fs/cgroup/blkio/cell-own1"
    os.mkdir(foreign)
    try:
        b = bundle(["sleep", "30"])
        ok(oci(root, "run", "-d", "--bundle", b, "own1"))
        saved = json.loads((root / "own1" / "state.json").read_text())["cellCgroup"]
        made = [l.split(" ", 1)[1] for l in saved.splitlines() if l.startswith("created ")]
        assert "/sys/fs/cgroup/memory/cell-own1" in made and foreign not in made
        pid = state(root, "own1")["pid"]
        assert f"{pid}\n" in open("/sys/fs/cgroup/memory/cell-own1/cgroup.procs").read()
        ok(oci(root, "delete", "--force", "own1"))
        assert not any(os.path.exists(d) for d in made)
        assert os.path.isdir(foreign)
        assert not (root / "own1").exists()
    finally:
        os.rmdir(foreign)


def test_bad_ids_and_missing_containers_fail_in_one_line(root, bundle):
    assert_cell_error(oci(root, "state", "nope"), 125, "nope", "does not exist")
    assert_cell_error(oci(root, "start", "nope"), 125, "nope")
    assert_cell_error(oci(root, "kill", "../x"), 125, "invalid container id")
    assert_cell_error(oci(root, "kill", "x", "NOSIG"), 125, "NOSIG")
    b = bundle(["true"])
    ok(oci(root, "create", "--bundle", b, "dup"))
    try:
        assert_cell_error(oci(root, "create", "--bundle", b, "dup"), 125, "dup",
                          "already exists")
    finally:
        ok(oci(root, "delete", "--force", "dup"))
    ok(oci(root, "delete", "--force", "never-made"))


def test_invalid_config_names_the_json_path_and_leaves_no_state(root, bundle):
    def bad(cfg):
        cfg["linux"]["resources"] = {"memory": {"limit": "1g"}}
    b = bundle(["true"], edit=bad)
    res = oci(root, "create", "--bundle", b, "bad1")
    assert_cell_error(res, 125, "linux.resources.memory.limit: expected an integer")
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "create"])
def test_a_limit_the_kernel_refuses_fails_and_leaves_nothing(root, bundle, command):
    """On v1 the cgroup is made after clone3, while the container's process sets
    itself up: a limit the kernel refuses there ends that process and removes the
    cgroup and the state (the fixture checks for processes left running)."""
    cpus = str(os.cpu_count() + 5)
    b = bundle(["sh", "-c", "echo started"],
               edit=lambda c: c["linux"].setdefault("resources", {}).update(cpu={"cpus": cpus}))
    assert_cell_error(oci(root, command, "--bundle", b, "bad1"), 125, "cpuset.cpus")
    assert not (root / "bad1").exists() and cgroup_dirs("bad1") == []


def test_run_from_a_bundle_returns_the_status_and_cleans_up(root, bundle):
    b = bundle(["sh", "-c", "hostname; exit 7"])
    res = oci(root, "run", "r1", cwd=b)
    assert res.returncode == 7, res.stderr
    assert res.stdout == "cell\n"
    assert not (root / "r1").exists() and cgroup_dirs("r1") == []


def test_run_of_a_bundle_records_the_process_the_kernel_shows_in_its_cgroups(root, bundle):
    # cell run of a bundle may start vfork-style: the child records the state
    # and joins its cgroup by itself. What state.json says must be what the
    # kernel shows: the PID is the container's process, in cell-ID in every
    # hierarchy that has that directory, and the runner is the cell process.
    b = bundle(["sh", "-c", "echo ready; exec sleep 30"])
    argv = [CELL, "--root", str(root), "run", "--bundle", str(b), "rk"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=_env(), cwd="/",
                         preexec_fn=_reset_signals)
    try:
        assert p.stdout.readline() == b"ready\n", p.stderr.read()
        raw = json.loads((root / "rk" / "state.json").read_text())
        pid = raw["pid"]
        assert raw["cellRunner"]["pid"] == p.pid
        # "ready" comes from sh, just before its exec: give the exec a moment
        deadline = time.monotonic() + 5
        while True:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")[:2]
            if cmd != [b"sh", b"-c"] or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert cmd == [b"sleep", b"30"]
        # the container's own cgroup namespace shows "/": read its placement
        # through a host-side process, the root of which is the host's
        dirs = cgroup_dirs("rk")
        assert dirs, "no cgroup cell-rk"
        for d in dirs:
            with open(f"{d}/cgroup.procs") as f:
                assert str(pid) in f.read().split(), d
    finally:
        p.kill()
        p.wait(timeout=10)
        oci(root, "delete", "--force", "rk")


def test_run_flags_edit_the_bundles_spec(root, bundle):
    b = bundle(["hostname"])
    res = oci(root, "run", "--bundle", b, "--hostname", "edited", "r2")
    assert ok(res) == "edited\n"
    res = oci(root, "run", "--bundle", b, "r3", "--", "echo", "replaced")
    assert ok(res) == "replaced\n"


def test_preserve_fds_passes_fd_3_on(root, bundle, tdir):
    data = tdir / "data"
    data.write_text("through fd 3\n")
    b = bundle(["cat", "/proc/self/fd/3"])
    res = subprocess.run(["sh", "-c", 'exec 3<"$1"; shift; exec "$@"', "sh", str(data), CELL,
                          "--root", str(root), "run", "--preserve-fds", "1", "--bundle",
                          str(b), "p1"], capture_output=True, text=True, env=_env(),
                         preexec_fn=_reset_signals)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "through fd 3\n"


# ------------------------------------------------------------------ exec


def test_exec_joins_the_containers_namespaces_and_cgroup(root, bundle):
    b = bundle(["sleep", "30"], edit=lambda c: c.update(hostname="execme"))
    ok(oci(root, "run", "-d", "--bundle", b, "e1"))
    try:
        pid = state(root, "e1")["pid"]
        out = ok(oci(root, "exec", "e1", "sh", "-c",
                     "hostname; echo $$; cat /proc/1/comm; readlink /proc/self/ns/net; "
                     "cat /proc/self/cgroup | sort | md5sum; cat /proc/1/cgroup | sort | md5sum"))
        lines = out.splitlines()
        assert lines[0] == "execme"
        assert lines[2] == "sleep"  # PID 1 of the container's pid namespace
        assert int(lines[1]) > 1
        assert lines[3] == os.readlink(f"/proc/{pid}/ns/net")
        # in the same cgroup as PID 1 in every hierarchy (a cgroup outside the
        # namespace's root would show as a relative /.. path)
        assert lines[4] == lines[5]
        assert oci(root, "exec", "e1", "sh", "-c", "exit 3").returncode == 3
        res = oci(root, "exec", "--env", "A=b", "--cwd", "/etc", "--user", "1234:1234", "e1",
                  "sh", "-c", "echo $A $(pwd) $(id -u):$(id -g)")
        assert ok(res) == "b /etc 1234:1234\n"
        assert_cell_error(oci(root, "exec", "e1", "no-such-cmd"), 127, "no-such-cmd")
    finally:
        ok(oci(root, "delete", "--force", "e1"))


def test_exec_detach_writes_the_pid_of_the_command(root, bundle, tdir):
    b = bundle(["sleep", "30"])
    ok(oci(root, "run", "-d", "--bundle", b, "e2"))
    try:
        pidfile = tdir / "exec.pid"
        ok(oci(root, "exec", "-d", "--pid-file", pidfile, "e2", "sleep", "20"))
        pid = int(pidfile.read_text())
        with open(f"/proc/{pid}/cmdline") as f:
            assert f.read().split("\0")[:2] == ["sleep", "20"]
        cpid = state(root, "e2")["pid"]
        assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{cpid}/ns/pid")
    finally:
        ok(oci(root, "delete", "--force", "e2"))


def test_exec_relative_pid_file_is_the_callers_working_directorys(root, bundle, tdir):
    b = bundle(["sleep", "30"])
    ok(oci(root, "run", "-d", "--bundle", b, "e4"))
    try:
        ok(oci(root, "exec", "-d", "--pid-file", "rel.pid", "e4", "sleep", "20", cwd=tdir))
        pid = int((tdir / "rel.pid").read_text())
        with open(f"/proc/{pid}/cmdline") as f:
            assert f.read().split("\0")[:2] == ["sleep", "20"]
    finally:
        ok(oci(root, "delete", "--force", "e4"))


def test_exec_pid_file_in_a_removed_working_directory_is_refused_not_put_under_root(
        root, bundle, tdir):
    """getcwd fails (ENOENT) in a removed directory: once the pid file went to /NAME."""
    b = bundle(["sleep", "30"])
    ok(oci(root, "run", "-d", "--bundle", b, "e5"))
    name = f"cell-test-gone-{os.getpid()}.pid"
    gone = tdir / "gone"
    gone.mkdir()
    try:
        res = subprocess.run(["sh", "-c", 'cd "$1" && rmdir "$1" && shift && exec "$@"', "sh",
                              str(gone), CELL, "--root", str(root), "exec", "-d", "--pid-file",
                              name, "e5", "sleep", "20"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=TIMEOUT, env=_env())
        assert_cell_error(res, 125, f"--pid-file {name}", "getcwd", "No such file")
        assert not os.path.exists(f"/{name}")
        cpid = state(root, "e5")["pid"]
        assert subprocess.run(["pgrep", "-f", "^sleep 20$", "--ns", str(cpid)],
                              capture_output=True).stdout == b""
    finally:
        if os.path.exists(f"/{name}"):
            os.unlink(f"/{name}")
        ok(oci(root, "delete", "--force", "e5"))


def test_exec_pid_file_longer_than_path_max_is_refused_not_truncated(root, bundle, tdir):
    b = bundle(["sleep", "30"])
    ok(oci(root, "run", "-d", "--bundle", b, "e6"))
    try:
        # joined to the working directory it is PATH_MAX (4096) bytes: one too many
        rel = "d/" * ((4096 - len(str(tdir)) - 1 - 2) // 2)
        rel += "p" * (4096 - len(str(tdir)) - 1 - len(rel))
        assert len(f"{tdir}/{rel}") == 4096
        res = oci(root, "exec", "-d", "--pid-file", rel, "e6", "sleep", "20", cwd=tdir)
        assert_cell_error(res, 125, "--pid-file d/d/", "File name too long")
        assert not (tdir / "d").exists()
    finally:
        ok(oci(root, "delete", "--force", "e6"))


def test_exec_process_file(root, bundle, tdir):
    b = bundle(["sleep", "30"])
    ok(oci(root, "run", "-d", "--bundle", b, "e3"))
    try:
        proc = {"args": ["sh", "-c", "echo $X; id -u"], "cwd": "/", "env": ["X=from-file",
                f"PATH={SANE_PATH}"], "user": {"uid": 1234, "gid": 1234}}
        (tdir / "process.json").write_text(json.dumps(proc))
        assert ok(oci(root, "exec", "--process", tdir / "process.json", "e3")) == \
            "from-file\n1234\n"
        # -t edits the file's process as the other flags do (it was dropped)
        proc.update(args=["sh", "-c", "tty"], user={"uid": 0, "gid": 0})
        (tdir / "process.json").write_text(json.dumps(proc))
        res = subprocess.run(["script", "-qec", " ".join(
            [CELL, "--root", str(root), "exec", "-t", "--process", str(tdir / "process.json"),
             "e3"]), "/dev/null"], capture_output=True, text=True, env=_env(), timeout=30)
        assert "/dev/pts/" in res.stdout and "not a tty" not in res.stdout, res
    finally:
        ok(oci(root, "delete", "--force", "e3"))


def test_exec_into_a_stopped_container_is_refused(root, bundle):
    b = bundle(["true"])
    ok(oci(root, "run", "-d", "--bundle", b, "e4"))
    wait_status(root, "e4", "stopped")
    assert_cell_error(oci(root, "exec", "e4", "true"), 125, "e4", "stopped")
    ok(oci(root, "delete", "e4"))


# ----------------------------------------------------------------- hooks




def test_hooks_run_in_order_with_the_state_on_stdin(root, bundle, tdir):
    log = tdir / "hooks.log"
    h = {k: [{"path": hook(tdir, k, f"read s; echo {k} \"$s\" >> {log}\n")}]
         for k in ("prestart", "createRuntime", "poststart", "poststop")}
    b = bundle(["true"], edit=lambda c: c.update(hooks=h, annotations={"a": "b"}))
    ok(oci(root, "run", "--bundle", b, "h1"))
    lines = log.read_text().splitlines()
    assert [l.split()[0] for l in lines] == ["prestart", "createRuntime", "poststart",
                                            "poststop"]
    first = json.loads(lines[0].split(" ", 1)[1])
    assert first["id"] == "h1" and first["status"] == "creating"
    assert first["bundle"] == str(b) and first["annotations"] == {"a": "b"}
    assert first["pid"] > 0
    assert json.loads(lines[3].split(" ", 1)[1])["status"] == "stopped"


def test_container_hooks_run_inside_the_container(root, bundle, tdir):
    out = tdir / "cc"
    h = {"createContainer": [{"path": "/bin/sh", "args": [
            "sh", "-c", f"hostname > {out}; readlink /proc/self/ns/mnt >> {out}"]}],
         "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
                                                         "echo started > /tmp/sc"]}]}
    b = bundle(["sh", "-c", "cat /tmp/sc; exec sleep 30"],
               edit=lambda c: c.update(hooks=h, hostname="inner"))
    ok(oci(root, "run", "-d", "--bundle", b, "h2"))
    try:
        pid = state(root, "h2")["pid"]
        # createContainer: before pivot_root (a host path), yet in the container's
        # uts and mount namespaces
        assert out.read_text().splitlines() == ["inner", os.readlink(f"/proc/{pid}/ns/mnt")]
        # startContainer: inside the container's root, before the program
        deadline = time.monotonic() + 5
        while not os.path.exists(f"/proc/{pid}/root/tmp/sc") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pathlib.Path(f"/proc/{pid}/root/tmp/sc").read_text() == "started\n"
    finally:
        ok(oci(root, "delete", "--force", "h2"))


def test_a_failing_or_slow_hook_fails_create_and_leaves_nothing(root, bundle, tdir):
    h = {"createRuntime": [{"path": hook(tdir, "slow", "sleep 10\n"), "timeout": 1}]}
    b = bundle(["true"], edit=lambda c: c.update(hooks=h))
    res = oci(root, "create", "--bundle", b, "h3")
    assert_cell_error(res, 125, "hooks.createRuntime[0]", "timeout")
    assert list(root.iterdir()) == [] and cgroup_dirs("h3") == []
    h = {"prestart": [{"path": hook(tdir, "bad", "exit 3\n")}]}
    b = bundle(["true"], edit=lambda c: c.update(hooks=h))
    assert_cell_error(oci(root, "create", "--bundle", b, "h4"), 125, "hooks.prestart[0]",
                      "status 3")
    assert list(root.iterdir()) == []


# -------------------------------------------------------- console socket


def _console_listener(path):
    """A console socket; returns (thread, got): got["fd"] is the pty master received."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(10)
    got = {}

    def accept():
        try:
            conn, _ = srv.accept()
        except OSError:
            srv.close()
            return
        fds = array.array("i")
        _, anc, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        got["fd"] = fds[0] if fds else None
        conn.close()
        srv.close()
    t = threading.Thread(target=accept)
    t.start()
    return t, got


def test_console_socket_receives_the_pty_master(root, bundle, tdir):
    path = str(tdir / "console.sock")
    t, got = _console_listener(path)
    b = bundle(["sh", "-c", "tty; echo on-the-pty"],
               edit=lambda c: c["process"].update(terminal=True))
    ok(oci(root, "create", "--bundle", b, "--console-socket", path, "t1"))
    t.join(5)
    assert got.get("fd") is not None
    ok(oci(root, "start", "t1"))
    out = b""
    deadline = time.monotonic() + 5
    while b"on-the-pty" not in out and time.monotonic() < deadline:
        try:
            out += os.read(got["fd"], 4096)
        except OSError:
            break
    os.close(got["fd"])
    assert b"/dev/pts/0" in out and b"on-the-pty" in out
    wait_status(root, "t1", "stopped")
    ok(oci(root, "delete", "t1"))


def test_terminal_without_console_socket_is_refused_for_create(root, bundle):
    b = bundle(["true"], edit=lambda c: c["process"].update(terminal=True))
    assert_cell_error(oci(root, "create", "--bundle", b, "t2"), 125, "console-socket")
    assert list(root.iterdir()) == []


# --------------------------------------------------------------- rootless


def test_rootless_lifecycle_as_nobody(tdir, bundle):
    xdg = tdir / "xdg"
    xdg.mkdir()
    os.chown(xdg, pwd.getpwnam("nobody").pw_uid, -1)
    b = bundle(["sleep", "30"], rootless=True, user="nobody")
    env = {"XDG_RUNTIME_DIR": str(xdg)}

    def run(*args):
        return oci(None, *args, user="nobody", env=env)
    ok(run("run", "-d", "--bundle", b, "n1"))
    try:
        st = json.loads(ok(run("state", "n1")))
        assert st["status"] == "running" and (xdg / "cell" / "n1").is_dir()
        with open(f"/proc/{st['pid']}/status") as f:
            uid_line = [l for l in f if l.startswith("Uid:")][0]
        assert uid_line.split()[1] == str(pwd.getpwnam("nobody").pw_uid)
        assert ok(run("exec", "n1", "id", "-u")) == "0\n"
    finally:
        ok(run("delete", "--force", "n1"))
    assert not (xdg / "cell" / "n1").exists()


def test_rootless_relative_cgroups_path_is_found_by_later_commands(tdir, bundle):
    """A rootless container's relative cgroupsPath lies below the cgroup of the cell
    that made it, delegated to the user here. Later commands run from another cgroup
    find it through state.json's cellCgroup, and delete leaves the delegated parent."""
    nobody = pwd.getpwnam("nobody")
    deleg = f"cell-deleg-{os.getpid()}"
    ctrls = ["memory", "pids", "cpu", "cpuacct", "freezer"]
    for c in ctrls:
        os.mkdir(f"/sys/fs/cgroup/{c}/{deleg}")
        for f in ("", "/cgroup.procs", "/tasks"):
            os.chown(f"/sys/fs/cgroup/{c}/{deleg}{f}", nobody.pw_uid, nobody.pw_gid)
    xdg = tdir / "xdg"
    xdg.mkdir()
    os.chown(xdg, nobody.pw_uid, -1)
    env = {"XDG_RUNTIME_DIR": str(xdg)}
    b = bundle(["sleep", "30"], rootless=True, user="nobody",
               edit=lambda c: c["linux"].update(cgroupsPath="sub"))

    def run(*args):
        return oci(None, *args, user="nobody", env=env)
    try:
        # the creating cell runs inside the delegated cgroup, the test does not
        joins = "".join(f"echo $$ > /sys/fs/cgroup/{c}/{deleg}/cgroup.procs; " for c in ctrls)
        with tempfile.TemporaryFile() as err:  # the container keeps cell's stdio: no pipe
            made = subprocess.run(["sh", "-c", joins + 'exec "$@"', "sh",
                                   *_user_prefix("nobody"), CELL, "run", "-d", "--bundle",
                                   str(b), "rl1"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=err, env=_env(env),
                                  timeout=TIMEOUT)
            err.seek(0)
            assert made.returncode == 0, err.read()
        pid = json.loads(ok(run("state", "rl1")))["pid"]
        for c in ctrls:
            procs = open(f"/sys/fs/cgroup/{c}/{deleg}/sub/cgroup.procs").read().split()
            assert str(pid) in procs, c
        ok(run("pause", "rl1"))
        assert open(f"/sys/fs/cgroup/freezer/{deleg}/sub/freezer.state").read().strip() \
            == "FROZEN"
        assert json.loads(ok(run("state", "rl1")))["status"] == "paused"
        ok(run("resume", "rl1"))
        ok(run("delete", "--force", "rl1"))
        for c in ctrls:
            assert not os.path.exists(f"/sys/fs/cgroup/{c}/{deleg}/sub")
            assert os.path.isdir(f"/sys/fs/cgroup/{c}/{deleg}")
    finally:
        run("delete", "--force", "rl1")
        for c in ctrls:
            for d in (f"/sys/fs/cgroup/{c}/{deleg}/sub", f"/sys/fs/cgroup/{c}/{deleg}"):
                for _ in range(100):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.05)


# ------------------------------------------------- cgroup-backed commands


def test_pause_and_resume_freeze_the_cgroup(root, bundle):
    b = bundle(["sh", "-c", "while :; do echo x > /dev/null; done"])
    ok(oci(root, "run", "-d", "--bundle", b, "f1"))
    try:
        ok(oci(root, "pause", "f1"))
        assert state(root, "f1")["status"] == "paused"
        with open("/sys/fs/cgroup/freezer/cell-f1/freezer.state") as f:
            assert f.read().strip() == "FROZEN"
        pid = state(root, "f1")["pid"]
        with open(f"/proc/{pid}/stat") as f:
            t1 = int(f.read().rsplit(")", 1)[1].split()[11])
        time.sleep(0.3)
        with open(f"/proc/{pid}/stat") as f:
            assert int(f.read().rsplit(")", 1)[1].split()[11]) == t1  # no CPU time while frozen
        assert_cell_error(oci(root, "pause", "f1"), 125, "paused")
        assert_cell_error(oci(root, "exec", "f1", "true"), 125, "paused")
        ok(oci(root, "resume", "f1"))
        assert state(root, "f1")["status"] == "running"
    finally:
        ok(oci(root, "delete", "--force", "f1"))


def test_ps_lists_the_containers_processes(root, bundle):
    b = bundle(["sh", "-c", "sleep 31 & exec sleep 32"])
    ok(oci(root, "run", "-d", "--bundle", b, "p2"))
    try:
        time.sleep(0.3)
        pids = json.loads(ok(oci(root, "ps", "--format", "json", "p2")))
        cmds = sorted(open(f"/proc/{p}/cmdline").read().replace("\0", " ").strip()
                      for p in pids)
        assert cmds == ["sleep 31", "sleep 32"]
        table = ok(oci(root, "ps", "p2")).splitlines()
        assert "PID" in table[0].split() and len(table) == 3
    finally:
        ok(oci(root, "delete", "--force", "p2"))


def test_update_changes_only_the_limits_given(root, bundle, tdir):
    b = bundle(["sleep", "30"], edit=lambda c: c["linux"].update(
        resources={"pids": {"limit": 100}, "cpu": {"shares": 512}}))
    ok(oci(root, "run", "-d", "--bundle", b, "u1"))
    try:
        ok(oci(root, "update", "--memory", "64m", "u1"))
        assert open("/sys/fs/cgroup/memory/cell-u1/memory.limit_in_bytes").read().strip() \
            == str(64 << 20)
        assert open("/sys/fs/cgroup/pids/cell-u1/pids.max").read().strip() == "100"
        (tdir / "r.json").write_text(json.dumps({"pids": {"limit": 7}}))
        ok(oci(root, "update", "-r", tdir / "r.json", "u1"))
        assert open("/sys/fs/cgroup/pids/cell-u1/pids.max").read().strip() == "7"
        # the saved config.json follows: exec and later commands read it
        saved = json.loads((root / "u1" / "config.json").read_text())["linux"]["resources"]
        assert saved["memory"]["limit"] == 64 << 20 and saved["pids"]["limit"] == 7
        assert saved["cpu"] == {"shares": 512}  # not given: untouched
        (tdir / "r.json").write_text(json.dumps({"pids": {"limit": "x"}}))
        assert_cell_error(oci(root, "update", "-r", tdir / "r.json", "u1"), 125,
                          "linux.resources.pids.limit")
        # flags beside the file were dropped in silence (as runc drops them): refused
        (tdir / "r.json").write_text(json.dumps({"pids": {"limit": 9}}))
        assert_cell_error(oci(root, "update", "-r", tdir / "r.json", "--memory", "32m", "u1"),
                          125, "resource flags beside -r")
        assert open("/sys/fs/cgroup/pids/cell-u1/pids.max").read().strip() == "7"
    finally:
        ok(oci(root, "delete", "--force", "u1"))


def test_events_stats_reports_the_cgroups_usage(root, bundle):
    b = bundle(["sleep", "30"], edit=lambda c: c["linux"].update(
        resources={"pids": {"limit": 9}, "memory": {"limit": 64 << 20}}))
    ok(oci(root, "run", "-d", "--bundle", b, "v1"))
    try:
        ev = json.loads(ok(oci(root, "events", "--stats", "v1")))
        assert ev["type"] == "stats" and ev["id"] == "v1"
        assert ev["data"]["pids"] == {"current": 1, "limit": 9}
        assert ev["data"]["memory"]["usage"]["limit"] == 64 << 20
        assert ev["data"]["memory"]["usage"]["usage"] > 0
    finally:
        ok(oci(root, "delete", "--force", "v1"))


def test_device_rules_deny_by_default_but_allow_the_standard_devices(root, bundle):
    # runc's list: mknod of any node ("b *:* m"), but no open of one not listed
    b = bundle(["sh", "-c", "echo ok > /dev/null && head -c1 /dev/zero | wc -c; "
                "mknod /dev/sda b 8 0 && { head -c1 /dev/sda 2>&1 || echo denied; }"],
               edit=lambda c: c["process"]["capabilities"].update(
                   bounding=["CAP_MKNOD"], effective=["CAP_MKNOD"], permitted=["CAP_MKNOD"]))
    out = ok(oci(root, "run", "--bundle", b, "dv1"))
    assert out.splitlines()[0].strip() == "1"
    assert "denied" in out


def test_a_named_sandbox_from_flags_is_registered_while_it_runs(root, start):
    r = start(["--root", root, "run", "--name", "sb1", "--", "sh", "-c",
               "echo up; sleep 30"])
    r.wait_for("up")
    listed = json.loads(ok(oci(root, "list", "--format", "json")))
    assert [c["id"] for c in listed] == ["sb1"] and listed[0]["status"] == "running"
    assert ok(oci(root, "exec", "sb1", "hostname")) == "cell\n"
    ok(oci(root, "kill", "sb1", "KILL"))
    status, _, _ = r.finish()
    assert status == 128 + 9
    assert list(root.iterdir()) == []


def test_log_file_gets_errors_as_json_lines(root, tdir):
    log = tdir / "log.json"
    res = oci(root, "--log", log, "--log-format", "json", "state", "ghost")
    assert_cell_error(res, 125, "ghost")
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["level"] == "error" and "ghost" in entry["msg"] and entry["time"]
    assert_cell_error(oci(root, "--systemd-cgroup", "list"), 125, "systemd")


@pytest.mark.parametrize("field, value, needle", [
    ("intelRdt", {"closID": "x"}, "linux.intelRdt"),
    ("mountLabel", "system_u:object_r:x:s0", "linux.mountLabel"),
])
def test_what_this_host_cannot_do_is_refused_by_field(root, bundle, field, value, needle):
    b = bundle(["true"], edit=lambda c: c["linux"].update({field: value}))
    assert_cell_error(oci(root, "create", "--bundle", b, "no1"), 125, needle)
    assert list(root.iterdir()) == []


def test_create_fails_for_a_program_that_is_not_there(root, bundle):
    b = bundle(["no-such-program"])
    assert_cell_error(oci(root, "create", "--bundle", b, "nf1"), 127, "no-such-program")
    assert list(root.iterdir()) == [] and cgroup_dirs("nf1") == []


def test_cgroup_manager_disabled_makes_no_cgroup(root, bundle):
    b = bundle(["sh", "-c", "cat /proc/self/cgroup"])
    out = ok(oci(root, "--cgroup-manager", "disabled", "run", "--bundle", b, "ncg"))
    with open("/proc/self/cgroup") as f:
        mine = f.read()
    assert "cell-ncg" not in out and "cell-ncg" not in mine
    assert cgroup_dirs("ncg") == []


def test_spec_writes_the_lowest_version_its_fields_need(tdir):
    res = subprocess.run([CELL, "spec", "-b", "-", "--", "true"], capture_output=True, text=True)
    assert json.loads(res.stdout)["ociVersion"] == "1.0.2"
    res = subprocess.run([CELL, "spec", "-b", "-", "--unshare-time", "--", "true"],
                         capture_output=True, text=True)
    assert json.loads(res.stdout)["ociVersion"] == "1.1.0"


def test_net_container_joins_a_named_sandboxs_network(start, run):
    r = start(["run", "--name", "netsrc1", "--", "sh", "-c", "echo up; sleep 30"])
    r.wait_for("up")
    try:
        pid = json.loads(ok(oci(None, "state", "netsrc1")))["pid"]
        res = run(["run", "--net", "container:netsrc1", "--", "readlink", "/proc/self/ns/net"])
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == os.readlink(f"/proc/{pid}/ns/net")
    finally:
        ok(oci(None, "kill", "netsrc1", "KILL"))
        r.finish()


# ------------------------------------- runc's flags are carried out, or refused


@pytest.mark.parametrize("how", ["flags", "bundle"])
def test_run_in_the_foreground_sends_the_pty_to_its_console_socket(root, bundle, tdir, how):
    """runc run --console-socket: the pty master goes to the socket, not to cell's
    terminal (a foreground run ignored the flag before)."""
    path = str(tdir / "console.sock")
    t, got = _console_listener(path)
    if how == "flags":
        argv = ["run", "-t", "--console-socket", path, "--", "sh", "-c", "tty; exit 3"]
    else:
        b = bundle(["sh", "-c", "tty; exit 3"], edit=lambda c: c["process"].update(terminal=True))
        argv = ["run", "--bundle", b, "--console-socket", path, "fg1"]
    proc = subprocess.Popen([CELL, "--root", str(root), *map(str, argv)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env(), preexec_fn=_reset_signals)
    t.join(10)
    assert got.get("fd") is not None, proc.communicate(timeout=10)
    out = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # to EIO: the command is gone (no SIGHUP for it)
        try:
            data = os.read(got["fd"], 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    stdout, stderr = proc.communicate(timeout=15)
    os.close(got["fd"])
    assert b"/dev/pts/0" in out and b"/dev/pts" not in stdout, (out, stdout, stderr)
    assert proc.returncode == 3, stderr
    assert list(root.iterdir()) == []


def test_console_socket_without_a_terminal_is_refused(root, bundle, tdir):
    b = bundle(["true"])
    assert_cell_error(oci(root, "run", "--bundle", b, "--console-socket", tdir / "none.sock",
                          "nt1"), 125, "--console-socket", "process.terminal is false")
    assert_cell_error(oci(root, "run", "--console-socket", tdir / "none.sock", "--", "true"),
                      125, "--console-socket")
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("how", ["run-d", "create"])
def test_pin_holds_the_namespace_of_a_created_or_detached_container(root, bundle, tdir, how):
    pin = tdir / "netns"
    b = bundle(["sleep", "30"])
    if how == "run-d":
        ok(oci(root, "run", "-d", "--bundle", b, "--pin", f"net={pin}", "pn1"))
    else:
        ok(oci(root, "create", "--bundle", b, "--pin", f"net={pin}", "pn1"))
    try:
        pid = json.loads(ok(oci(root, "state", "pn1")))["pid"]
        assert os.stat(pin).st_ino == os.stat(f"/proc/{pid}/ns/net").st_ino
    finally:
        ok(oci(root, "delete", "--force", "pn1"))
        ok(subprocess.run([CELL, "ns", "unpin", str(pin)], capture_output=True, text=True))
    assert not pin.exists()
    # a start that fails leaves no pin
    b = bundle(["no-such-program"])
    assert oci(root, *(["run", "-d"] if how == "run-d" else ["create"]), "--bundle", b,
               "--pin", f"net={pin}", "pn2").returncode == 127
    assert not pin.exists() or not os.path.ismount(pin)


@pytest.mark.parametrize("cmd", ["run -d", "create"])
def test_die_with_parent_is_refused_for_a_container_that_outlives_cell(root, bundle, cmd):
    b = bundle(["sleep", "30"])
    assert_cell_error(oci(root, *cmd.split(), "--bundle", b, "--die-with-parent", "dp1"), 125,
                      "--die-with-parent", "outlives")
    assert list(root.iterdir()) == []


def test_bundle_run_read_only_makes_the_root_read_only(root, bundle):
    b = bundle(["sh", "-c", "touch /written 2>&1; echo $?"])
    assert ok(oci(root, "run", "--bundle", b, "ro1")) == "0\n"  # config: readonly false
    res = oci(root, "run", "--bundle", b, "--read-only", "ro2")
    assert res.returncode == 0, res.stderr
    assert "Read-only file system" in res.stdout and res.stdout.endswith("1\n"), res.stdout


@pytest.mark.parametrize("flag", ["--keep-id", "--subids"])
def test_bundle_refuses_id_map_modes_it_has_its_own_maps_for(root, bundle, flag):
    b = bundle(["true"])
    assert_cell_error(oci(root, "run", "--bundle", b, flag, "km1"), 125, flag,
                      "linux.uidMappings")


def test_kill_all_without_a_cgroup_says_only_the_first_process_gets_it(root, bundle):
    b = bundle(["sleep", "30"])
    ok(oci(root, "--cgroup-manager", "disabled", "run", "-d", "--bundle", b, "ka1"))
    try:
        res = oci(root, "kill", "--all", "ka1", "CONT")
        assert res.returncode == 0, res.stderr
        assert "has no cgroup to find its processes by" in res.stderr, res.stderr
    finally:
        ok(oci(root, "delete", "--force", "ka1"))


def test_spec_says_which_run_flags_it_has_no_field_for(tdir):
    res = subprocess.run([CELL, "spec", "--bundle", "-", "--name", "x", "--pin", "net=/tmp/p",
                          "--preserve-fds", "2", "--", "true"],
                         capture_output=True, text=True, env=_env())
    assert res.returncode == 0, res.stderr
    for flag in ("--name", "--pin", "--preserve-fds"):
        assert f"spec: {flag} is for cell run alone" in res.stderr, res.stderr
    assert json.loads(res.stdout)["process"]["args"] == ["true"]


def test_debug_logs_what_each_command_did(root, start, tdir):
    """--debug: run, exec, pause, resume, update and kill each log one line (runc's debug log)."""
    log = tdir / "debug.log"
    dbg = ("--debug", "--log", log, "--log-format", "json")
    r = start(["--root", root, *map(str, dbg), "run", "--name", "db1", "--pids-limit", "50",
               "--", "sh", "-c", "echo up; sleep 30"])
    r.wait_for("up")
    ok(oci(root, *dbg, "exec", "db1", "true"))
    ok(oci(root, *dbg, "pause", "db1"))
    ok(oci(root, *dbg, "resume", "db1"))
    ok(oci(root, *dbg, "update", "--pids-limit", "60", "db1"))
    ok(oci(root, *dbg, "kill", "db1", "KILL"))
    status, _, _ = r.finish()
    assert status == 128 + 9
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(e["level"] == "debug" and e["time"] for e in entries), entries
    msgs = [e["msg"] for e in entries]
    # the run's own line races the kill's: the container may end before kill logs
    assert [m.split()[0] for m in msgs[:4]] == ["exec", "paused", "resumed", "updated"], msgs
    assert sorted(m.split()[0] for m in msgs[4:]) == ["ran", "signal"], msgs
    assert "db1" in msgs[0] and "wait status 0x0" in msgs[0], msgs
    assert any(m.startswith("signal 9 to db1") for m in msgs), msgs
    assert any(m.startswith("ran db1") and m.endswith("wait status 0x9") for m in msgs), msgs


def test_the_text_log_quotes_what_it_holds(root, tdir):
    """A message with quotes, backslashes and a newline stays one parseable line."""
    log = tdir / "log.txt"
    res = oci(root, "--log", log, "state", 'gh"o\\st')
    assert res.returncode == 125
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    m = re.fullmatch(r'time="[^"]+" level=error msg="((?:[^"\\]|\\.)*)"', lines[0])
    assert m, lines[0]
    assert 'gh\\"o\\\\st' in m.group(1), m.group(1)


def test_restore_no_subreaper_needs_detach(root, tdir):
    res = oci(root, "restore", "--no-subreaper", "--image-path", tdir, "rs1")
    assert_cell_error(res, 125, "--no-subreaper", "--detach")
    res = oci(root, "restore", "--no-subreaper", "-d", "--image-path", tdir, "rs1")
    assert res.returncode == 125 and "subreaper" not in res.stderr, res.stderr
