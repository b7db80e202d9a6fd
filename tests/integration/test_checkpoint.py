"""cell checkpoint and cell restore, through criu(8).

What the kernel shows is checked: the restored process's count in its own
file, its CLOCK_MONOTONIC, its time namespace's offsets in /proc/PID/timens_offsets,
the TCP connection's state in the container's /proc/net/tcp. Where criu cannot
work on this kernel (`criu check` fails), the tests that need it skip with
criu's own reason, and the ones left check that cell says so in one line and
leaves the container, state, cgroups and mounts as they were.
"""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import CELL, assert_cell_error
from test_oci import assert_no_container, bundle, cgroup_dirs, oci, ok, root, state  # noqa: F401

COUNTER = os.environ.get("CLOCK_COUNTER",
                         os.path.join(os.path.dirname(CELL), "clock_counter"))


def _criu_check():
    """None when criu works here, else criu's reason (its first real error)."""
    if not shutil.which("criu"):
        return "criu is not installed (Debian: apt-get install criu)"
    r = subprocess.run(["criu", "check"], capture_output=True, text=True)
    if r.returncode == 0:
        return None
    for line in (r.stderr + r.stdout).splitlines():
        m = re.search(r"Error \([^)]*\): (.*)", line)
        if m and not m.group(1).startswith("exited, status="):
            return m.group(1)
    return f"criu check exited {r.returncode}"


CRIU_REASON = _criu_check()
needs_criu = pytest.mark.skipif(CRIU_REASON is not None,
                                reason=f"criu check: {CRIU_REASON}")
criu_broken = pytest.mark.skipif(CRIU_REASON is None,
                                 reason="criu works on this kernel: nothing to refuse")


def uid():
    return f"{os.getpid()}-{time.monotonic_ns() % 100000}"


def with_time_ns(cfg):
    cfg["linux"]["namespaces"].append({"type": "time"})


def counter_bundle(bundle):
    d = bundle(["/bin/clock_counter", "/tmp/count"], edit=with_time_ns)
    shutil.copy2(COUNTER, d / "rootfs" / "bin" / "clock_counter")
    return d


def read_count(b):
    text = (b / "rootfs" / "tmp" / "count").read_text().split()
    count, mono, boot = (int(x) for x in text)
    return count, mono, boot


def wait_count(b, above, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = read_count(b)
            if c[0] > above:
                return c
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.02)
    raise AssertionError(f"the counter did not pass {above}")


def run_detached(root, b, cid):
    ok(oci(root, "run", "-d", "--bundle", b, cid))


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_features_lists_checkpoint_through_criu():
    doc = json.loads(ok(oci(None, "features")))
    assert doc["annotations"]["run.cell.checkpoint"] == "criu"


def test_checkpoint_refuses_a_container_that_is_not_running(root, bundle):
    cid = f"cp-created-{uid()}"
    b = bundle(["sleep", "60"])
    ok(oci(root, "create", "--bundle", b, cid))
    try:
        res = oci(root, "checkpoint", "--image-path", b / "img", cid)
        assert_cell_error(res, 125, f"container {cid} is created, not running")
        assert not (b / "img").exists()
        assert state(root, cid)["status"] == "created"
    finally:
        ok(oci(root, "delete", "--force", cid))


def test_restore_flags_of_checkpoint_are_refused_by_name(root, bundle):
    res = oci(root, "restore", "--leave-running", "x")
    assert_cell_error(res, 125, "--leave-running")
    res = oci(root, "checkpoint", "--detach", "x")
    assert_cell_error(res, 125, "--detach")
    res = oci(root, "checkpoint", "--manage-cgroups-mode", "sometimes", "x")
    assert_cell_error(res, 125, "--manage-cgroups-mode sometimes")


@criu_broken
def test_checkpoint_where_criu_cannot_work_says_why_and_leaves_it_running(root, bundle):
    cid = f"cp-broken-{uid()}"
    b = counter_bundle(bundle)
    run_detached(root, b, cid)
    try:
        pid = state(root, cid)["pid"]
        res = oci(root, "checkpoint", "--image-path", b / "img", cid)
        assert res.returncode == 125
        lines = res.stderr.strip().splitlines()
        # one line, in criu check's words; criu's own output stays in its files
        assert len(lines) == 1, res.stderr
        assert "criu cannot work on this kernel" in lines[0]
        assert CRIU_REASON in lines[0]
        assert pid_alive(pid)
        assert state(root, cid)["status"] == "running"
        before = read_count(b)[0]
        wait_count(b, before)
    finally:
        ok(oci(root, "delete", "--force", cid))


@criu_broken
def test_restore_where_criu_cannot_work_leaves_no_state_cgroup_or_mount(root, bundle):
    cid = f"rs-broken-{uid()}"
    b = counter_bundle(bundle)
    (b / "img").mkdir()
    res = oci(root, "restore", "-d", "--bundle", b, "--image-path", b / "img", cid)
    assert res.returncode == 125
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and CRIU_REASON in lines[0], res.stderr
    assert_no_container(root, cid)
    assert not (root / cid).exists()
    assert cgroup_dirs(cid) == []


def checkpoint_and_restore(root, b, cid, gap, new_root=None, flags=()):
    """Checkpoint, wait @gap seconds, restore -d (on @new_root if given)."""
    img = b / "img"
    ok(oci(root, "checkpoint", "--image-path", img, *flags, cid))
    # without --leave-running the container is gone and deleted, as with runc
    assert_no_container(root, cid)
    assert cgroup_dirs(cid) == []
    time.sleep(gap)
    target = new_root or root
    ok(oci(target, "restore", "-d", "--bundle", b, "--image-path", img, *flags, cid))
    return target


@needs_criu
def test_restored_counter_goes_on_and_its_monotonic_clock_did_not_jump(root, bundle):
    cid = f"cp-count-{uid()}"
    b = counter_bundle(bundle)
    run_detached(root, b, cid)
    target = root
    try:
        count1, mono1, boot1 = wait_count(b, 10)
        target = checkpoint_and_restore(root, b, cid, gap=2.0)
        st = state(target, cid)
        assert st["status"] == "running"
        count2, mono2, boot2 = wait_count(b, count1)
        # the same process: its count goes on, it did not start again from 1
        assert count1 < count2 < count1 + 40
        # 2 s passed on the host between dump and restore; inside, the clocks
        # went on from the dump: what passed is the counter's own run time
        assert 0 < mono2 - mono1 < 1_500_000_000, (mono1, mono2)
        assert 0 < boot2 - boot1 < 1_500_000_000, (boot1, boot2)
        with open(f"/proc/{st['pid']}/timens_offsets") as f:
            offsets = dict(line.split(None, 1) for line in f)
        assert offsets["monotonic"].split() != ["0", "0"]
        assert cgroup_dirs(cid), "the restored container has no cgroup of cell's"
        with open(f"/proc/{st['pid']}/cgroup") as f:
            assert f"/cell-{cid}" in f.read()
    finally:
        oci(target, "delete", "--force", cid)


@needs_criu
def test_restore_on_another_root_runs_there(root, bundle, tdir):
    cid = f"cp-move-{uid()}"
    b = counter_bundle(bundle)
    other = tdir / "other-root"
    other.mkdir()
    run_detached(root, b, cid)
    target = root
    try:
        count1, _, _ = wait_count(b, 5)
        target = checkpoint_and_restore(root, b, cid, gap=0.2, new_root=other)
        assert state(other, cid)["status"] == "running"
        assert_no_container(root, cid)
        count2, _, _ = wait_count(b, count1)
        assert count2 < count1 + 40
    finally:
        oci(target, "delete", "--force", cid)


TCP_SCRIPT = (
    "nc -l -p 5000 > /tmp/got & sleep 0.3; "
    "i=0; while true; do i=$((i+1)); echo line$i; sleep 0.1; done | nc 127.0.0.1 5000"
)


def established(pid, port=5000):
    """Established loopback connections on @port in @pid's network namespace."""
    with open(f"/proc/{pid}/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    hexport = f"{port:04X}"
    return [r for r in rows if r[3] == "01" and (r[1].endswith(":" + hexport) or
                                                  r[2].endswith(":" + hexport))]


@needs_criu
def test_established_tcp_connection_in_its_own_net_namespace_survives(root, bundle):
    cid = f"cp-tcp-{uid()}"
    b = bundle(["sh", "-c", TCP_SCRIPT])
    run_detached(root, b, cid)
    target = root
    got = b / "rootfs" / "tmp" / "got"
    try:
        deadline = time.monotonic() + 10
        while not (got.exists() and got.read_text().count("\n") >= 5):
            assert time.monotonic() < deadline, "no data over the connection"
            time.sleep(0.05)
        pid = state(root, cid)["pid"]
        assert len(established(pid)) == 2
        # without --tcp-established criu refuses: an established connection
        res = oci(root, "checkpoint", "--leave-running", "--image-path", b / "no", cid)
        assert res.returncode == 125
        lines_before = got.read_text().count("\n")
        target = checkpoint_and_restore(root, b, cid, gap=0.3, flags=["--tcp-established"])
        pid = state(target, cid)["pid"]
        assert len(established(pid)) == 2
        # the same connection carries the lines on: no new one was made
        deadline = time.monotonic() + 10
        while got.read_text().count("\n") < lines_before + 5:
            assert time.monotonic() < deadline, "the connection carried nothing more"
            time.sleep(0.05)
        text = got.read_text().split()
        nums = [int(x[4:]) for x in text if x.startswith("line")]
        assert nums == list(range(1, len(nums) + 1))
    finally:
        oci(target, "delete", "--force", cid)


# ---------------------------------------------------------------------------
# cell's side of the work, with criu played by a stand-in (this kernel may
# have no working criu): the arguments cell hands over, the state, cgroup,
# pid file and mounts it keeps around a dump and a restore.

FAKE_CRIU = r'''#!/usr/bin/python3
import json, os, subprocess, sys
args = sys.argv[1:]
if args[0] == "check":
    sys.exit(0)
opt = lambda name: args[args.index(name) + 1] if name in args else None
work = opt("-W")
rec = {"argv": args}
if args[0] == "dump":
    os.kill(int(opt("-t")), 9)
else:
    root = opt("--root")
    with open("/proc/self/mountinfo") as f:
        rec["root_is_mount"] = any(l.split()[4] == root for l in f)
    rec["root_has_counter"] = os.path.exists(root + "/bin/clock_counter")
    def enter_cgroup():
        # criu --cgroup-root: the tree runs in the cgroup cell made, from its start
        for ctrl in os.listdir("/sys/fs/cgroup"):
            procs = f"/sys/fs/cgroup/{ctrl}{opt('--cgroup-root')}/cgroup.procs"
            if os.path.exists(procs):
                with open(procs, "w") as f:
                    f.write("0")
    p = subprocess.Popen(["sh", "-c", os.environ.get("FAKE_TASK", "sleep 60")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=enter_cgroup)
    with open(os.path.join(work, opt("--pidfile")), "w") as f:
        f.write(str(p.pid))
with open(os.path.join(work, args[0] + ".json"), "w") as f:
    json.dump(rec, f)
'''


@pytest.fixture
def fake_criu(tdir):
    d = tdir / "fakebin"
    d.mkdir()
    (d / "criu").write_text(FAKE_CRIU)
    os.chmod(d / "criu", 0o755)
    return {"PATH": f"{d}:/usr/sbin:/usr/bin:/sbin:/bin"}


def with_bind(src):
    def edit(cfg):
        with_time_ns(cfg)
        cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(src),
                              "options": ["rbind", "ro"]})
    return edit


def test_checkpoint_names_bind_mounts_external_and_deletes_the_container(
        root, bundle, fake_criu, visible_dir):
    cid = f"fake-cp-{uid()}"
    b = bundle(["/bin/clock_counter", "/tmp/count"], edit=with_bind(visible_dir))
    shutil.copy2(COUNTER, b / "rootfs" / "bin" / "clock_counter")
    run_detached(root, b, cid)
    pid = state(root, cid)["pid"]
    res = oci(root, "checkpoint", "--image-path", b / "img", "--work-path", b / "work",
              "--tcp-established", cid, env=fake_criu)
    if res.returncode:
        oci(root, "delete", "--force", cid)
    ok(res)
    argv = json.loads((b / "work" / "dump.json").read_text())["argv"]
    assert argv[:3] == ["dump", "-t", str(pid)]
    assert ["-D", str(b / "img")] == argv[argv.index("-D"):argv.index("-D") + 2]
    assert "mnt[/data]:/data" in argv and "--tcp-established" in argv
    assert "--manage-cgroups=soft" in argv and "--leave-running" not in argv
    stdio = json.loads((b / "img" / "descriptors.json").read_text())
    # what fds 0..2 were: pipes among them are handed back at restore
    assert len(stdio) == 3 and stdio[0] == "/dev/null"
    # the dump ended the process: cell deleted what was left, as runc does
    assert_no_container(root, cid)
    assert cgroup_dirs(cid) == []


def test_restore_puts_the_tree_in_cells_cgroup_and_shows_it_running(
        root, bundle, fake_criu, visible_dir, tdir):
    cid = f"fake-rs-{uid()}"
    b = bundle(["/bin/clock_counter", "/tmp/count"], edit=with_bind(visible_dir))
    shutil.copy2(COUNTER, b / "rootfs" / "bin" / "clock_counter")
    (b / "img").mkdir()
    pid_file = tdir / "restored.pid"
    res = oci(root, "restore", "-d", "--bundle", b, "--image-path", b / "img",
              "--pid-file", pid_file, cid, env=fake_criu)
    try:
        ok(res)
        rec = json.loads((b / "img" / "restore.json").read_text())
        argv = rec["argv"]
        assert "--restore-detached" in argv
        assert f"mnt[/data]:{visible_dir}" in argv
        assert argv[argv.index("--cgroup-root") + 1] == f"/cell-{cid}"
        # criu --root was a mount of the bundle's rootfs, gone after the restore
        assert rec["root_is_mount"] and rec["root_has_counter"]
        assert not any(p == argv[argv.index("--root") + 1]
                       for p in open("/proc/self/mountinfo").read().split())
        st = state(root, cid)
        assert st["status"] == "running"
        assert int(pid_file.read_text()) == st["pid"]
        with open(f"/proc/{st['pid']}/cgroup") as f:
            assert f"/cell-{cid}" in f.read()
    finally:
        oci(root, "delete", "--force", cid)
    assert cgroup_dirs(cid) == []


def test_restore_without_detach_waits_and_returns_the_status(root, bundle, fake_criu):
    cid = f"fake-wait-{uid()}"
    b = bundle(["/bin/true"])
    (b / "img").mkdir()
    env = dict(fake_criu, FAKE_TASK="sleep 0.3; exit 7")
    res = oci(root, "restore", "--bundle", b, "--image-path", b / "img", cid, env=env)
    # criu exited first: cell, a subreaper, got the tree and its status
    assert res.returncode == 7, res.stderr
    assert_no_container(root, cid)
    assert cgroup_dirs(cid) == []


# ---------------------------------------------------------------------------
# Podman's `container checkpoint` / `restore` with cell as its runtime.

try:
    from test_podman import IMAGE, podman, podman_store  # noqa: F401
except ImportError:  # pragma: no cover - test_podman sits beside this file
    IMAGE = None


@needs_criu
def test_podman_checkpoint_and_restore_go_on_counting(podman):
    name = f"cp-podman-{uid()}"
    script = "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done"
    r = podman.run("-d", "--name", name, IMAGE, "sh", "-c", script)
    assert r.returncode == 0, r.stderr
    time.sleep(1)
    c1 = int(podman("exec", name, "cat", "/tmp/n", check=True).stdout)
    r = podman("container", "checkpoint", name)
    assert r.returncode == 0, r.stderr
    r = podman("container", "restore", name)
    assert r.returncode == 0, r.stderr
    time.sleep(0.5)
    c2 = int(podman("exec", name, "cat", "/tmp/n", check=True).stdout)
    assert c1 < c2 < c1 + 40
