"""The cgroup API on this host (hybrid: v1 controllers, cgroup2 at /sys/fs/cgroup/unified),
driven step by step by build/cgdriver (tests/helpers/cgdriver.c), each step in a new process
that reopens the cgroup from a state file, as the OCI commands will. The tests check what the
kernel shows: /proc/PID/cgroup of the process, the host's cgroup files, and what a device
access inside returns."""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import CELL, CGROUP_ROOT, read_file  # noqa: E402

DRIVER = os.path.join(os.path.dirname(CELL), "cgdriver")
UNIFIED = os.path.join(CGROUP_ROOT, "unified")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="makes cgroups on the host: root only")


def _need(path):
    if not os.path.exists(path):
        pytest.skip(f"this host has no {path}")


def drive(*args, check=True, root=None):
    argv = [DRIVER, *(["--root", root] if root else []), *map(str, args)]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check:
        assert res.returncode == 0, f"{argv}: {res.stderr}"
    return res




def _cgroup_of(pid, controller):
    """The path of @pid in the hierarchy of @controller ('' for cgroup v2), from /proc/PID/cgroup."""
    for line in read_file(f"/proc/{pid}/cgroup").splitlines():
        _, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(",") or (controller == "" and ctrls == ""):
            return path
    raise AssertionError(f"no {controller} line in /proc/{pid}/cgroup")


@pytest.fixture
def name():
    return "cell-api-" + uuid.uuid4().hex[:8]


@pytest.fixture
def container(tmp_path, name):
    """create(*limits, root=None): a `sleep` in a new cgroup; destroyed (killed first) at the end."""
    made = []

    def create(*limits, root=None):
        state = tmp_path / "state"
        out = drive("create", state, "/" + name, *limits, "--", "sleep", "300", root=root).stdout
        pid = int(out.split()[1])
        made.append((state, pid, root))
        return state, pid

    yield create
    for state, pid, root in made:
        drive("kill", state, int(signal.SIGKILL), check=False, root=root)
        try:
            os.waitpid(pid, 0)  # the session is the subreaper of the driver's orphans
        except ChildProcessError:
            pass
        drive("destroy", state, check=False, root=root)


def test_v1_device_rule_denies_reading_dev_null(name):
    _need(f"{CGROUP_ROOT}/devices/devices.allow")
    res = drive("run", "/" + name, "--device", "deny a -1 -1 rwm", "--device", "allow c 1 3 w",
                "--", "sh", "-c",
                "head -c1 /dev/null; echo read=$?; echo x >/dev/null; echo write=$?;"
                " grep devices /proc/self/cgroup")
    assert "read=1" in res.stdout and "write=0" in res.stdout, res.stdout + res.stderr
    assert "Operation not permitted" in res.stderr
    assert f"devices:/{name}" in res.stdout
    assert not os.path.exists(f"{CGROUP_ROOT}/devices/{name}")


def test_v1_device_list_on_host_is_the_allowlist(container, name):
    _need(f"{CGROUP_ROOT}/devices/devices.allow")
    state, pid = container("--device", "deny a -1 -1 rwm", "--device", "allow c 1 3 rw",
                           "--device", "allow c 136 -1 rwm")
    assert _cgroup_of(pid, "devices") == "/" + name
    assert read_file(f"{CGROUP_ROOT}/devices/{name}/devices.list").splitlines() == \
        ["c 1:3 rw", "c 136:* rwm"]


def test_v2_device_program_denies_reading_dev_null(name):
    """cgroup2 is at /sys/fs/cgroup/unified here: the eBPF path runs for real there."""
    _need(f"{UNIFIED}/cgroup.controllers")
    res = drive("run", "/" + name, "--device", "deny a -1 -1 rwm", "--device", "allow c 1 3 w",
                "--device", "allow c 1 5 r", "--", "sh", "-c",
                "head -c1 /dev/null; echo null=$?; head -c1 /dev/zero >/dev/null; echo zero=$?;"
                " echo x >/dev/null; echo write=$?; grep '^0::' /proc/self/cgroup",
                root=UNIFIED)
    assert "null=1" in res.stdout and "zero=0" in res.stdout and "write=0" in res.stdout, \
        res.stdout + res.stderr
    assert f"0::/{name}" in res.stdout
    assert not os.path.exists(f"{UNIFIED}/{name}")


def test_v2_device_program_without_rules_allows(name):
    _need(f"{UNIFIED}/cgroup.controllers")
    res = drive("run", "/" + name, "--device", "deny c 1 3 r", "--", "sh", "-c",
                "head -c1 /dev/zero >/dev/null; echo zero=$?", root=UNIFIED)
    assert "zero=0" in res.stdout, res.stdout + res.stderr


def test_v1_freeze_and_thaw_in_later_processes(container, name):
    _need(f"{CGROUP_ROOT}/freezer/cgroup.procs")
    state, pid = container("--pids", 20)
    assert _cgroup_of(pid, "freezer") == "/" + name
    drive("freeze", state)
    assert read_file(f"{CGROUP_ROOT}/freezer/{name}/freezer.state") == "FROZEN"
    assert drive("frozen", state).stdout.strip() == "frozen"
    drive("thaw", state)
    assert read_file(f"{CGROUP_ROOT}/freezer/{name}/freezer.state") == "THAWED"
    assert drive("frozen", state).stdout.strip() == "running"


def test_v2_freeze_sets_cgroup_events_frozen(container, name):
    _need(f"{UNIFIED}/cgroup.controllers")
    state, pid = container(root=UNIFIED)
    assert _cgroup_of(pid, "") == "/" + name
    drive("freeze", state, root=UNIFIED)
    assert "frozen 1" in read_file(f"{UNIFIED}/{name}/cgroup.events")
    with open(f"/proc/{pid}/stat") as f:
        assert f.read().rsplit(")", 1)[1].split()[0] in ("S", "D", "t")
    drive("thaw", state, root=UNIFIED)
    assert "frozen 0" in read_file(f"{UNIFIED}/{name}/cgroup.events")


def test_pids_and_kill_all(container, name):
    state, pid = container("--pids", 20)
    assert drive("pids", state).stdout.split() == [str(pid)]
    drive("kill", state, int(signal.SIGKILL))
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert drive("pids", state).stdout.split() == []


def test_v2_kill_uses_cgroup_kill(container, name):
    _need(f"{UNIFIED}/cgroup.controllers")
    state, pid = container(root=UNIFIED)
    if not os.path.exists(f"{UNIFIED}/{name}/cgroup.kill"):
        pytest.skip("no cgroup.kill (Linux < 5.14)")
    drive("kill", state, int(signal.SIGKILL), root=UNIFIED)
    _, status = os.waitpid(pid, 0)
    assert os.WTERMSIG(status) == signal.SIGKILL


def test_memory_extras_and_update_in_host_files(container, name):
    mem = f"{CGROUP_ROOT}/memory"
    _need(f"{mem}/memory.soft_limit_in_bytes")
    state, pid = container("--memory", 64 << 20, "--memory-reservation", 32 << 20,
                           "--swappiness", 10, "--oom-kill-disable", 1)
    d = f"{mem}/{name}"
    assert _cgroup_of(pid, "memory") == "/" + name
    assert read_file(f"{d}/memory.soft_limit_in_bytes") == str(32 << 20)
    assert read_file(f"{d}/memory.swappiness") == "10"
    assert "oom_kill_disable 1" in read_file(f"{d}/memory.oom_control")
    drive("update", state, "--memory", 96 << 20)
    assert read_file(f"{d}/memory.limit_in_bytes") == str(96 << 20)
    assert read_file(f"{d}/memory.soft_limit_in_bytes") == str(32 << 20)  # not in the update
    res = drive("update", state, "--memory", 4096, "--check-before-update", 1, check=False)
    assert res.returncode == 1 and "below the current usage" in res.stderr, res.stderr
    assert read_file(f"{d}/memory.limit_in_bytes") == str(96 << 20)


def test_cpu_burst_and_idle_in_host_files(container, name):
    _need(f"{CGROUP_ROOT}/cpu/cpu.cfs_burst_us")
    state, pid = container("--cpu-quota", 50000, "--cpu-burst", 10000, "--cpu-idle", 1)
    d = f"{CGROUP_ROOT}/cpu/{name}"
    assert _cgroup_of(pid, "cpu") == "/" + name
    assert read_file(f"{d}/cpu.cfs_quota_us") == "50000"
    assert read_file(f"{d}/cpu.cfs_burst_us") == "10000"
    assert read_file(f"{d}/cpu.idle") == "1"


def test_hybrid_hugetlb_limit_goes_to_unified(container, name):
    _need("/sys/kernel/mm/hugepages/hugepages-2048kB")
    if os.path.exists(f"{CGROUP_ROOT}/hugetlb") or \
            "hugetlb" not in read_file(f"{UNIFIED}/cgroup.controllers"):
        pytest.skip("hugetlb is not in the unified hierarchy of this host")
    state, pid = container("--hugetlb", "2MB=4194304")
    assert _cgroup_of(pid, "") == "/" + name
    assert read_file(f"{UNIFIED}/{name}/hugetlb.2MB.max") == "4194304"
    assert "hugetlb.2MB.usage 0" in drive("stats", state).stdout


def test_unknown_hugepage_size_is_refused_before_any_cgroup(name):
    res = drive("run", "/" + name, "--hugetlb", "3MB=1", "--", "true", check=False)
    assert res.returncode == 1, res.stderr  # cgdriver's failure: nothing ran
    assert 'hugepageLimits[0].pageSize "3MB"' in res.stderr
    assert not any(os.path.exists(os.path.join(CGROUP_ROOT, c, name)) for c in os.listdir(CGROUP_ROOT))


def test_unified_key_on_hybrid_names_the_key(name):
    res = drive("run", "/" + name, "--unified", "memory.high=1000000", "--", "true", check=False)
    assert res.returncode == 1, res.stderr
    assert not any(os.path.exists(os.path.join(CGROUP_ROOT, c, name)) for c in os.listdir(CGROUP_ROOT))
    assert 'unified."memory.high"' in res.stderr


def test_stats_and_oom_counts(container, name):
    state, pid = container("--memory", 64 << 20, "--pids", 20)
    time.sleep(0.05)
    out = dict(line.split() for line in drive("stats", state).stdout.splitlines())
    assert int(out["memory.usage"]) > 0
    assert out["memory.limit"] == str(64 << 20)
    assert out["pids.current"] == "1" and out["pids.limit"] == "20"
    oom = dict(line.split() for line in drive("oom", state).stdout.splitlines())
    assert oom == {"oom": "0", "oom_kill": "0"}


# The victim says "ready" once started and is moved into the cgroup only then. Started inside
# 8 MiB, an interpreter's own start-up faults its text and libraries in against the limit; with a
# cold page cache (a fresh machine) v1 reclaim then evicts and re-reads those pages for ever, each
# pass "making progress", and no OOM kill ever comes (seen on 6.18: failcnt 5.7 million,
# oom_kill 0, 40 s). Pages faulted before the move stay charged to the old cgroup, so the only
# charge here is the 64 MiB the victim then allocates. sys.executable, not "python3": a pyenv shim
# on PATH would run a shell script, its forks and a second interpreter inside the limit.
VICTIM = "import sys; print('ready', flush=True); sys.stdin.read(1); b = bytearray(64 << 20)"


def test_oom_kill_is_counted(tmp_path, name):
    _need(f"{CGROUP_ROOT}/memory/memory.oom_control")
    state = tmp_path / "state"
    drive("create", state, "/" + name, "--memory", 8 << 20)
    proc = None
    try:
        d = f"{CGROUP_ROOT}/memory/{name}"
        proc = subprocess.Popen([sys.executable, "-c", VICTIM], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        assert proc.stdout.readline() == b"ready\n"
        with open(f"{d}/cgroup.procs", "w") as f:
            f.write(str(proc.pid))
        proc.communicate(b"x", timeout=30)
        assert proc.returncode == -signal.SIGKILL
        oom = dict(line.split() for line in drive("oom", state).stdout.splitlines())
        assert int(oom["oom_kill"]) >= 1
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        drive("destroy", state, check=False)
