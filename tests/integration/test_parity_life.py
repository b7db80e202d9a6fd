"""Lifecycle and cgroup behaviours where crun is right (issue 17).

Each test pins down what an outside runtime suite found cell doing differently
from crun: checked through what the kernel and the host show (cgroup files,
/proc, files a hook wrote), not through cell's own output.
"""
import errno
import json
import os
import pwd
import subprocess
import time

import pytest

from conftest import assert_cell_error, hook
from test_oci import assert_no_container, bundle, cgroup_dirs, oci, ok, root, state  # noqa: F401

SUFFIX = str(os.getpid())


def cid(name):
    """A container id unique to this test session (others run tests at the same time)."""
    return f"{name}-{SUFFIX}"


# ------------------------------------------------------------ --config


@pytest.mark.parametrize("command", ["run", "create"])
def test_config_names_the_bundles_config_file_relative_to_the_bundle(root, bundle, tdir,
                                                                      command):
    out = tdir / "ran"
    b = bundle(["sh", "-c", f"echo from-other > /mnt/ran"],
               edit=lambda c: c["mounts"].append(
                   {"destination": "/mnt", "type": "bind", "source": str(tdir),
                    "options": ["rbind"]}))
    os.rename(b / "config.json", b / "other.json")
    c = cid("cfg")
    if command == "run":
        ok(oci(root, "run", "--config", "other.json", "--bundle", b, c))
    else:
        ok(oci(root, "create", "-f", "other.json", "--bundle", b, c))
        ok(oci(root, "start", c))
        deadline = time.monotonic() + 5
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        ok(oci(root, "delete", "--force", c))
    assert out.read_text() == "from-other\n"
    # a name that is not there is an error naming it
    assert_cell_error(oci(root, command, "--config=nothere.json", "--bundle", b, c), 125,
                      "nothere.json")


# ---------------------------------------------------------------- hooks




def test_hooks_without_env_get_the_runtimes_environment_and_the_bundle_as_cwd(root, bundle,
                                                                             tdir):
    log = tdir / "hooks.log"
    body = f'echo "$0 $PARITY_MARK $(pwd)" >> {log}\n'
    h = {k: [{"path": hook(tdir, k, body)}] for k in ("createRuntime", "poststop")}
    # createContainer runs in the container's mount namespace, before pivot_root
    h["createContainer"] = [{"path": "/bin/sh", "args": ["sh", "-c", body, "createContainer"]}]
    # a hook with its own env gets that and nothing else
    h["poststart"] = [{"path": "/bin/sh", "args": ["sh", "-c", body, "poststart"],
                       "env": ["PARITY_MARK=own"]}]
    b = bundle(["true"], edit=lambda c: c.update(hooks=h))
    ok(oci(root, "run", "--bundle", b, cid("hk"), env={"PARITY_MARK": "inherited"}, cwd=tdir))
    got = {line.split()[0].rsplit("/", 1)[-1]: line.split()[1:]
           for line in log.read_text().splitlines()}
    assert got == {"createRuntime": ["inherited", str(b)],
                   "createContainer": ["inherited", str(b)],
                   "poststart": ["own", str(b)],
                   "poststop": ["inherited", str(b)]}


def test_run_detach_runs_the_poststart_hooks_and_delete_the_poststop_ones_in_the_bundle(
        root, bundle, tdir):
    log, stop = tdir / "poststart.log", tdir / "poststop.log"
    h = {"poststart": [{"path": hook(tdir, "ps", f"read s; echo \"$s\" > {log}\n")}],
         "poststop": [{"path": hook(tdir, "pt", f"pwd > {stop}\n")}]}
    b = bundle(["sleep", "30"], edit=lambda c: c.update(hooks=h))
    c = cid("psd")
    ok(oci(root, "run", "-d", "--bundle", b, c))
    try:
        st = json.loads(log.read_text())  # written before run -d returned
        assert st["status"] == "running" and st["id"] == c
        assert st["pid"] == state(root, c)["pid"] > 0
    finally:
        ok(oci(root, "delete", "--force", c, cwd="/"))
    assert stop.read_text() == f"{b}\n"


# ------------------------------------------------------------- delete


def v1_dir(ctrl, c):
    d = f"/sys/fs/cgroup/{ctrl}/cell-{c}"
    if not os.path.isdir(d):
        pytest.skip(f"no v1 {ctrl} hierarchy: {d}")
    return d


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pid, timeout=5):
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_delete_force_removes_the_cgroups_the_container_made_and_what_it_froze(
        root, bundle, paused):
    b = bundle(["sh", "-c", "sleep 40 & exec sleep 41"])
    c = cid("dsub")
    ok(oci(root, "run", "-d", "--bundle", b, c))
    pid = state(root, c)["pid"]
    time.sleep(0.2)
    # what a nested runtime inside would do: cgroups below its own, a process
    # moved down there, one of them frozen on its own
    for ctrl in ("pids", "freezer", "memory"):
        deep = os.path.join(v1_dir(ctrl, c), "inner", "leaf")
        os.makedirs(deep)
        with open(os.path.join(deep, "cgroup.procs"), "w") as f:
            f.write(str(pid))
    with open(os.path.join(v1_dir("freezer", c), "inner", "freezer.state"), "w") as f:
        f.write("FROZEN")
    if paused:
        ok(oci(root, "pause", c))
    ok(oci(root, "delete", "--force", c))
    assert wait_dead(pid)
    assert cgroup_dirs(c) == []
    assert_no_container(root, c)


def test_a_delete_that_fails_names_the_errno_once(root, bundle):
    b = bundle(["true"])
    c = cid("dmsg")
    ok(oci(root, "create", "--bundle", b, c))
    ok(oci(root, "start", c))
    deadline = time.monotonic() + 5
    while state(root, c)["status"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.02)
    # a host process in the stopped container's cgroup: rmdir(2) says EBUSY
    stray = subprocess.Popen(["sleep", "30"])
    try:
        with open(os.path.join(v1_dir("pids", c), "cgroup.procs"), "w") as f:
            f.write(str(stray.pid))
        res = oci(root, "delete", c)
        assert_cell_error(res, 125, "cell-" + c)
        assert res.stderr.count(os.strerror(errno.EBUSY)) == 1, res.stderr
    finally:
        stray.kill()
        stray.wait()
    ok(oci(root, "delete", c))
    assert cgroup_dirs(c) == []


# ------------------------------------------------------- exec --cgroup


def cgroup_of(pid, ctrl):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrl in ctrls.split(","):
                return path
    return None


def test_exec_cgroup_joins_a_sub_cgroup_of_the_named_controllers(root, bundle, tdir):
    b = bundle(["sleep", "30"])
    c = cid("xcg")
    ok(oci(root, "run", "-d", "--bundle", b, c))
    try:
        for ctrl in ("pids", "memory"):
            os.mkdir(os.path.join(v1_dir(ctrl, c), "inner"))
        pid_file = tdir / "exec.pid"
        ok(oci(root, "exec", "-d", "--pid-file", pid_file, "--cgroup", "pids:inner", c,
               "sleep", "30"))
        pid = int(pid_file.read_text())
        assert cgroup_of(pid, "pids") == f"/cell-{c}/inner"
        assert cgroup_of(pid, "memory") == f"/cell-{c}"  # not named: the container's
        # never silently ignored: what cannot be joined fails, naming it
        for bad, needle in (("memory:nothere", "nothere"), ("pids:../up", ".."),
                            ("bogus:inner", "bogus")):
            assert_cell_error(oci(root, "exec", "--cgroup", bad, c, "true"), 125, needle)
    finally:
        ok(oci(root, "delete", "--force", c))
    assert cgroup_dirs(c) == []


# ------------------------------------------------------------- update


def a_block_device():
    with open("/proc/partitions") as f:
        for line in f.read().splitlines()[2:]:
            major, minor, _, name = line.split()
            if not name.startswith(("loop", "ram")):
                return int(major), int(minor)
    pytest.skip("no block device in /proc/partitions")


def test_update_sets_cpuset_and_blkio_on_a_container_created_without_them(root, bundle, tdir):
    major, minor = a_block_device()
    b = bundle(["sh", "-c", "sleep 40 & exec sleep 41"])
    c = cid("upd")
    ok(oci(root, "run", "-d", "--bundle", b, c))
    try:
        time.sleep(0.2)
        pids = sorted(int(p) for p in open(os.path.join(v1_dir("pids", c), "cgroup.procs")))
        assert len(pids) == 2
        assert not os.path.exists(f"/sys/fs/cgroup/cpuset/cell-{c}")  # not at start
        (tdir / "r.json").write_text(json.dumps({
            "cpu": {"cpus": "0", "mems": "0"},
            "blockIO": {"throttleReadBpsDevice": [
                {"major": major, "minor": minor, "rate": 1 << 20}]}}))
        ok(oci(root, "update", "-r", tdir / "r.json", c))
        cpuset, blkio = v1_dir("cpuset", c), v1_dir("blkio", c)
        assert open(os.path.join(cpuset, "cpuset.cpus")).read().strip() == "0"
        assert f"{major}:{minor} {1 << 20}" in \
            open(os.path.join(blkio, "blkio.throttle.read_bps_device")).read()
        for pid in pids:  # every process moved, the one forked before too
            assert cgroup_of(pid, "cpuset") == f"/cell-{c}"
            assert cgroup_of(pid, "blkio") == f"/cell-{c}"
        with open(f"/proc/{pids[0]}/status") as f:
            assert "Cpus_allowed_list:\t0\n" in f.read()
        # the saved cgroup state has them: a later update, exec and delete see them
        assert cpuset in state_json(root, c)["cellCgroup"]
        ok(oci(root, "update", "--cpuset-cpus", "0", c))
    finally:
        ok(oci(root, "delete", "--force", c))
    assert cgroup_dirs(c) == []


def state_json(root, c):
    return json.loads((root / c / "state.json").read_text())


# ------------------------------------------------- devices in a user namespace


def rootless_run(tdir, b, c):
    xdg = tdir / "xdg"
    xdg.mkdir(exist_ok=True)
    os.chown(xdg, pwd.getpwnam("nobody").pw_uid, -1)
    return oci(None, "run", "--bundle", b, c, user="nobody",
               env={"XDG_RUNTIME_DIR": str(xdg)})


def mount_options(mountinfo, target):
    for line in mountinfo.splitlines():
        f = line.split()
        if f[4] == target:
            return set(f[5].split(","))
    raise AssertionError(f"{target} not mounted:\n{mountinfo}")


def test_devices_in_a_user_namespace_bind_the_hosts_node_by_number_nosuid_noexec(tdir,
                                                                                 bundle):
    devices = [{"path": "/dev/myzero", "type": "c", "major": 1, "minor": 5},
               {"path": "/dev/sub/nul", "type": "c", "major": 1, "minor": 3}]
    b = bundle(["sh", "-c", "head -c 3 /dev/myzero | wc -c; echo x > /dev/sub/nul && "
                "echo written; cat /proc/self/mountinfo"],
               edit=lambda cfg: cfg["linux"].update(devices=devices), rootless=True,
               user="nobody")
    out = ok(rootless_run(tdir, b, cid("udev"))).splitlines()
    assert out[:2] == ["3", "written"]
    info = "\n".join(out[2:])
    for node in ("/dev/myzero", "/dev/sub/nul", "/dev/null", "/dev/zero"):
        assert {"nosuid", "noexec"} <= mount_options(info, node), node


def test_a_device_the_host_lacks_is_refused_naming_its_number(tdir, bundle):
    devices = [{"path": "/dev/none", "type": "c", "major": 1, "minor": 250}]
    b = bundle(["true"], edit=lambda cfg: cfg["linux"].update(devices=devices),
               rootless=True, user="nobody")
    res = rootless_run(tdir, b, cid("nodev"))
    assert_cell_error(res, 125, "/dev/none", "c 1:250", "host has no")


def host_node(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid, st.st_mode, st.st_ino, st.st_ctime_ns


def test_devices_in_a_root_made_user_namespace_get_the_requested_owner_and_mode(root,
                                                                                 bundle):
    """cell (root on the host) makes the node on a tmpfs of its own; the host's stays."""
    devices = [{"path": "/dev/myzero", "type": "c", "major": 1, "minor": 5, "uid": 1000,
                "gid": 1001, "fileMode": 0o640},
               {"path": "/dev/sub/nul", "type": "c", "major": 1, "minor": 3, "uid": 2000,
                "fileMode": 0o600},
               {"path": "/dev/dflt", "type": "c", "major": 1, "minor": 9}]

    def edit(cfg):
        cfg["linux"]["namespaces"].append({"type": "user"})
        for k in ("uidMappings", "gidMappings"):
            cfg["linux"][k] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
        cfg["linux"]["devices"] = devices
        cfg["process"]["user"] = {"uid": 1000, "gid": 1001}
    b = bundle(["sh", "-c", "stat -c '%u %g %a %t:%T' /dev/myzero /dev/sub/nul /dev/dflt; "
                "head -c 3 /dev/myzero | wc -c; echo x > /dev/sub/nul; "
                "cat /proc/self/mountinfo"], edit=edit)
    before = [host_node(p) for p in ("/dev/zero", "/dev/null", "/dev/urandom")]
    res = oci(root, "run", "--bundle", b, cid("odev"))
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert out[:4] == ["1000 1001 640 1:5", "2000 0 600 1:3", "0 0 666 1:9", "3"]
    # the kernel holds uid 1000 to the mode cell gave: 0600 of uid 2000
    assert "/dev/sub/nul: Permission denied" in res.stderr
    info = "\n".join(out[4:])
    for node in ("/dev/myzero", "/dev/sub/nul", "/dev/dflt"):
        assert {"nosuid", "noexec"} <= mount_options(info, node), node
    assert [host_node(p) for p in ("/dev/zero", "/dev/null", "/dev/urandom")] == before


def test_rootless_devices_keep_the_hosts_owner_and_mode_and_say_so_once(tdir, bundle):
    devices = [{"path": "/dev/myzero", "type": "c", "major": 1, "minor": 5, "uid": 0,
                "gid": 0, "fileMode": 0o600},
               {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600}]
    b = bundle(["sh", "-c", "stat -c '%a' /dev/myzero; head -c 3 /dev/myzero | wc -c"],
               edit=lambda cfg: cfg["linux"].update(devices=devices), rootless=True,
               user="nobody")
    res = rootless_run(tdir, b, cid("rdev"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [f"{os.stat('/dev/zero').st_mode & 0o7777:o}", "3"]
    warnings = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("cell: warning: linux.devices"), \
        res.stderr
    assert "host's owner and mode" in warnings[0]


# ------------------------------------------------------ realtime scheduler


def needs_rt_group_sched():
    if not os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"):
        pytest.skip("no v1 cpu hierarchy with realtime groups (CONFIG_RT_GROUP_SCHED)")


def realtime(cpu=None):
    def edit(cfg):
        cfg["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_SYS_NICE")
        if cpu:
            cfg["linux"]["resources"]["cpu"] = cpu
    return edit


@pytest.mark.parametrize("cpu", [None, {"shares": 512, "realtimeRuntime": 10000}],
                         ids=["no-cpu-limit", "realtime-runtime"])
def test_sched_fifo_works_in_a_v1_cpu_hierarchy(root, bundle, cpu):
    needs_rt_group_sched()
    b = bundle(["sleep", "30"], edit=realtime(cpu))
    c = cid("rt")
    ok(oci(root, "run", "-d", "--bundle", b, c))
    try:
        pid = state(root, c)["pid"]
        assert os.sched_getscheduler(pid) == os.SCHED_FIFO
        assert cgroup_of(pid, "memory") == f"/cell-{c}"
        if cpu:  # a cpu limit: its own cpu cgroup, with the budget the spec gave
            assert cgroup_of(pid, "cpu") == f"/cell-{c}"
            assert open(os.path.join(v1_dir("cpu", c), "cpu.rt_runtime_us")).read() \
                == "10000\n"
        else:  # no budget of its own: the cpu cgroup cell runs in, as crun leaves it
            assert cgroup_of(pid, "cpu") == cgroup_of(os.getpid(), "cpu")
    finally:
        ok(oci(root, "delete", "--force", c))
    assert cgroup_dirs(c) == []


# ------------------------------------------------------- delete --regex


def test_delete_regex_deletes_every_matching_container(root, bundle):
    b = bundle(["sleep", "30"])
    names = [f"rx{SUFFIX}-a1", f"rx{SUFFIX}-a2", f"rx{SUFFIX}-b1"]
    for n in names:
        ok(oci(root, "create", "--bundle", b, n))
    try:
        ok(oci(root, "start", names[0]))  # running: --force kills it
        ok(oci(root, "delete", "--force", "--regex", f"^rx{SUFFIX}-a[0-9]$"))
        listed = ok(oci(root, "list", "-q")).split()
        assert listed == [names[2]]
        assert cgroup_dirs(names[0]) == [] and cgroup_dirs(names[1]) == []
        assert_cell_error(oci(root, "delete", "-r", "rx(["), 125, "rx([")
    finally:
        for n in names:
            oci(root, "delete", "--force", n)


def test_delete_regex_warns_about_one_it_cannot_delete_and_exits_0_as_crun(root, bundle):
    b = bundle(["sleep", "30"])
    busy, idle = f"rw{SUFFIX}-busy", f"rw{SUFFIX}-idle"
    for n in (busy, idle):
        ok(oci(root, "create", "--bundle", b, n))
    try:
        ok(oci(root, "start", busy))
        pid = state(root, busy)["pid"]
        # without --force the running one cannot go: crun warns and goes on, status 0
        res = oci(root, "delete", "--regex", f"^rw{SUFFIX}-")
        assert res.returncode == 0, res.stderr
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("cell: warning: "), res.stderr
        assert busy in lines[0] and "running" in lines[0]
        assert ok(oci(root, "list", "-q")).split() == [busy]
        assert alive(pid) and cgroup_dirs(idle) == []
    finally:
        for n in (busy, idle):
            oci(root, "delete", "--force", n)
    assert cgroup_dirs(busy) == []
