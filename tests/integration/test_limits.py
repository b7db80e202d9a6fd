"""Resource limits: the cgroup files cell writes (cgroup v1 on this host), and their effect."""
import os
import re
import time
import uuid

import pytest

from conftest import CGROUP_ROOT, cell_cgroups, read_file  # noqa: E402

NAME = re.compile(r"^cell-[0-9a-f]{12}$")
WAIT_SCRIPT = "echo ready; read x; exit 0"


def _v1(controller):
    path = os.path.join(CGROUP_ROOT, controller)
    if not os.path.isfile(os.path.join(path, "cgroup.procs")) or \
            os.path.isfile(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        pytest.skip(f"no cgroup v1 {controller} hierarchy at {path}")
    return path




class Limited:
    """A container started with limits, stopped at ready; its cgroup directories."""

    def __init__(self, start, flags):
        self.before = cell_cgroups()
        self.c = start(["run", *flags, "--", "sh", "-c", WAIT_SCRIPT])
        self.c.wait_for("ready")
        self.dirs = cell_cgroups() - self.before

    def dir(self, controller):
        root = _v1(controller)
        found = [d for d in self.dirs if os.path.dirname(d) == root]
        assert len(found) == 1, f"expected one cell-* cgroup under {root}: {sorted(self.dirs)}"
        assert NAME.match(os.path.basename(found[0])), found[0]
        return found[0]

    def file(self, controller, name):
        return read_file(os.path.join(self.dir(controller), name))

    def finish(self):
        status, out, err = self.c.finish()
        assert status == 0, err
        for d in self.dirs:
            assert not os.path.exists(d), f"{d} still exists after the container ended"


def test_no_cgroup_is_created_without_limits(start):
    lim = Limited(start, [])
    assert lim.dirs == set()
    lim.finish()


def test_memory_limit_is_written_and_the_container_is_in_its_cgroup(start):
    lim = Limited(start, ["--memory", "64m"])
    d = lim.dir("memory")
    assert read_file(f"{d}/memory.limit_in_bytes") == str(64 << 20)
    assert read_file(f"{d}/cgroup.procs").split(), "nothing runs in the container's cgroup"
    lim.finish()


@pytest.mark.parametrize("size,value", [
    ("67108864", 64 << 20), ("65536k", 64 << 20), ("64M", 64 << 20), ("1g", 1 << 30),
])
def test_memory_size_suffixes(start, size, value):
    lim = Limited(start, ["--memory", size])
    assert lim.file("memory", "memory.limit_in_bytes") == str(value)
    lim.finish()


def test_memory_swap_limit(start):
    _v1("memory")
    if not os.path.exists(f"{CGROUP_ROOT}/memory/memory.memsw.limit_in_bytes"):
        pytest.skip("no swap accounting (memory.memsw.*)")
    lim = Limited(start, ["--memory", "64m", "--memory-swap", "128m"])
    assert lim.file("memory", "memory.memsw.limit_in_bytes") == str(128 << 20)
    lim.finish()


OOM_SCRIPT = "head -c 64m /dev/zero | tail >/dev/null"  # tail holds the whole line
OOM_REPORT = ("cell: the container ran out of memory and was OOM-killed "
              "(linux.resources.memory.limit 16777216 bytes)")


def test_oom_kill_is_reported_with_the_limit_by_run(run):
    r = run(["run", "--memory", "16m", "--memory-swap", "16m", "--", "sh", "-c", OOM_SCRIPT])
    assert r.returncode == 128 + 9, r.stderr  # the container's init died by SIGKILL
    assert r.stderr.splitlines()[-1] == OOM_REPORT, r.stderr


def test_oom_kill_is_reported_with_the_limit_by_run_bundle(run, tdir):
    bundle, state = tdir / "bundle", tdir / "state"
    bundle.mkdir()
    state.mkdir()
    spec = run(["spec", "-b", bundle, "--memory", "16m", "--memory-swap", "16m", "--",
                "sh", "-c", OOM_SCRIPT])
    assert spec.returncode == 0, spec.stderr
    r = run(["--root", state, "run", "--bundle", bundle, f"oom-{uuid.uuid4().hex[:8]}"])
    assert r.returncode == 128 + 9, r.stderr
    assert r.stderr.splitlines()[-1] == OOM_REPORT, r.stderr
    assert os.listdir(state) == []


def test_memory_swap_minus_one_is_unlimited(start):
    _v1("memory")
    path = f"{CGROUP_ROOT}/memory/memory.memsw.limit_in_bytes"
    if not os.path.exists(path):
        pytest.skip("no swap accounting (memory.memsw.*)")
    lim = Limited(start, ["--memory", "64m", "--memory-swap", "-1"])
    assert lim.file("memory", "memory.memsw.limit_in_bytes") == read_file(path)
    assert lim.file("memory", "memory.limit_in_bytes") == str(64 << 20)
    lim.finish()


@pytest.mark.parametrize("cpus,quota", [("0.5", 50000), ("1.5", 150000)])
def test_cpus_sets_the_cfs_quota(start, cpus, quota):
    lim = Limited(start, ["--cpus", cpus])
    assert int(lim.file("cpu", "cpu.cfs_quota_us")) == quota
    assert int(lim.file("cpu", "cpu.cfs_period_us")) == 100000
    lim.finish()


def test_cpu_quota_and_period(start):
    lim = Limited(start, ["--cpu-quota", "20000", "--cpu-period", "50000"])
    assert int(lim.file("cpu", "cpu.cfs_quota_us")) == 20000
    assert int(lim.file("cpu", "cpu.cfs_period_us")) == 50000
    lim.finish()


def test_cpu_shares(start):
    lim = Limited(start, ["--cpu-shares", "512"])
    assert lim.file("cpu", "cpu.shares") == "512"
    lim.finish()


def test_cpuset_is_written(start):
    lim = Limited(start, ["--cpuset-cpus", "0", "--cpuset-mems", "0"])
    assert lim.file("cpuset", "cpuset.cpus") == "0"
    assert lim.file("cpuset", "cpuset.mems") == "0"
    lim.finish()


def test_cpuset_restricts_the_cpus_the_command_may_use(run):
    _v1("cpuset")
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs at least two CPUs to tell a restriction apart")
    r = run(["run", "--cpuset-cpus", "0", "--", "grep", "Cpus_allowed_list", "/proc/self/status"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[1] == "0"


def test_pids_limit_is_written(start):
    lim = Limited(start, ["--pids-limit", "20"])
    assert lim.file("pids", "pids.max") == "20"
    lim.finish()


def test_fork_bomb_stops_at_the_pids_limit(start):
    root = _v1("pids")
    before = cell_cgroups()
    c = start(["run", "--pids-limit", "20", "--", "sh", "-c",
               "for i in $(seq 50); do sleep 2 & done; wait"])
    peak, limit, deadline = 0, None, time.monotonic() + 20
    while c.proc.poll() is None and time.monotonic() < deadline:
        for d in cell_cgroups() - before:
            if os.path.dirname(d) != root:
                continue
            try:
                peak = max(peak, int(read_file(f"{d}/pids.current")))
                limit = read_file(f"{d}/pids.max")
            except (OSError, ValueError):
                pass
        c._pump(0.01)
    status, out, err = c.finish(timeout=15)
    assert limit == "20"
    assert 10 <= peak <= 20, f"pids.current peaked at {peak}"
    assert re.search(r"fork|Resource temporarily unavailable", err, re.I), err


def test_memory_hog_is_oom_killed_with_137_and_a_message(run):
    _v1("memory")
    r = run(["run", "--memory", "32m", "--memory-swap", "32m", "--",
             "python3", "-c", "x = 'a' * (200 << 20)"], timeout=60)
    assert r.returncode == 137, r.stderr
    assert "OOM" in r.stderr, r.stderr


def test_limits_are_removed_when_cell_is_interrupted(start):
    before = cell_cgroups()
    c = start(["run", "--memory", "64m", "--pids-limit", "50", "--", "sh", "-c",
               "echo ready; sleep 30"])
    c.wait_for("ready")
    made = cell_cgroups() - before
    assert made, "no cgroup was created"
    c.send_signal(15)
    status, _, err = c.finish(timeout=10)
    assert status == 143, err
    assert not any(os.path.exists(d) for d in made)


WEIGHT_FILES = ("blkio.weight", "blkio.bfq.weight")


def _blkio_weight_files():
    """The weight files the kernel gives a child blkio cgroup: blkio.weight (CFQ, gone in 5.0)
    or blkio.bfq.weight (BFQ), or none when no block device can use BFQ. The root cgroup never
    has them, so a child made for this probe is asked, and removed."""
    probe = os.path.join(_v1("blkio"), f"celltest-probe-{uuid.uuid4().hex[:8]}")
    os.mkdir(probe)
    try:
        return [f for f in WEIGHT_FILES if os.path.exists(os.path.join(probe, f))]
    finally:
        os.rmdir(probe)


def test_blkio_weight_is_written_to_the_weight_file_the_kernel_offers(start):
    if not _blkio_weight_files():
        pytest.skip("the v1 blkio controller offers no weight file "
                    "(neither blkio.weight nor blkio.bfq.weight: no BFQ I/O scheduler)")
    lim = Limited(start, ["--blkio-weight", "500"])
    d = lim.dir("blkio")
    files = [f for f in WEIGHT_FILES if os.path.exists(f"{d}/{f}")]
    assert files, f"cell accepted --blkio-weight but {d} has no weight file"
    # blkio.bfq.weight reads "default 500"; blkio.weight reads "500".
    assert read_file(f"{d}/{files[0]}").split()[-1] == "500"
    lim.finish()


def test_blkio_weight_without_a_weight_file_exits_125_naming_field_and_path(run, cell_error):
    if _blkio_weight_files():
        pytest.skip("the kernel offers a blkio weight file: the weight is written, not refused")
    before = cell_cgroups()
    r = run(["run", "--blkio-weight", "500", "--", "true"])
    cell_error(r, 125, "linux.resources.blockIO.weight")
    path = re.search(r"in (/sys/fs/cgroup/blkio/cell-[0-9a-f]{12})\)", r.stderr)
    assert path, f"the cgroup directory is not named: {r.stderr}"
    assert "Operation not supported" in r.stderr, r.stderr
    assert not os.path.exists(path.group(1)), f"{path.group(1)} was left behind"
    assert cell_cgroups() - before == set()


@pytest.mark.parametrize("weight", ["5", "1001", "abc"])
def test_blkio_weight_out_of_range_exits_125(run, cell_error, weight):
    cell_error(run(["run", "--blkio-weight", weight, "--", "true"]), 125, weight)


def _root_block_device():
    st = os.stat("/")
    try:
        with open(f"/sys/dev/block/{os.major(st.st_dev)}:{os.minor(st.st_dev)}/uevent") as f:
            name = dict(line.strip().split("=", 1) for line in f if "=" in line)["DEVNAME"]
    except (OSError, KeyError):
        pytest.skip("cannot find the block device behind /")
    path = f"/dev/{name}"
    if not os.path.exists(path):
        pytest.skip(f"{path} missing")
    return path, f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"


@pytest.mark.parametrize("flag,file", [
    ("--device-read-bps", "blkio.throttle.read_bps_device"),
    ("--device-write-bps", "blkio.throttle.write_bps_device"),
])
def test_device_bps_throttle_is_written(start, flag, file):
    _v1("blkio")
    dev, majmin = _root_block_device()
    lim = Limited(start, [flag, f"{dev}:1048576"])
    assert f"{majmin} 1048576" in lim.file("blkio", file).splitlines()
    lim.finish()


def test_device_bps_of_a_missing_device_exits_125(run, cell_error):
    r = run(["run", "--device-read-bps", "/dev/no-such-disk:1048576", "--", "true"])
    cell_error(r, 125, "/dev/no-such-disk")


@pytest.mark.parametrize("flag,value", [
    ("--cpus", "abc"), ("--cpus", "-1"), ("--pids-limit", "x"), ("--cpu-shares", "x"),
    ("--memory", "-5"), ("--memory", ""), ("--cpu-period", "1.5"),
])
def test_invalid_limit_values_exit_125(run, cell_error, flag, value):
    cell_error(run(["run", flag, value, "--", "true"]), 125)


def test_failed_limit_leaves_no_cgroup(run):
    # A cpuset that does not exist fails while writing limits: nothing may stay.
    before = cell_cgroups()
    r = run(["run", "--memory", "64m", "--cpuset-cpus", "4095", "--", "true"])
    assert r.returncode == 125, r.stderr
    assert cell_cgroups() - before == set()


@pytest.mark.rootless
@pytest.mark.parametrize("flag,value", [("--memory", "64m"), ("--pids-limit", "10")])
def test_rootless_limit_without_delegation_exits_125(run, cell_error, flag, value):
    cell_error(run(["run", flag, value, "--", "true"], user="nobody"), 125, "delegat")
