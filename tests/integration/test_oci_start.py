"""A container whose process cannot start is never reported as created or started.

`cell create` returns only once the process has done everything that can fail
before its execve (working directory, rlimits, user, capabilities, seccomp);
`cell start` returns only once the process has called execve, or fails with
what went wrong. Whatever fails leaves no state, cgroup or process behind (the
autouse no_leftovers fixture checks processes, cgroups and mounts).
"""
import json
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import CELL, _env, _reap_zombies, assert_cell_error
from test_oci import (assert_no_container, bundle, cgroup_dirs, oci, ok, root, state,  # noqa: F401
                      wait_status)


def assert_nothing_left(root, cid, user=None):
    assert_no_container(root, cid, user=user)
    listed = ok(oci(root, "list", "-q", user=user)).split()
    assert cid not in listed
    assert not (root / cid).exists()
    assert cgroup_dirs(cid) == []


def no_new_privs_off(cfg):
    # seccomp then needs CAP_SYS_ADMIN, which runc's default capabilities lack:
    # the filter is loaded before the user change, early (Docker's case)
    cfg["process"]["noNewPrivileges"] = False


def profile_refusing(*names):
    def edit(cfg):
        no_new_privs_off(cfg)
        cfg["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": list(names), "action": "SCMP_ACT_ERRNO",
                          "errnoRet": 1}],
        }
    return edit


def cwd_not_a_dir(cfg):
    # a missing one is made (runc, crun); a file on the way cannot be
    cfg["process"]["cwd"] = "/etc/passwd/dir"


def caps_with(cap):
    def edit(cfg):
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append(cap)
    return edit


# (id, args, edit, exit status, words of the one-line error)
CANNOT_START = [
    ("cwd", ["true"], cwd_not_a_dir, 125, ["process.cwd", "/etc/passwd/dir",
                                           "Not a directory"]),
    ("missing", ["/no/such/program"], None, 127, ["/no/such/program", "No such file"]),
    ("not-executable", ["/etc/passwd"], None, 126, ["/etc/passwd", "Permission denied"]),
    ("seccomp-read", ["true"], profile_refusing("read"), 125, ["read(2)", "seccomp",
                                                               "Operation not permitted"]),
]


@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("case", CANNOT_START, ids=[c[0] for c in CANNOT_START])
def test_a_process_that_cannot_start_fails_create_and_run(root, bundle, case, command):
    name, args, edit, status, words = case
    cid = f"cs-{name}-{command}"  # one cgroup name per case: one leak fails one case
    b = bundle(args, edit=edit)
    assert_cell_error(oci(root, command, "--bundle", b, cid), status, *words)
    assert_nothing_left(root, cid)


def test_a_seccomp_profile_refusing_write_fails_create(root, bundle):
    """write(2) is what reports a failed execve to `cell start` after the filter."""
    b = bundle(["true"], edit=profile_refusing("write"))
    assert_cell_error(oci(root, "create", "--bundle", b, "cw1"), 125, "write(2)", "seccomp")
    assert_nothing_left(root, "cw1")


def seccomp_with(rule, nnp=True):
    def edit(cfg):
        cfg["process"]["noNewPrivileges"] = nnp
        cfg["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [rule]}
    return edit


@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("nnp", [True, False], ids=["filter-last", "filter-early"])
def test_a_profile_refusing_execve_fails_create(root, bundle, command, nnp):
    """The filter is loaded before execve in every case: a profile that refuses
    execve(2) could never start a process, so create says so, naming the field."""
    cid = f"ex-{command}-{nnp:d}-{os.getpid()}"
    b = bundle(["true"], edit=seccomp_with({"names": ["execve"], "action": "SCMP_ACT_ERRNO",
                                            "errnoRet": 13}, nnp))
    assert_cell_error(oci(root, command, "--bundle", b, cid), 125, "linux.seccomp",
                      "execve(2)", "Permission denied")
    assert_nothing_left(root, cid)


@pytest.mark.parametrize("name", ["write", "read", "close", "exit_group"])
def test_a_notify_on_a_syscall_cell_makes_itself_is_refused(root, bundle, tdir, name):
    """SCMP_ACT_NOTIFY on what cell calls between the filter and execve (the start
    wait, a failure's report, the exit) would wait for a listener that has no fd
    yet or has gone: refused at validation with the JSON path, as runc does for write."""
    cid = f"nt-{name}-{os.getpid()}"

    def edit(cfg):
        seccomp_with({"names": ["mkdir", name], "action": "SCMP_ACT_NOTIFY"})(cfg)
        cfg["linux"]["seccomp"]["listenerPath"] = str(tdir / "agent.sock")
    b = bundle(["true"], edit=edit)
    assert_cell_error(oci(root, "create", "--bundle", b, cid), 125,
                      "linux.seccomp.syscalls[0]", f"SCMP_ACT_NOTIFY on {name}")
    assert_nothing_left(root, cid)


def oci_without_sys_module(root, *args):
    """`cell --root ROOT ARGS` with CAP_SYS_MODULE dropped from cell's bounding set."""
    argv = ["setpriv", "--bounding-set", "-sys_module", "--", CELL, "--root", str(root),
            *[str(a) for a in args]]
    with tempfile.TemporaryFile() as err:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, env=_env(), timeout=30, cwd="/")
        err.seek(0)
        res.stderr = err.read().decode(errors="replace")
    return res


@pytest.mark.parametrize("command", ["create", "run"])
def test_a_capability_outside_the_bounding_set_fails_create(root, bundle, command):
    """capset(2) refuses (EPERM) a capability that cell's bounding set lacks."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed")
    b = bundle(["true"], edit=caps_with("CAP_SYS_MODULE"))
    cid = f"cap-{command}"
    res = oci_without_sys_module(root, command, "--bundle", b, cid)
    assert_cell_error(res, 125, "capset", "Operation not permitted")
    assert_nothing_left(root, cid)


@pytest.mark.rootless
def test_a_refused_rlimit_fails_create_as_nobody(root, bundle):
    """Raising a hard limit needs CAP_SYS_RESOURCE in the host's user namespace."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("RLIMIT_NOFILE has no hard limit here")

    def edit(cfg):
        cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": hard + 1,
                                      "soft": 1024}]
    b = bundle(["true"], edit=edit, rootless=True, user="nobody")
    for command in ("create", "run"):
        res = oci(root, command, "--bundle", b, f"rl-{command}", user="nobody")
        assert_cell_error(res, 125, "process.rlimits[0]", "Operation not permitted")
        assert_nothing_left(root, f"rl-{command}", user="nobody")


@pytest.mark.parametrize("command", ["create", "run"])
def test_a_profile_without_close_range_still_runs_the_command(root, bundle, rootfs, command):
    """Docker's profiles before 20.10 do not know close_range: cell does not need it
    once the filter is loaded, so the command runs (it used to die unseen)."""
    b = bundle(["sh", "-c", "echo ran > /tmp/ran"], edit=profile_refusing("close_range"))
    cid = f"cr-{command}"
    if command == "run":
        ok(oci(root, "run", "--bundle", b, cid))
    else:
        ok(oci(root, "create", "--bundle", b, cid))
        try:
            ok(oci(root, "start", cid))
            assert wait_status(root, cid, "stopped")["status"] == "stopped"
        finally:
            ok(oci(root, "delete", "--force", cid))
    assert (rootfs / "tmp" / "ran").read_text() == "ran\n"


def test_start_fails_when_execve_fails_after_the_start(root, bundle, rootfs):
    """The program goes away between create and start: execve gets ENOENT, and
    `cell start` says so with 127 instead of reporting a start."""
    victim = rootfs / "bin" / "victim"
    victim.write_text("#!/bin/sh\nexit 0\n")
    victim.chmod(0o755)
    b = bundle(["/bin/victim"])
    ok(oci(root, "create", "--bundle", b, "ex1"))
    try:
        victim.unlink()
        res = oci(root, "start", "ex1")
        assert_cell_error(res, 127, "/bin/victim", "No such file or directory")
        assert state(root, "ex1")["status"] == "stopped"
    finally:
        ok(oci(root, "delete", "--force", "ex1"))
    assert cgroup_dirs("ex1") == []


def refusing_cells_own_calls(action, execve_on_args=False):
    """A filter loaded last (noNewPrivileges) that refuses all cell could use to say
    that execve failed: write, writev, sendmsg, exit_group and exit."""
    def edit(cfg):
        rules = [{"names": ["write", "writev", "sendmsg", "sendto", "exit_group", "exit"],
                  "action": action, **({"errnoRet": 1} if action == "SCMP_ACT_ERRNO" else {})}]
        if execve_on_args:
            # refuses every real execve (its path is never NULL), yet looks at an
            # argument, so create cannot judge it
            rules.append({"names": ["execve"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                          "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]})
        seccomp_with({"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"})(cfg)
        cfg["linux"]["seccomp"]["syscalls"] = rules
    return edit


@pytest.mark.parametrize("action", ["SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS"])
def test_start_reports_a_failed_execve_when_the_filter_refuses_write(root, bundle, rootfs,
                                                                     action):
    """The filter is loaded after the start byte: the process cannot write why
    execve failed, nor exit cleanly; `cell start` still says it, from exec.report."""
    victim = rootfs / "bin" / "victim"
    victim.write_text("#!/bin/sh\nexit 0\n")
    victim.chmod(0o755)
    cid = f"rw-{action[9:].lower()}-{os.getpid()}"
    b = bundle(["/bin/victim"], edit=refusing_cells_own_calls(action))
    ok(oci(root, "create", "--bundle", b, cid))
    try:
        victim.unlink()
        res = oci(root, "start", cid)
        assert_cell_error(res, 127, "/bin/victim", "No such file or directory")
        assert state(root, cid)["status"] == "stopped"
    finally:
        ok(oci(root, "delete", "--force", cid))
    assert cgroup_dirs(cid) == []


def test_start_reports_an_execve_the_filter_refuses_on_its_arguments(root, bundle):
    cid = f"rx-{os.getpid()}"
    b = bundle(["/bin/true"], edit=refusing_cells_own_calls("SCMP_ACT_ERRNO", True))
    ok(oci(root, "create", "--bundle", b, cid))
    try:
        res = oci(root, "start", cid)
        assert_cell_error(res, 126, "/bin/true", "Operation not permitted")
    finally:
        ok(oci(root, "delete", "--force", cid))
    assert cgroup_dirs(cid) == []


@pytest.mark.parametrize("init", ["--init", "--no-init"])
def test_run_detached_reports_a_refused_execve_under_init_too(root, tdir, init):
    """cell run -d is create + start; under init the command shares init's memory
    until execve (CLONE_VM), and its report mapping is init's to drop."""
    profile = tdir / "profile.json"
    cfg = {"linux": {}, "process": {}}
    refusing_cells_own_calls("SCMP_ACT_ERRNO", True)(cfg)
    profile.write_text(json.dumps(cfg["linux"]["seccomp"]))
    cid = f"rd{init[2:4]}-{os.getpid()}"
    res = oci(root, "run", "-d", init, "--name", cid, "--security-opt",
              f"seccomp={profile}", "--", "/bin/true")
    assert_cell_error(res, 126, "/bin/true", "Operation not permitted")
    assert_nothing_left(root, cid)


# ------------------------------------------------- namespaces joined by path


@pytest.fixture
def holder():
    """A process in a new pid and mount namespace (unshare -m -pf), killed at teardown."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is needed")
    p = subprocess.Popen(["unshare", "-m", "--propagation", "private", "-pf", "--mount-proc",
                          "sleep", "60"], stdin=subprocess.DEVNULL)
    children = pathlib.Path(f"/proc/{p.pid}/task/{p.pid}/children")
    deadline = time.monotonic() + 5
    while not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = int(children.read_text().split()[0])
    yield pid
    os.kill(pid, signal.SIGKILL)  # PID 1 of its namespace ignores SIGTERM
    # its exit waits until every process of the namespace is reaped, and a
    # container process that outlived cell create is this session's (subreaper)
    deadline = time.monotonic() + 10
    while p.poll() is None and time.monotonic() < deadline:
        _reap_zombies()
        time.sleep(0.02)
    assert p.poll() is not None, "the holder did not exit"


def join_pid_and_mnt(pid):
    def edit(cfg):
        for ns in cfg["linux"]["namespaces"]:
            if ns["type"] == "pid":
                ns["path"] = f"/proc/{pid}/ns/pid"
            elif ns["type"] == "mount":
                ns["path"] = f"/proc/{pid}/ns/mnt"
    return edit


def test_run_in_joined_pid_and_mount_namespaces_sets_up_the_root(root, bundle, rootfs, holder):
    """The process is in the joined pid namespace (setns moves only children) and
    sees the bundle's root, not the joined namespace's, with /proc of its pid
    namespace."""
    (rootfs / "bundle-root").write_text("")
    b = bundle(["sh", "-c", "readlink /proc/self/ns/pid; ls /bundle-root; cat /proc/1/comm"],
               edit=join_pid_and_mnt(holder))
    out = ok(oci(root, "run", "--bundle", b, "jp-run")).split("\n")
    assert out[0] == os.readlink(f"/proc/{holder}/ns/pid")
    assert out[1] == "/bundle-root"
    assert out[2] == "sleep"  # the holder is PID 1 there


def test_state_pid_of_a_joined_pid_namespace_is_the_runtimes_view(root, bundle, holder):
    """state.pid is the container process's PID in cell's pid namespace, and that
    process is inside the joined one."""
    b = bundle(["sleep", "30"], edit=join_pid_and_mnt(holder))
    ok(oci(root, "create", "--bundle", b, "jp-st"))
    try:
        pid = state(root, "jp-st")["pid"]
        assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{holder}/ns/pid")
        with open(f"/proc/{pid}/status") as f:
            nspid = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
        assert nspid[0] == str(pid) and len(nspid) == 2
        ok(oci(root, "start", "jp-st"))
        assert state(root, "jp-st")["status"] == "running"
    finally:
        ok(oci(root, "delete", "--force", "jp-st"))
