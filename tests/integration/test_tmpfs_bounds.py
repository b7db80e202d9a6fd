"""Bounded writable space (issue 11): the tmpfs of `cell run` and of `cell spec` bundles have
a size and an inode limit, as statfs(2) shows inside; writing past them is ENOSPC; their
pages are charged to the container's memory cgroup."""
import json
import os

import pytest

from test_escapes import _children_named, oci_bundle

ENOSPC = 28
GIB = 1 << 30

STATFS = r"""
import json, os, sys
out = {}
for path in sys.argv[1:]:
    st = os.statvfs(path)
    out[path] = [st.f_blocks * st.f_frsize, st.f_files]
print(json.dumps(out))
"""

# Fill @path with data until the kernel says no, then with empty files.
FILL = r"""
import errno, json, os, sys
out = {}
for path in sys.argv[1:]:
    res = {}
    try:
        with open(path + "/big", "wb") as f:
            for _ in range(1 << 12):
                f.write(b"x" * (1 << 20))
                f.flush()
        res["data"] = "no error"
    except OSError as e:
        res["data"] = errno.errorcode[e.errno]
    os.unlink(path + "/big")
    try:
        for i in range(1 << 20):
            open(f"{path}/f{i}", "w").close()
        res["inodes"] = "no error"
    except OSError as e:
        res["inodes"] = errno.errorcode[e.errno]
    res["files"] = len(os.listdir(path))
    out[path] = res
print(json.dumps(out))
"""


def ram():
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def statfs(run, user, *flags):
    r = run(["run", *flags, "--", "python3", "-c", STATFS, "/tmp", "/dev/shm", "/var/tmp"],
            user=user)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_run_defaults_bound_tmp_and_shm_in_size_and_inodes(run, user):
    # unbounded, a tmpfs is half of RAM with as many inodes as half its pages
    tmp = min(ram() // 4, GIB) // 1024 * 1024
    seen = statfs(run, user)
    assert seen["/tmp"] == [tmp, tmp // (16 << 10)], seen
    assert seen["/var/tmp"] == seen["/tmp"], seen
    assert seen["/dev/shm"] == [64 << 20, 4096], seen


def test_size_flags_and_tmpfs_option_set_the_bounds(run, user):
    seen = statfs(run, user, "--tmp-size", "48m", "--shm-size", "8m")
    assert seen["/tmp"] == [48 << 20, 3072] and seen["/var/tmp"] == seen["/tmp"], seen
    assert seen["/dev/shm"] == [8 << 20, 1024], seen
    # --tmpfs DST:OPTS keeps working: its size, and its own nr_inodes
    seen = statfs(run, user, "--tmpfs", "/tmp:size=3m,nr_inodes=77")
    assert seen["/tmp"] == [3 << 20, 77], seen


def test_memory_limit_caps_the_default_tmp_at_half(run):
    seen = statfs(run, None, "--memory", "96m")
    assert seen["/tmp"][0] == 48 << 20, seen


def test_writing_past_the_bounds_is_enospc(run, user):
    r = run(["run", "--tmp-size", "4m", "--shm-size", "2m", "--", "python3", "-c", FILL,
             "/tmp", "/dev/shm"], user=user)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    for path, inodes in (("/tmp", 1024), ("/dev/shm", 1024)):
        assert seen[path]["data"] == "ENOSPC" and seen[path]["inodes"] == "ENOSPC", seen
        # the root directory is one of the inodes
        assert seen[path]["files"] == inodes - 1, seen


def test_cell_spec_bundle_bounds_dev_shm(tdir, rootfs, user):
    r = oci_bundle(tdir, rootfs, "grep ' /dev/shm ' /proc/self/mountinfo; "
                   "df -k /dev/shm | tail -1; df -i /dev/shm | tail -1", user=user)
    assert r.returncode == 0, r.stderr
    info, blocks, inodes = r.stdout.splitlines()
    assert "size=65536k" in info and "nr_inodes=4096" in info, info
    assert blocks.split()[1] == "65536" and inodes.split()[1] == "4096", r.stdout


def test_cell_spec_with_run_flags_writes_the_bounds(run):
    r = run(["spec", "-b", "-", "--tmp-size", "10m", "--", "true"])
    assert r.returncode == 0, r.stderr
    mounts = {m["destination"]: m["options"] for m in json.loads(r.stdout)["mounts"]}
    assert "size=10240k" in mounts["/tmp"] and "nr_inodes=1024" in mounts["/tmp"], mounts
    assert "size=65536k" in mounts["/dev/shm"] and "nr_inodes=4096" in mounts["/dev/shm"]


# Pages of a tmpfs are charged to the memory cgroup of the process that faults them
# in (Documentation/admin-guide/cgroup-v1/memory.rst 2.2.1; cgroup-v2.rst "shmem").
CHARGE = r"""
import sys
print("before", flush=True)
sys.stdin.readline()
with open("/tmp/f", "wb") as f:
    f.write(b"x" * (48 << 20))
print("after", flush=True)
sys.stdin.readline()
"""


def memory_usage(pid):
    for line in open(f"/proc/{pid}/cgroup").read().splitlines():
        _, ctrls, path = line.split(":", 2)
        if "memory" in ctrls.split(","):
            return int(open(f"/sys/fs/cgroup/memory{path}/memory.usage_in_bytes").read())
        if ctrls == "" and os.path.exists(f"/sys/fs/cgroup{path}/memory.current"):
            return int(open(f"/sys/fs/cgroup{path}/memory.current").read())
    pytest.skip("no memory controller for the container")


def test_tmp_pages_are_charged_to_the_containers_memory_cgroup(start):
    c = start(["run", "--no-init", "--memory", "256m", "--", "python3", "-c", CHARGE])
    c.wait_for("before")
    inside = _children_named(c.pid, "python3")
    before = memory_usage(inside)
    c.proc.stdin.write(b"\n")
    c.proc.stdin.flush()
    c.wait_for("after")
    after = memory_usage(inside)
    c.proc.stdin.write(b"\n")
    c.proc.stdin.flush()
    status, _, err = c.finish()
    assert status == 0, err
    # 48 MiB of tmpfs pages, less what the baseline held and the kernel has
    # since uncharged (seen: 4 KiB short); the 48 MiB buffer itself is freed
    assert after - before >= 46 << 20, (before, after)
