"""The file system view: root, read-only mounts, binds, tmpfs, /dev, /sys, propagation."""
import os
import shutil
import tempfile

import pytest

from conftest import mountinfo, read_file  # noqa: E402  (pytest puts this directory on sys.path)

# Mounts a default container may have writable; everything else must be read-only.
WRITABLE = ("/tmp", "/run", "/var/tmp", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue")


def inside_mounts(run, *flags, user=None):
    r = run(["run", *flags, "--", "cat", "/proc/self/mountinfo"], user=user)
    assert r.returncode == 0, r.stderr
    return mountinfo(r.stdout)


def by_point(mounts, point):
    found = [m for m in mounts if m["mountpoint"] == point]
    assert found, f"nothing mounted on {point}: {[m['mountpoint'] for m in mounts]}"
    return found[-1]  # the top one


# ---- the host root


def test_root_mount_is_read_only_in_mountinfo(run, user):
    root = by_point(inside_mounts(run, user=user), "/")
    assert "ro" in root["opts"], root


def test_write_to_host_root_fails_with_erofs(sh):
    r = sh("touch /usr/ctr-it-probe")
    assert r.returncode == 1, r.stderr  # touch's status: the run itself went well
    assert "Read-only file system" in r.stderr, r.stderr
    assert not os.path.exists("/usr/ctr-it-probe")


def test_every_host_submount_is_read_only_too(run, sh, visible_dir, host_mount, user):
    sub = visible_dir / "sub"
    sub.mkdir()
    host_mount("-t", "tmpfs", "-o", "mode=0777", "ctr-it-sub", target=sub)
    (sub / "inner").mkdir()
    host_mount("-t", "tmpfs", "-o", "mode=0777", "ctr-it-inner", target=sub / "inner")
    mounts = inside_mounts(run, user=user)
    points = [m["mountpoint"] for m in mounts]
    assert str(sub) in points and str(sub / "inner") in points, points
    for m in mounts:
        p = m["mountpoint"]
        if p in WRITABLE or p.startswith(("/proc/", "/dev/")) or p == "/proc":
            continue  # /dev/null & co. may be binds of the host's nodes in a user namespace
        assert "ro" in m["opts"], f"{p} is writable inside: {m}"
    r = sh(f"touch {sub}/a || true; touch {sub}/inner/b || true", user=user)
    assert not os.path.exists(sub / "a") and not os.path.exists(sub / "inner" / "b")
    assert r.stderr.count("Read-only file system") == 2, r.stderr


def test_tmp_is_an_empty_writable_tmpfs_private_to_the_container(run, sh, user):
    name = f"ctr-it-{os.getpid()}"
    r = sh(f"ls -A /tmp; echo hi > /tmp/{name} && cat /tmp/{name}", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n", "the container's /tmp was not empty: " + r.stdout
    assert not os.path.exists(f"/tmp/{name}")
    assert by_point(inside_mounts(run, user=user), "/tmp")["fstype"] == "tmpfs"


def test_sys_is_read_only(run, sh, user):
    m = by_point(inside_mounts(run, user=user), "/sys")
    assert "ro" in m["opts"], m
    before = read_file("/sys/kernel/mm/ksm/run")
    r = sh("echo 1 > /sys/kernel/mm/ksm/run", user=user)
    # sh's status for a redirection it cannot open, and the kernel's EROFS
    assert r.returncode == 2, r.stderr
    assert "Read-only file system" in r.stderr, r.stderr
    assert read_file("/sys/kernel/mm/ksm/run") == before


def test_proc_is_mounted_as_procfs(run, user):
    assert by_point(inside_mounts(run, user=user), "/proc")["fstype"] == "proc"


def test_read_only_flag_is_accepted_on_the_host_root(sh):
    r = sh("touch /tmp/x && ! touch /etc/ctr-it-probe 2>/dev/null && echo ok", "--read-only")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


# ---- --rootfs


def test_rootfs_pivot_shows_only_the_rootfs_tree(run, rootfs, user):
    r = run(["run", "--rootfs", rootfs, "--", "/bin/ls", "-A", "/"], user=user)
    assert r.returncode == 0, r.stderr
    assert set(r.stdout.split()) == {"bin", "dev", "etc", "home", "mnt", "proc", "root",
                                     "sys", "tmp"}


def test_rootfs_hides_the_host_file_system(run, rootfs, user):
    r = run(["run", "--rootfs", rootfs, "--", "/bin/sh", "-c",
             "test -e /usr/bin/python3 && echo host-visible; cat /proc/self/mountinfo"],
            user=user)
    assert r.returncode == 0, r.stderr
    assert "host-visible" not in r.stdout
    for m in mountinfo(r.stdout):
        p = m["mountpoint"]
        assert p in ("/",) + WRITABLE or p.startswith(("/proc", "/sys", "/dev/")), \
            f"unexpected mount inside the rootfs: {p}"


def test_rootfs_commands_are_looked_up_in_the_rootfs(run, rootfs, user):
    r = run(["run", "--rootfs", rootfs, "--", "hostname"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "cell"


def test_rootfs_command_only_on_the_host_exits_127(run, cell_error, rootfs):
    cell_error(run(["run", "--rootfs", rootfs, "--", "/usr/bin/python3"]), 127, "python3")


def test_rootfs_cwd_falls_back_to_root_when_the_callers_is_missing(run, rootfs, tdir):
    r = run(["run", "--rootfs", rootfs, "--", "pwd"], cwd=tdir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/"


def test_rootfs_is_writable_unless_read_only(run, rootfs):
    r = run(["run", "--rootfs", rootfs, "--", "/bin/touch", "/etc/made-inside"])
    assert r.returncode == 0, r.stderr
    assert (rootfs / "etc" / "made-inside").exists()
    r = run(["run", "--rootfs", rootfs, "--read-only", "--", "/bin/touch", "/etc/ro-probe"])
    assert r.returncode == 1, r.stderr
    assert "Read-only file system" in r.stderr, r.stderr
    assert not (rootfs / "etc" / "ro-probe").exists()


def test_rootfs_read_only_still_has_a_writable_tmp(run, rootfs, user):
    r = run(["run", "--rootfs", rootfs, "--read-only", "--", "/bin/sh", "-c",
             "echo x > /tmp/f && cat /tmp/f"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "x\n"


def test_rootfs_that_is_a_file_exits_125(run, cell_error, tdir):
    f = tdir / "file"
    f.write_text("")
    cell_error(run(["run", "--rootfs", f, "--", "/bin/true"]), 125, str(f))


# ---- binds, volumes, tmpfs


@pytest.fixture
def src(tdir):
    d = tdir / "src"
    d.mkdir()
    (d / "f").write_text("from host\n")
    os.chmod(d, 0o777)  # writable for nobody's containers too
    return d


def test_bind_is_writable_and_writes_reach_the_host(run, src, user):
    r = run(["run", "--bind", src, "/mnt", "--", "sh", "-c",
             "cat /mnt/f; echo from container > /mnt/g"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n"
    assert (src / "g").read_text() == "from container\n"


def test_bind_to_a_new_path_under_tmp(run, src, user):
    r = run(["run", "--bind", src, "/tmp/a/b", "--", "cat", "/tmp/a/b/f"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n"


def test_bind_source_under_host_tmp_is_the_hosts_not_the_containers(sh):
    # The container mounts its own tmpfs on /tmp and, on the host's root, /dev:
    # a bind source below those must still be the host's directory.
    host = tempfile.mkdtemp(prefix="cell-it-", dir="/tmp")
    try:
        with open(os.path.join(host, "marker"), "w") as f:
            f.write("host side\n")
        r = sh("cat /mnt/marker", "--bind", host, "/mnt")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "host side\n"
    finally:
        shutil.rmtree(host)


def test_bind_destination_missing_in_the_read_only_root_is_made_in_the_container_only(run, src):
    # issue 19: made in a mount skeleton (test_newuser.py has the details), never on the host
    r = run(["run", "--bind", src, "/no-such-dst", "--", "cat", "/no-such-dst/f"])
    assert r.returncode == 0 and r.stdout == "from host\n", r.stderr
    assert not os.path.exists("/no-such-dst")


def test_bind_destination_under_a_file_exits_125(run, cell_error, src):
    cell_error(run(["run", "--bind", src, "/etc/hostname/x", "--", "true"]), 125,
               "/etc/hostname/x", "Not a directory")


def test_ro_bind_is_readable_but_not_writable(run, src, user):
    r = run(["run", "--ro-bind", src, "/mnt", "--", "sh", "-c",
             "cat /mnt/f; echo x > /mnt/g"], user=user)
    assert r.returncode == 2, r.stderr  # sh cannot open the redirection
    assert r.stdout == "from host\n"
    assert "Read-only file system" in r.stderr, r.stderr
    assert not (src / "g").exists()


@pytest.mark.parametrize("mode,writable", [("", True), (":rw", True), (":ro", False)])
def test_volume_flag_modes(run, src, user, mode, writable):
    r = run(["run", "-v", f"{src}:/mnt{mode}", "--", "sh", "-c",
             "cat /mnt/f; touch /mnt/g && echo wrote || echo denied"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n" + ("wrote\n" if writable else "denied\n")
    assert (src / "g").exists() == writable


def test_volume_long_flag(run, src):
    r = run(["run", "--volume", f"{src}:/mnt", "--", "cat", "/mnt/f"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n"


def test_volume_with_a_bad_mode_exits_125(run, cell_error, src):
    cell_error(run(["run", "-v", f"{src}:/mnt:bogus", "--", "true"]), 125, "bogus")


def test_bind_of_a_single_file(run, src):
    r = run(["run", "--bind", src / "f", "/tmp/file", "--", "cat", "/tmp/file"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n"


@pytest.mark.parametrize("mode", ["1777", "750"])
def test_tmpfs_with_size_and_mode(run, user, mode):
    r = run(["run", "--tmpfs", f"/tmp/t:size=64m,mode={mode}", "--", "sh", "-c",
             "stat -c %a /tmp/t; cat /proc/self/mountinfo"], user=user)
    assert r.returncode == 0, r.stderr
    got_mode, info = r.stdout.split("\n", 1)
    m = by_point(mountinfo(info), "/tmp/t")
    assert m["fstype"] == "tmpfs"
    assert "size=65536k" in m["super"], m
    assert got_mode == mode


def test_tmpfs_on_an_existing_directory_of_the_read_only_root_is_writable(sh, user):
    r = sh("touch /mnt/x && ls /mnt", "--tmpfs", "/mnt", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "x"


def test_tmpfs_destination_missing_in_the_read_only_root_is_made_in_the_container_only(run):
    r = run(["run", "--tmpfs", "/no-such-dir", "--", "sh", "-c", "touch /no-such-dir/x"])
    assert r.returncode == 0, r.stderr
    assert not os.path.exists("/no-such-dir")


# ---- /dev

DEV_ENTRIES = {"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm",
               "mqueue", "fd", "stdin", "stdout", "stderr"}
DEV_NODES = {"null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9",
             "tty": "5:0"}
DEV_LINKS = {"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
             "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
DEV_SCRIPT = ("ls -A /dev; echo ---; "
              "for f in null zero full random urandom tty; do "
              "stat -L -c '%n %F %t:%T' /dev/$f; done; echo ---; "
              "for l in ptmx fd stdin stdout stderr; do echo \"$l $(readlink /dev/$l)\"; done; "
              "echo ---; ls -A /dev/pts; echo ---; cat /proc/self/mountinfo")


@pytest.mark.parametrize("root", ["host", "rootfs"])
def test_dev_holds_exactly_the_standard_entries(run, request, user, root):
    flags = []
    if root == "rootfs":
        flags = ["--rootfs", request.getfixturevalue("rootfs")]
    master, slave = os.openpty()  # so the host's /dev/pts is not empty
    try:
        r = run(["run", *flags, "--", "sh", "-c", DEV_SCRIPT], user=user)
    finally:
        os.close(master)
        os.close(slave)
    assert r.returncode == 0, r.stderr
    listing, nodes, links, pts, mounts = r.stdout.split("---\n")
    assert set(listing.split()) == DEV_ENTRIES
    for line in nodes.splitlines():
        path, kind = line.split(" ", 1)
        name = path.rsplit("/", 1)[1]
        assert kind.startswith("character special file"), line
        major, minor = (int(x, 16) for x in kind.rsplit(" ", 1)[1].split(":"))
        assert f"{major}:{minor}" == DEV_NODES[name], line
    assert dict(line.split(" ", 1) for line in links.splitlines()) == DEV_LINKS
    assert set(pts.split()) == {"ptmx"}, "devpts is not a new instance: " + pts
    mounts = mountinfo(mounts)
    assert by_point(mounts, "/dev")["fstype"] == "tmpfs"
    assert by_point(mounts, "/dev/pts")["fstype"] == "devpts"
    assert by_point(mounts, "/dev/shm")["fstype"] == "tmpfs"
    assert by_point(mounts, "/dev/mqueue")["fstype"] == "mqueue"


def test_dev_nodes_behave(sh, user):
    r = sh("echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 && "
           "head -c 8 /dev/urandom | wc -c && echo y > /dev/shm/f && cat /dev/shm/f && "
           "{ dd if=/dev/zero of=/dev/full bs=1 count=1 2>&1; echo full=$?; }", user=user)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("\n")
    assert out[0].split() == ["00"] * 4
    assert out[1].strip() == "8"
    assert out[2] == "y"
    assert "No space left on device" in r.stdout
    assert "full=0" not in r.stdout


# ---- propagation


@pytest.fixture
def shared_dir(tdir, host_mount):
    """A shared mount on the host (the host's own mounts are private here)."""
    d = tdir / "shared"
    d.mkdir()
    host_mount("--bind", d, target=d)
    host_mount("--make-shared", target=d)
    return d


WATCH = ("echo ready; i=0; while [ $i -lt 20 ]; do "
         "grep -q ' {point} ' /proc/self/mountinfo && {{ echo seen; exit 0; }}; "
         "sleep 0.1; i=$((i+1)); done; echo not-seen")


def _propagation_run(start, host_mount, shared_dir, *flags):
    late = shared_dir / "late"
    late.mkdir()
    c = start(["run", *flags, "--", "sh", "-c", WATCH.format(point=late)])
    c.wait_for("ready")
    host_mount("-t", "tmpfs", "ctr-it-late", target=late)
    status, out, err = c.finish(timeout=15)
    assert status == 0, err
    return out


def test_default_propagation_keeps_later_host_mounts_out(start, host_mount, shared_dir):
    assert "not-seen" in _propagation_run(start, host_mount, shared_dir)


def test_rslave_propagation_lets_host_mounts_in(start, host_mount, shared_dir):
    assert "seen" in _propagation_run(start, host_mount, shared_dir,
                                      "--propagation", "rslave").split()


def test_default_propagation_is_private(run, shared_dir):
    for m in inside_mounts(run):
        assert not any(t.startswith(("shared:", "master:")) for t in m["tags"]), m


def test_rshared_propagation_marks_mounts_shared(run, shared_dir):
    m = by_point(inside_mounts(run, "--propagation", "rshared"), str(shared_dir))
    assert any(t.startswith("shared:") for t in m["tags"]), m


def test_rslave_propagation_marks_mounts_slave(run, shared_dir):
    m = by_point(inside_mounts(run, "--propagation", "rslave"), str(shared_dir))
    assert any(t.startswith("master:") for t in m["tags"]), m


@pytest.mark.parametrize("mode,root_shared,point_tags", [
    ("private", False, set()),
    ("rprivate", False, set()),
    # Everything is made a slave first, so nothing inside reaches the host;
    # "slave" and "shared" then apply to the root mount alone, not below it.
    ("slave", False, {"master:"}),
    ("shared", True, {"master:"}),
])
def test_non_recursive_propagation_modes_set_the_kernels_tags(run, shared_dir, mode,
                                                               root_shared, point_tags):
    mounts = inside_mounts(run, "--propagation", mode)
    root = by_point(mounts, "/")
    assert any(t.startswith("shared:") for t in root["tags"]) == root_shared, root
    point = by_point(mounts, str(shared_dir))
    assert {t.split(":")[0] + ":" for t in point["tags"]} == point_tags, point


def test_unknown_propagation_exits_125(run, cell_error):
    cell_error(run(["run", "--propagation", "sideways", "--", "true"]), 125, "sideways")


def test_mount_namespace_changes_do_not_reach_the_host(run):
    before = open("/proc/self/mountinfo").read()
    r = run(["run", "--cap-add", "SYS_ADMIN", "--", "sh", "-c",
             "mount -t tmpfs ctr-it-inside /mnt && grep -c ctr-it-inside /proc/self/mountinfo"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    assert "ctr-it-inside" not in open("/proc/self/mountinfo").read()
    assert "ctr-it-inside" not in before
