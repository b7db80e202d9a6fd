"""cell on a pure cgroup v2 host, made on this hybrid one (issue 17).

The fixture `v2host` makes a cgroup of its own in the host's cgroup2 hierarchy
(/sys/fs/cgroup/unified here, whose only controller is hugetlb) and binds it
over /sys/fs/cgroup in a private mount namespace, pinned by a `sleep`. cell
run there (through nsenter) sees a cgroup2 file system at /sys/fs/cgroup and
takes the host for a v2 one: its cgroups land below the fixture's, nowhere
else. The core files (cgroup.procs, cgroup.freeze, cgroup.kill,
cgroup.events) need no controller, so the whole lifecycle works for real;
limits whose controllers the hierarchy lacks must be refused, naming them.

The bind lives only in that namespace, which dies with its `sleep`: nothing
is mounted on the host, and the fixture removes the cgroup it made.
"""
import contextlib
import json
import os
import pwd
import subprocess
import time

import pytest

from conftest import (CELL, CELL_ASAN, assert_cell_error, rmdir_cgroup, settled_init,
                      userns_owners)
from test_oci import bundle, oci, ok, root  # noqa: F401
from test_parity_life import alive, wait_dead

SUFFIX = str(os.getpid())
_serial = [0]


def cid(name):
    """A container id unique to this test session (others run tests at the same time)."""
    return f"{name}-{SUFFIX}"


def _cgroup2_mount():
    for path in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        r = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True)
        if r.stdout.strip() == "cgroup2fs":
            return path
    return None


class V2Host:
    """A private mount namespace whose /sys/fs/cgroup is a cgroup2 directory made here.

    With @delegate (a user name), a cgroup namespace too, rooted at that
    directory, and deleg/self below it owned by the user (cgroup-v2.rst,
    "Delegation"): every command starts in deleg/self, so a rootless cell
    finds its own cgroup in /proc/self/cgroup and makes its cgroups below it.
    """

    def __init__(self, delegate=None):
        mount = _cgroup2_mount()
        if mount is None:
            pytest.skip("no cgroup2 hierarchy on this host")
        _serial[0] += 1
        self.name = f"v2host-{SUFFIX}-{_serial[0]}"
        self.parent = os.path.join(mount, self.name)
        self.own = []  # the fixture's cgroups below the parent
        os.mkdir(self.parent)
        for core, linux in (("cgroup.freeze", "5.2"), ("cgroup.kill", "5.14")):
            if not os.path.exists(os.path.join(self.parent, core)):
                os.rmdir(self.parent)
                pytest.skip(f"the kernel has no {core} (Linux {linux})")
        if delegate:
            self._delegate(delegate)
        self.holder = subprocess.Popen(self._holder_argv(delegate), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
        if self.holder.stdout.readline().strip() != "ready":
            err = self.holder.stderr.read()
            self.close()
            pytest.fail(f"cannot mount {self.parent} on /sys/fs/cgroup: {err}")
        ns = f"/proc/{self.holder.pid}/ns"
        self.prefix = ["nsenter", f"--mount={ns}/mnt", "--"]
        if delegate:  # start in deleg/self, then see it through the cgroup namespace
            self.prefix = ["sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "sh",
                           os.path.join(self.own[-1], "cgroup.procs"), "nsenter",
                           f"--mount={ns}/mnt", f"--cgroup={ns}/cgroup", "--"]

    def _delegate(self, user):
        uid = pwd.getpwnam(user).pw_uid
        for d in ("deleg", "self"):
            self.own.append(os.path.join(self.own[-1] if self.own else self.parent, d))
            os.mkdir(self.own[-1])
            for f in ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]:
                os.chown(os.path.join(self.own[-1], f), uid, -1)

    def _holder_argv(self, delegate):
        if not delegate:
            return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$1" /sys/fs/cgroup && echo ready && exec sleep 3600', "sh",
                    self.parent]
        # in the parent first: a new cgroup namespace is rooted where it starts
        return ["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec unshare --mount --cgroup '
                '--propagation private sh -c "mount -t cgroup2 none /sys/fs/cgroup && '
                'echo ready && exec sleep 3600"', "sh", self.parent]

    def cell(self, root, *args, **kw):
        """`cell --root ROOT ARGS` in the v2 view."""
        return oci(root, *args, prefix=self.prefix, **kw)

    def sh(self, script):
        """A shell command in the v2 view (not in a container)."""
        return subprocess.run(self.prefix + ["sh", "-c", script], capture_output=True,
                              text=True, timeout=30)

    def state(self, root, c):
        return json.loads(ok(self.cell(root, "state", c)))

    def wait_status(self, root, c, want, timeout=10):
        deadline = time.monotonic() + timeout
        while self.state(root, c)["status"] != want and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.state(root, c)["status"]

    def path(self, *rel):
        """The host's path of /sys/fs/cgroup/REL in the view."""
        return os.path.join(self.parent, *rel)

    def read(self, *rel):
        with open(self.path(*rel)) as f:
            return f.read()

    def keyed(self, *rel):
        return dict(line.split() for line in self.read(*rel).splitlines())

    def leftovers(self):
        """Every cgroup below the fixture's but its own, deepest first."""
        found = []
        for dirpath, dirnames, _ in os.walk(self.parent):
            found += [os.path.join(dirpath, d) for d in dirnames]
        return sorted(set(found) - set(self.own), key=len, reverse=True)

    def close(self):
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.wait()
        left = self.leftovers()
        # what a failed test left: only below the fixture's own cgroup
        for d in left:
            with open(os.path.join(d, "cgroup.kill"), "w") as f:
                f.write("1")
        for d in left + self.own[::-1]:
            rmdir_cgroup(d)
        os.rmdir(self.parent)
        return left


@pytest.fixture
def v2host():
    v = V2Host()
    yield v
    left = v.close()
    assert left == [], f"cgroups left below {v.parent}: {left}"


@pytest.fixture
def v2deleg():
    """A V2Host whose deleg/self belongs to nobody."""
    v = V2Host(delegate="nobody")
    yield v
    left = v.close()
    assert left == [], f"cgroups left below {v.parent}: {left}"


def cgroup2_of(pid):
    """The cgroup2 path of @pid as the host sees it (the "0::" line)."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


def all_dead(pids):
    return all([wait_dead(p) for p in pids])


@contextlib.contextmanager
def detached(v, root, b, c):
    """`run -d` in the view; `delete --force` after, which must leave no cgroup."""
    ok(v.cell(root, "run", "-d", "--bundle", b, c))
    try:
        yield
    finally:
        ok(v.cell(root, "delete", "--force", c))
    assert v.leftovers() == []


def procs(v, c, *sub):
    return sorted(int(p) for p in v.read(f"cell-{c}", *sub, "cgroup.procs").split())


def wait_procs(v, c, n, timeout=5):
    deadline = time.monotonic() + timeout
    while len(procs(v, c)) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return procs(v, c)


# ------------------------------------------------------------- the view


def test_the_view_is_a_cgroup2_host_that_cell_detects_as_v2(v2host, root, bundle):
    out = v2host.sh("stat -f -c %T /sys/fs/cgroup")
    assert out.stdout.split() == ["cgroup2fs"], out
    b = bundle(["sleep", "30"])
    c = cid("v2det")
    with detached(v2host, root, b, c):
        pid = v2host.state(root, c)["pid"]
        # the kernel puts it in the unified hierarchy, below the fixture's cgroup
        assert cgroup2_of(pid) == f"/{v2host.name}/cell-{c}"
        assert "mode v2" in json.loads((root / c / "state.json").read_text())["cellCgroup"]


@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_a_run_starts_vfork_style_born_in_its_v2_cgroup(v2host):
    # CLONE_INTO_CGROUP is clone3's alone: cell's own clone3 with a stack
    # (cell_clone3_vm) starts the child in cell's memory and in its cgroup at
    # once, as on a v1 host, where it joins its cgroup by itself.
    p = subprocess.Popen(v2host.prefix + [CELL, "run", "--", "sh", "-c",
                                          "echo ready; exec sleep 30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n", p.stderr.read()
        init = settled_init(p.pid)  # nsenter exec'd cell: the same PID
        assert os.readlink(f"/proc/{init}/exe") == "/memfd:cell-init (deleted)"
        assert cgroup2_of(init).startswith(f"/{v2host.name}/cell-"), cgroup2_of(init)
    finally:
        p.terminate()  # forwarded to sleep; cell tears its cgroup down
        p.wait(timeout=10)
    assert p.returncode == 128 + 15, p.stderr.read()


# ------------------------------------------------------------ lifecycle


def test_create_start_ps_pause_resume_kill_delete_on_v2(v2host, root, bundle):
    b = bundle(["sh", "-c", "sleep 100 & exec sleep 101"])
    c = cid("v2life")
    ok(v2host.cell(root, "create", "--bundle", b, c))
    try:
        pid = v2host.state(root, c)["pid"]
        assert cgroup2_of(pid) == f"/{v2host.name}/cell-{c}"
        ok(v2host.cell(root, "start", c))
        pids = wait_procs(v2host, c, 2)
        assert len(pids) == 2 and pid in pids
        listed = json.loads(ok(v2host.cell(root, "ps", "--format", "json", c)))
        assert sorted(listed) == pids

        ok(v2host.cell(root, "pause", c))
        assert v2host.keyed(f"cell-{c}", "cgroup.events")["frozen"] == "1"
        assert v2host.state(root, c)["status"] == "paused"
        ok(v2host.cell(root, "resume", c))
        assert v2host.keyed(f"cell-{c}", "cgroup.events")["frozen"] == "0"
        assert v2host.state(root, c)["status"] == "running"

        ok(v2host.cell(root, "kill", c, "KILL"))
        assert all_dead(pids)
        assert v2host.wait_status(root, c, "stopped") == "stopped"
        assert v2host.keyed(f"cell-{c}", "cgroup.events")["populated"] == "0"
        ok(v2host.cell(root, "delete", c))
    finally:
        v2host.cell(root, "delete", "--force", c)
    assert not os.path.exists(v2host.path(f"cell-{c}"))
    assert v2host.leftovers() == []


def test_kill_all_reaches_every_process_of_the_v2_cgroup(v2host, root, bundle):
    b = bundle(["sh", "-c", "trap '' TERM; sleep 100 & sleep 101 & wait"])
    c = cid("v2all")
    with detached(v2host, root, b, c):
        pids = wait_procs(v2host, c, 3)
        assert len(pids) == 3
        ok(v2host.cell(root, "kill", "--all", c, "KILL"))
        assert all_dead(pids)


def test_delete_force_of_a_paused_v2_container_with_frozen_sub_cgroups(v2host, root, bundle):
    b = bundle(["sh", "-c", "sleep 100 & exec sleep 101"])
    c = cid("v2del")
    ok(v2host.cell(root, "run", "-d", "--bundle", b, c))
    pid = v2host.state(root, c)["pid"]
    pids = wait_procs(v2host, c, 2)
    child = [p for p in pids if p != pid][0]
    # what a nested runtime inside would do: cgroups below its own, a
    # process moved down there, frozen on its own
    deep = v2host.path(f"cell-{c}", "inner", "leaf")
    os.makedirs(deep)
    with open(os.path.join(deep, "cgroup.procs"), "w") as f:
        f.write(str(child))
    with open(v2host.path(f"cell-{c}", "inner", "cgroup.freeze"), "w") as f:
        f.write("1")
    ok(v2host.cell(root, "pause", c))
    ok(v2host.cell(root, "delete", "--force", c))
    assert all_dead(pids)
    assert v2host.leftovers() == []
    assert v2host.cell(root, "state", c).returncode != 0


# -------------------------------------------------------- exec --cgroup


def test_exec_cgroup_joins_a_v2_sub_cgroup_or_is_refused(v2host, root, bundle, tdir):
    b = bundle(["sleep", "60"])
    c = cid("v2exec")
    with detached(v2host, root, b, c):
        os.mkdir(v2host.path(f"cell-{c}", "inner"))
        pid_file = tdir / "exec.pid"
        ok(v2host.cell(root, "exec", "-d", "--pid-file", pid_file, "--cgroup", "inner", c,
                       "sleep", "60"))
        pid = int(pid_file.read_text())
        assert cgroup2_of(pid) == f"/{v2host.name}/cell-{c}/inner"
        assert procs(v2host, c, "inner") == [pid]
        # never silently ignored: what cannot be joined fails, naming it
        for bad, needle in (("memory:inner", "one hierarchy"), ("nothere", "nothere"),
                            ("../up", "..")):
            assert_cell_error(v2host.cell(root, "exec", "--cgroup", bad, c, "true"), 125,
                              needle)


# ------------------------------------------------------------------ run


def test_run_of_a_named_bundle_returns_its_status_in_its_own_v2_cgroup(v2host, root, bundle):
    b = bundle(["sh", "-c", "grep ^0:: /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.kill; "
                "exit 7"])
    res = v2host.cell(root, "run", "--bundle", b, cid("v2run"))
    assert res.returncode == 7, res.stderr
    # a cgroup namespace whose root is the container's cgroup
    assert res.stdout.split() == ["0::/", "/sys/fs/cgroup/cgroup.kill"]
    assert v2host.leftovers() == []


def test_sandbox_run_with_a_name_on_v2(v2host):
    name = cid("v2sbx")
    res = v2host.sh(f"{CELL} run --name {name} -- sh -c 'grep ^0:: /proc/self/cgroup'")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["0::/"]
    assert v2host.leftovers() == []


# --------------------------------------------------------------- limits


LIMITS = {
    "memory": ({"memory": {"limit": 64 << 20}}, "linux.resources.memory"),
    "pids": ({"pids": {"limit": 32}}, "linux.resources.pids.limit"),
    "cpu": ({"cpu": {"shares": 512}}, "linux.resources.cpu"),
    "cpuset": ({"cpu": {"cpus": "0"}}, "linux.resources.cpu.cpus"),
    "io": ({"blockIO": {"weight": 100}}, "linux.resources.blockIO"),
    "memory.high": ({"unified": {"memory.high": "67108864"}},
                    'linux.resources.unified."memory.high"'),
}


@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_a_limit_whose_controller_the_v2_host_lacks_is_refused_naming_it(v2host, root,
                                                                          bundle, limit):
    res, field = LIMITS[limit]
    controller = limit.split(".")[0]
    if controller in v2host.read("cgroup.controllers").split():
        pytest.skip(f"this cgroup2 hierarchy has the {controller} controller")
    b = bundle(["true"], edit=lambda cfg: cfg["linux"].update(resources=res))
    c = cid("v2lim")
    out = v2host.cell(root, "create", "--bundle", b, c)
    assert_cell_error(out, 125, field, f"controller {controller} ", "cgroup.controllers")
    assert v2host.leftovers() == []
    assert not (root / c).exists()


def test_sandbox_limit_whose_controller_the_v2_host_lacks_is_refused(v2host):
    if "pids" in v2host.read("cgroup.controllers").split():
        pytest.skip("this cgroup2 hierarchy has the pids controller")
    res = v2host.sh(f"{CELL} run --name {cid('v2sbl')} --pids-limit 8 "
                    "-- true")
    assert_cell_error(res, 125, "linux.resources.pids.limit", "cgroup.controllers")
    assert v2host.leftovers() == []


def hugepage_size():
    if not os.path.isdir("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        pytest.skip("no 2 MB huge pages on this kernel")
    return "2MB"


def test_hugetlb_limit_and_stats_on_v2(v2host, root, bundle):
    if "hugetlb" not in v2host.read("cgroup.controllers").split():
        pytest.skip("no hugetlb controller in this cgroup2 hierarchy")
    size = hugepage_size()
    b = bundle(["sh", "-c", "while :; do :; done"], edit=lambda cfg: cfg["linux"].update(
        resources={"hugepageLimits": [{"pageSize": size, "limit": 4 << 20}]}))
    c = cid("v2huge")
    with detached(v2host, root, b, c):
        assert v2host.read(f"cell-{c}", f"hugetlb.{size}.max") == f"{4 << 20}\n"
        time.sleep(0.3)
        before = int(v2host.keyed(f"cell-{c}", "cpu.stat")["usage_usec"]) * 1000
        stats = json.loads(ok(v2host.cell(root, "events", "--stats", c)))["data"]
        after = int(v2host.keyed(f"cell-{c}", "cpu.stat")["usage_usec"]) * 1000
        assert 0 < before <= stats["cpu"]["usage"]["total"] <= after
        assert size in stats["hugetlb"]
        assert stats["memory"]["usage"]["usage"] == 0  # no memory controller here


def test_update_gives_a_v2_container_a_controller_it_was_created_without(v2host, root,
                                                                         bundle, tdir):
    if "hugetlb" not in v2host.read("cgroup.controllers").split():
        pytest.skip("no hugetlb controller in this cgroup2 hierarchy")
    size = hugepage_size()
    b = bundle(["sleep", "60"])
    c = cid("v2upd")
    with detached(v2host, root, b, c):
        assert not os.path.exists(v2host.path(f"cell-{c}", f"hugetlb.{size}.max"))
        (tdir / "r.json").write_text(json.dumps(
            {"hugepageLimits": [{"pageSize": size, "limit": 8 << 20}]}))
        ok(v2host.cell(root, "update", "-r", tdir / "r.json", c))
        # the parent enabled it (crun enables every controller at creation)
        assert "hugetlb" in v2host.read("cgroup.subtree_control").split()
        assert v2host.read(f"cell-{c}", f"hugetlb.{size}.max") == f"{8 << 20}\n"
        # saved: a later update and events see it
        (tdir / "r.json").write_text(json.dumps(
            {"hugepageLimits": [{"pageSize": size, "limit": 2 << 20}]}))
        ok(v2host.cell(root, "update", "-r", tdir / "r.json", c))
        assert v2host.read(f"cell-{c}", f"hugetlb.{size}.max") == f"{2 << 20}\n"
        # one the hierarchy lacks is refused, naming it
        if "pids" not in v2host.read("cgroup.controllers").split():
            assert_cell_error(v2host.cell(root, "update", "--pids-limit", "9", c), 125,
                              "linux.resources.pids.limit", "cgroup.controllers")


def test_device_rules_are_enforced_by_the_v2_bpf_program(v2host, root, bundle):
    def edit(cfg):
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_MKNOD")
    b = bundle(["sh", "-c", "mknod /tmp/nul c 1 3 && echo x > /tmp/nul && echo null-ok; "
                "mknod /tmp/kmsg c 1 11 && cat /tmp/kmsg"], edit=edit)
    res = v2host.cell(root, "run", "--bundle", b, cid("v2dev"))
    assert res.stdout.split() == ["null-ok"]
    assert "Operation not permitted" in res.stderr
    assert v2host.leftovers() == []


# ------------------------------------------------- following the view


def test_a_v2_container_is_left_alone_from_a_view_of_another_mode(v2host, root, bundle):
    b = bundle(["sleep", "60"])
    c = cid("v2mode")
    with detached(v2host, root, b, c):
        pid = v2host.state(root, c)["pid"]
        # the host's own view is hybrid: the saved v2 cgroup is not there
        res = oci(root, "delete", "--force", c)
        assert_cell_error(res, 125, "v2", "hybrid")
        assert alive(pid) and cgroup2_of(pid) == f"/{v2host.name}/cell-{c}"


# ------------------------------------------------------------- rootless


@pytest.mark.rootless
def test_rootless_lifecycle_in_a_delegated_v2_cgroup(v2deleg, bundle, tdir):
    xdg = tdir / "xdg"
    xdg.mkdir()
    os.chown(xdg, pwd.getpwnam("nobody").pw_uid, -1)
    env = {"XDG_RUNTIME_DIR": str(xdg)}

    def cell(*args):
        return v2deleg.cell(None, *args, user="nobody", env=env)
    b = bundle(["sh", "-c", "sleep 100 & exec sleep 101"], rootless=True, user="nobody")
    c = cid("v2rl")
    ok(cell("run", "-d", "--bundle", b, c))
    try:
        pid = json.loads(ok(cell("state", c)))["pid"]
        # below the caller's own cgroup, the one delegated to it
        mine = f"/{v2deleg.name}/deleg/self/cell-{c}"
        assert cgroup2_of(pid) == mine
        assert os.stat(v2deleg.path("deleg", "self", f"cell-{c}")).st_uid == \
            pwd.getpwnam("nobody").pw_uid
        deadline = time.monotonic() + 5
        while len(json.loads(ok(cell("ps", "--format", "json", c)))) < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        pids = sorted(json.loads(ok(cell("ps", "--format", "json", c))))
        assert len(pids) == 2 and pids == sorted(
            int(p) for p in v2deleg.read("deleg", "self", f"cell-{c}", "cgroup.procs").split())
        ok(cell("pause", c))
        assert v2deleg.keyed("deleg", "self", f"cell-{c}", "cgroup.events")["frozen"] == "1"
        ok(cell("resume", c))
        assert v2deleg.keyed("deleg", "self", f"cell-{c}", "cgroup.events")["frozen"] == "0"
    finally:
        ok(cell("delete", "--force", c))
    assert all_dead(pids)
    assert v2deleg.leftovers() == []


def test_a_root_user_namespace_run_is_born_in_its_v2_cgroup_made_as_its_root(v2host):
    # The user namespace is made as the container's root on the host (uid
    # 100000, not root), and the child is still born in its v2 cgroup
    # (CLONE_INTO_CGROUP checks cgroup.procs with the maker's file system ids).
    p = subprocess.Popen(v2host.prefix + [CELL, "run", "--uidmap", "0:100000:65536", "--gidmap",
                                          "0:100000:65536", "--", "sh", "-c",
                                          "echo ready; exec sleep 30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n", p.stderr.read()
        init = settled_init(p.pid)
        assert cgroup2_of(init).startswith(f"/{v2host.name}/cell-"), cgroup2_of(init)
        owners = userns_owners(init)
        assert owners and set(owners) == {100000}, owners
    finally:
        p.terminate()
        p.wait(timeout=10)
    assert p.returncode == 128 + 15, p.stderr.read()
    assert v2host.leftovers() == []


def test_a_created_container_with_a_user_namespace_is_born_in_its_v2_cgroup(v2host, root, bundle):
    # `run -d` clones the child into its new user namespace and its v2 cgroup at
    # once (clone3 with CLONE_NEWUSER and CLONE_INTO_CGROUP), as the
    # container's root on the host: that clone's cgroup.procs check passes on
    # the file system ids alone (setfsuid(0) in cell_userns_owner_begin).
    def edit(cfg):
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b = bundle(["sleep", "30"], edit=edit)
    c = cid("v2userns")
    with detached(v2host, root, b, c):
        pid = v2host.state(root, c)["pid"]
        assert cgroup2_of(pid) == f"/{v2host.name}/cell-{c}"
        owners = userns_owners(pid)
        assert owners and set(owners) == {100000}, owners
