"""Issue 16's audit: `cell create` (and `cell run`) of a bundle whose process
cannot start exits non-zero with one line naming the step or field and the
errno, and leaves no state, cgroup or process (the autouse no_leftovers
fixture checks processes, cgroups and mounts; assert_nothing_left the state).
"""
import os
import time

import pytest

from conftest import assert_cell_error
from test_oci import bundle, oci, root  # noqa: F401
from test_oci_start import assert_nothing_left, seccomp_with


def nr_open():
    with open("/proc/sys/fs/nr_open") as f:
        return int(f.read())


def edit_process(**fields):
    def edit(cfg):
        cfg["process"].update(fields)
    return edit


def edit_user(**fields):
    def edit(cfg):
        cfg["process"]["user"].update(fields)
    return edit


def rlimit_above_nr_open(cfg):
    n = nr_open() + 1
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": n, "soft": n}]


def ambient_not_inheritable(cfg):
    caps = cfg["process"]["capabilities"]
    caps["inheritable"] = []
    caps["ambient"] = ["CAP_KILL"]


def no_apparmor(cfg):
    if os.path.exists("/sys/module/apparmor/parameters/enabled"):
        pytest.skip("this host has AppArmor")
    cfg["process"]["apparmorProfile"] = "cell-test-profile"


def no_selinux(cfg):
    if os.path.exists("/sys/fs/selinux"):
        pytest.skip("this host has SELinux")
    cfg["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"


def prctl_refused(cfg):
    # loaded early (no noNewPrivileges, no CAP_SYS_ADMIN): cell's own prctl
    # calls until execve meet the filter
    seccomp_with({"names": ["prctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                 nnp=False)(cfg)


def nnp_and_prctl_refused(cfg):
    seccomp_with({"names": ["prctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                 nnp=True)(cfg)


# (id, edit, exit status, words of the one-line error); as root
AS_ROOT = [
    ("nofile-above-nr-open", rlimit_above_nr_open, 125,
     ["process.rlimits[0]", "Operation not permitted"]),
    ("ambient-not-inheritable", ambient_not_inheritable, 125,
     ["process.capabilities.ambient", "KILL", "Operation not permitted"]),
    ("apparmor", no_apparmor, 125, ["process.apparmorProfile"]),
    ("selinux", no_selinux, 125, ["process.selinuxLabel"]),
    ("personality", lambda cfg: cfg["linux"].update(personality={"domain": "BSD"}), 125,
     ["linux.personality"]),
    ("prctl-refused", prctl_refused, 125, ["prctl", "Operation not permitted"]),
    ("cpu-affinity-absent", edit_process(execCPUAffinity={"final": "1000"}), 125,
     ["process.execCPUAffinity.final"]),
]


@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("case", AS_ROOT, ids=[c[0] for c in AS_ROOT])
def test_a_process_that_cannot_start_fails_create_and_run(root, bundle, case, command):
    name, edit, status, words = case
    cid = f"au-{name}-{command}-{os.getpid()}"
    b = bundle(["true"], edit=edit)
    assert_cell_error(oci(root, command, "--bundle", b, cid), status, *words)
    assert_nothing_left(root, cid)


# rootless, as nobody: a user namespace with a single-id map
AS_NOBODY = [
    ("oom-score-lowered", edit_process(oomScoreAdj=-500), 125,
     ["process.oomScoreAdj -500", "oom_score_adj", "Permission denied"]),
    ("gids-unmapped", edit_user(additionalGids=[5]), 125, ["additionalGids"]),
    ("uid-unmapped", edit_user(uid=1000), 125, ["process.user", "1000"]),
    ("gid-unmapped", edit_user(gid=1000), 125, ["process.user", "1000"]),
    ("iopriority-rt", edit_process(ioPriority={"class": "IOPRIO_CLASS_RT", "priority": 0}),
     125, ["process.ioPriority", "Operation not permitted"]),
    ("sched-fifo", edit_process(scheduler={"policy": "SCHED_FIFO", "priority": 10}), 125,
     ["process.scheduler", "Operation not permitted"]),
]


@pytest.mark.rootless
@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("case", AS_NOBODY, ids=[c[0] for c in AS_NOBODY])
def test_a_process_that_cannot_start_fails_create_and_run_as_nobody(root, bundle, case,
                                                                    command):
    name, edit, status, words = case
    cid = f"an-{name}-{command}-{os.getpid()}"
    b = bundle(["true"], edit=edit, rootless=True, user="nobody")
    res = oci(root, command, "--bundle", b, cid, user="nobody")
    assert_cell_error(res, status, *words)
    assert_nothing_left(root, cid, user="nobody")


@pytest.mark.parametrize("command", ["create", "run"])
def test_no_new_privileges_with_a_profile_refusing_prctl_still_runs(root, bundle, rootfs,
                                                                    command):
    """noNewPrivileges is set before the filter, which is loaded last: cell makes
    no prctl(2) after it, so the command runs."""
    cid = f"au-nnp-{command}-{os.getpid()}"
    b = bundle(["sh", "-c", f"echo ran > /tmp/{cid}"], edit=nnp_and_prctl_refused)
    if command == "run":
        res = oci(root, "run", "--bundle", b, cid)
        assert res.returncode == 0, res.stderr
    else:
        assert oci(root, "create", "--bundle", b, cid).returncode == 0
        try:
            res = oci(root, "start", cid)
            assert res.returncode == 0, res.stderr
        finally:
            oci(root, "delete", "--force", cid)
    for _ in range(100):  # start returns at execve, before the shell writes
        if (rootfs / "tmp" / cid).exists() and (rootfs / "tmp" / cid).read_text():
            break
        time.sleep(0.05)
    assert (rootfs / "tmp" / cid).read_text() == "ran\n"
