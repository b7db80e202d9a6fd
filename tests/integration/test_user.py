"""Users, id maps and capabilities, as seen from inside."""
import ctypes
import os

import pytest

from conftest import settled_init, userns_owners

DEFAULT_CAPS = 0xA80425FB  # docker's default set
CAP = {"CHOWN": 0, "NET_RAW": 13, "SYS_ADMIN": 21}


def maps(text):
    """uid_map/gid_map text -> list of [inside, outside, count] int triples."""
    return [[int(x) for x in line.split()] for line in text.splitlines() if line.strip()]


def host_view(start, flags, user=None):
    """(uid map, gid map) of a running container's process, read from the host.

    Inside, /proc/self/uid_map shows the namespace that locks the mounts: the
    container's ids mapped onto themselves (mount_lock.c). The host's ids are
    those of the map as the host reads it."""
    r = start(["run", *flags, "--", "sh", "-c", "echo ready; read x"], user=user)
    r.wait_for("ready")
    init = settled_init(r.pid)  # a rootless run's is cell's second child, beside its hop
    found = []
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{init}/{name}") as f:
            found.append(maps(f.read()))
    r.finish()
    return found


def identity(ranges):
    return [[inside, inside, count] for inside, _, count in ranges]


def caps(run, *flags, user=None):
    r = run(["run", *flags, "--", "grep", "^Cap", "/proc/self/status"], user=user)
    assert r.returncode == 0, r.stderr
    return {line.split(":")[0]: int(line.split()[1], 16) for line in r.stdout.splitlines()}


# ---- id maps as root


def test_uidmap_and_gidmap_are_written_as_given(run, start):
    flags = ["--unshare-user", "--uidmap", "0:100000:65536", "--gidmap", "0:200000:65536"]
    r = run(["run", *flags, "--",
             "sh", "-c", "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; id -u"])
    assert r.returncode == 0, r.stderr
    uid, gid = r.stdout.rsplit("\n", 2)[0].split("--\n")
    assert maps(uid) == [[0, 0, 65536]]
    assert maps(gid) == [[0, 0, 65536]]
    assert r.stdout.rsplit("\n", 2)[1] == "0"
    assert host_view(start, flags) == [[[0, 100000, 65536]], [[0, 200000, 65536]]]


# root's container is made as its root's host uid (the kernel charges per-user
# counts to the maker of each user namespace above a process, kernel/ucount.c):
# made as root, one container holding its 128 inotify instances left every root
# daemon of the host without inotify.
_HOLD_INOTIFY = r"""
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
n = 0
while libc.inotify_init1(0) >= 0:
    n += 1
print(n, flush=True)
time.sleep(30)
"""


@pytest.mark.parametrize("user_flags", [[], ["-u", "1000"]])
def test_a_root_containers_user_namespace_is_its_roots_on_the_host_not_root(start, user_flags):
    flags = ["--unshare-user", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536",
             *user_flags]
    r = start(["run", *flags, "--", "python3", "-c", _HOLD_INOTIFY])
    limit = int(open("/proc/sys/fs/inotify/max_user_instances").read())
    r.wait_for("\n", timeout=20)
    assert r.out.decode().strip() == str(limit), r.out  # all of it: root's are not its
    pid = settled_init(r.pid)
    owners = userns_owners(pid)
    assert owners and set(owners) == {100000}, owners
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(0)  # root's are all root's still
    assert fd >= 0, os.strerror(ctypes.get_errno())
    os.close(fd)


def test_several_uidmap_entries(run, start):
    flags = ["--unshare-user", "--uidmap", "0:100000:1000", "--uidmap", "1000:300000:10",
             "--gidmap", "0:100000:1000"]
    r = run(["run", *flags, "--", "cat", "/proc/self/uid_map"])
    assert r.returncode == 0, r.stderr
    assert sorted(maps(r.stdout)) == [[0, 0, 1000], [1000, 1000, 10]]
    assert sorted(host_view(start, flags)[0]) == [[0, 100000, 1000], [1000, 300000, 10]]


def test_overlapping_uidmaps_exit_125(run, cell_error):
    r = run(["run", "--unshare-user", "--uidmap", "0:1000:10", "--uidmap", "5:2000:10",
             "--", "true"])
    cell_error(r, 125, "overlap")


@pytest.mark.parametrize("bad", ["0:abc:1", "0:1", "0:1:0", "-1:0:1", "0:0:1:1"])
def test_malformed_uidmap_exits_125(run, cell_error, bad):
    cell_error(run(["run", "--unshare-user", "--uidmap", bad, "--", "true"]), 125, bad)


# ---- --user


def test_user_flag_sets_uid_gid_and_drops_supplementary_groups(run):
    r = run(["run", "--user", "1000:1000", "--", "sh", "-c", "id -u; id -g; id -G"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["1000", "1000", "1000"]


def test_short_user_flag_with_uid_only(run):
    r = run(["run", "-u", "1000", "--", "id", "-u"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1000"


def test_user_name_is_resolved_in_the_rootfs_passwd(run, rootfs):
    r = run(["run", "--rootfs", rootfs, "--user", "alice", "--", "/bin/sh", "-c",
             'id -u; id -g; echo "$HOME"'])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1234", "1234", "/home/alice"]


def test_unknown_user_name_exits_125(run, cell_error, rootfs):
    r = run(["run", "--rootfs", rootfs, "--user", "nosuchuser", "--", "/bin/true"])
    cell_error(r, 125, "nosuchuser")


def test_non_root_user_has_no_capabilities(run):
    c = caps(run, "--user", "1000:1000")
    assert c["CapEff"] == 0 and c["CapPrm"] == 0, c


def test_non_root_user_cannot_write_roots_files(run, tdir):
    # A uid change that only looked right in `id` would still pass DAC checks.
    target = tdir / "rootonly"
    target.mkdir(mode=0o755)
    r = run(["run", "--bind", target, "/mnt", "--user", "1000:1000", "--", "touch", "/mnt/x"])
    assert r.returncode == 1, r.stderr
    assert "Permission denied" in r.stderr, r.stderr
    assert not (target / "x").exists()
    r = run(["run", "--bind", target, "/mnt", "--", "touch", "/mnt/y"])
    assert r.returncode == 0, r.stderr
    assert (target / "y").exists()


# ---- capabilities as root


def test_default_capabilities_are_dockers_set(run):
    c = caps(run)
    assert c["CapEff"] == DEFAULT_CAPS, f"{c['CapEff']:016x}"
    assert c["CapPrm"] == DEFAULT_CAPS, f"{c['CapPrm']:016x}"
    assert c["CapBnd"] == DEFAULT_CAPS, f"{c['CapBnd']:016x}"


@pytest.mark.parametrize("name", ["SYS_ADMIN", "CAP_SYS_ADMIN"])
def test_cap_add_accepts_both_spellings(run, name):
    assert caps(run, "--cap-add", name)["CapEff"] == DEFAULT_CAPS | 1 << CAP["SYS_ADMIN"]


def test_cap_drop_removes_one_capability(run):
    assert caps(run, "--cap-drop", "NET_RAW")["CapEff"] == DEFAULT_CAPS & ~(1 << CAP["NET_RAW"])


def test_cap_drop_all_leaves_none(run):
    c = caps(run, "--cap-drop", "ALL")
    assert c["CapEff"] == 0 and c["CapPrm"] == 0 and c["CapBnd"] == 0, c


def test_cap_drop_all_then_add_one(run):
    assert caps(run, "--cap-drop", "ALL", "--cap-add", "CHOWN")["CapEff"] == 1 << CAP["CHOWN"]


def test_cap_add_all_gives_the_whole_bounding_set(run, host_cap_bnd):
    assert caps(run, "--cap-add", "ALL")["CapEff"] == int(host_cap_bnd, 16)


def test_unknown_capability_exits_125(run, cell_error):
    cell_error(run(["run", "--cap-add", "MAKE_COFFEE", "--", "true"]), 125, "MAKE_COFFEE")


def test_mount_needs_cap_sys_admin(sh):
    script = "echo started; mount -t tmpfs ctr-it /mnt && echo mounted"
    denied = sh(script)
    assert denied.stdout == "started\n", denied.stderr
    assert denied.returncode == 32, denied.stderr  # mount(8): "mount failure"
    assert "permission denied" in denied.stderr, denied.stderr
    allowed = sh(script, "--cap-add", "SYS_ADMIN")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout == "started\nmounted\n"


def test_chown_fails_after_cap_drop_chown(sh):
    script = "touch /tmp/f && echo touched && chown 1:1 /tmp/f && echo chowned"
    assert sh(script).stdout == "touched\nchowned\n"
    r = sh(script, "--cap-drop", "CHOWN")
    assert r.stdout == "touched\n", r.stderr
    assert "Operation not permitted" in r.stderr


# ---- rootless


@pytest.mark.rootless
def test_rootless_default_maps_root_to_the_caller_only(run, start):
    r = run(["run", "--", "sh", "-c",
             "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups"],
            user="nobody")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0:2] == ["0", "0"]
    assert maps(lines[2]) == [[0, 0, 1]]
    assert maps(lines[3]) == [[0, 0, 1]]
    assert lines[4] == "deny"
    assert host_view(start, [], user="nobody") == [[[0, 65534, 1]], [[0, 65534, 1]]]


@pytest.mark.rootless
def test_rootless_keep_id_keeps_the_callers_uid(run):
    r = run(["run", "--keep-id", "--", "sh", "-c", "id -u; cat /proc/self/uid_map"],
            user="nobody")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "65534"
    assert maps(lines[1]) == [[65534, 65534, 1]]


@pytest.mark.rootless
@pytest.mark.celltest
def test_rootless_subids_map_the_subordinate_ranges(run, start):
    import pwd
    from conftest import subid_range
    pw = pwd.getpwnam("celltest")
    ustart, ucount = subid_range("celltest", "/etc/subuid")
    gstart, gcount = subid_range("celltest", "/etc/subgid")
    r = run(["run", "--subids", "--", "sh", "-c",
             "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map"], user="celltest")
    assert r.returncode == 0, r.stderr
    uid, gid = r.stdout.split("--\n")
    want_uid = [[0, pw.pw_uid, 1], [1, ustart, ucount]]
    want_gid = [[0, pw.pw_gid, 1], [1, gstart, gcount]]
    assert sorted(maps(uid)) == identity(want_uid)
    assert sorted(maps(gid)) == identity(want_gid)
    assert [sorted(m) for m in host_view(start, ["--subids"], user="celltest")] == \
        [want_uid, want_gid]


@pytest.mark.rootless
@pytest.mark.celltest
def test_rootless_subids_let_files_be_owned_by_other_ids(run):
    r = run(["run", "--subids", "--", "sh", "-c",
             "touch /tmp/f && chown 1000:1000 /tmp/f && stat -c '%u:%g' /tmp/f"],
            user="celltest")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1000:1000"


@pytest.mark.rootless
def test_rootless_has_the_full_capability_set_in_its_user_namespace(run):
    with open("/proc/sys/kernel/cap_last_cap") as f:
        full = (1 << (int(f.read()) + 1)) - 1
    c = caps(run, user="nobody")
    assert c["CapEff"] == full and c["CapBnd"] == full, c


@pytest.mark.rootless
def test_rootless_uidmap_of_someone_elses_ids_exits_125(run, cell_error):
    r = run(["run", "--uidmap", "0:0:1", "--", "true"], user="nobody")
    cell_error(r, 125)


@pytest.mark.rootless
def test_rootless_user_namespace_cannot_touch_host_root_files(run, tdir):
    target = tdir / "rootonly"
    target.mkdir(mode=0o755)
    r = run(["run", "--bind", target, "/mnt", "--", "touch", "/mnt/x"], user="nobody")
    assert r.returncode == 1, r.stderr
    assert "Permission denied" in r.stderr, r.stderr
    assert not (target / "x").exists()
