"""mounts[] options, idmapped mounts, cgroup mounts, linux.devices, masked and read-only
paths, root.readonly and no_pivot, as the kernel shows them inside the container.

Driven through build/cell-spec-run (tests/helpers/spec_run.c), which is `cell run`
plus the spec fields no flag sets yet.
"""
import os
import pwd
import subprocess

import pytest

from conftest import CELL, TIMEOUT, _env, _reset_signals, _user_prefix, mountinfo, top

DRIVER = os.path.join(os.path.dirname(CELL), "cell-spec-run")


@pytest.fixture
def spec_run():
    """spec_run(edits, flags, script, user=None) -> CompletedProcess."""
    if not os.access(DRIVER, os.X_OK):
        pytest.skip(f"test driver not built: {DRIVER}")

    def _run(edits, flags, script, user=None):
        argv = _user_prefix(user) + [DRIVER, *map(str, edits), "run", *map(str, flags), "--",
                                     "sh", "-c", script]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT, env=_env(), cwd="/", preexec_fn=_reset_signals)
    return _run


@pytest.fixture
def urootfs(rootfs, user):
    """The busybox root, owned by whoever runs cell (a rootless user's bundle is theirs)."""
    if user:
        pw = pwd.getpwnam(user)
        for dirpath, dirnames, filenames in os.walk(rootfs):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.lchown(name, pw.pw_uid, pw.pw_gid)
    return rootfs




def mounts_of(r):
    assert r.returncode == 0, r.stderr
    return mountinfo(r.stdout)


MOUNTINFO = "cat /proc/self/mountinfo"


# ---- option families


def test_flag_options_reach_a_new_file_system(spec_run, urootfs, user):
    opts = "ro,nosuid,nodev,noexec,noatime,nodiratime,sync,dirsync,size=1m"
    m = top(mounts_of(spec_run(["--mount", f"tmpfs::/mnt/t:{opts}"], ["--rootfs", urootfs],
                               MOUNTINFO, user=user)), "/mnt/t")
    for flag in ("ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime"):
        assert flag in m["opts"], m
    assert "sync" in m["super"] and "dirsync" in m["super"] and "size=1024k" in m["super"], m


def test_last_atime_option_wins(spec_run, rootfs):
    mounts = mounts_of(spec_run(["--mount", "tmpfs::/a:noatime,strictatime",
                                 "--mount", "tmpfs::/b:strictatime,noatime"],
                                ["--rootfs", rootfs], MOUNTINFO))
    assert "noatime" not in top(mounts, "/a")["opts"] and "relatime" not in top(mounts, "/a")["opts"]
    assert "noatime" in top(mounts, "/b")["opts"]


@pytest.fixture
def flagged_src(tdir, host_mount):
    """A host tmpfs mounted nosuid,nodev,noexec,ro with a writable submount `sub`."""
    src = tdir / "src"
    src.mkdir()
    host_mount("-t", "tmpfs", "-o", "mode=0755", "ctr-it-src", target=src)
    (src / "sub").mkdir()
    (src / "file").write_text("host\n")
    host_mount("-t", "tmpfs", "-o", "mode=0777", "ctr-it-sub", target=src / "sub")
    host_mount("-o", "remount,ro,nosuid,nodev,noexec", target=src)
    return src


def test_negations_clear_the_source_flags_on_the_bind_top_only(spec_run, rootfs, flagged_src):
    mounts = mounts_of(spec_run(["--mount", f"bind:{flagged_src}:/data:rbind,rw,suid,dev,exec"],
                                ["--rootfs", rootfs], MOUNTINFO))
    data = top(mounts, "/data")
    for flag in ("ro", "nosuid", "nodev", "noexec"):
        assert flag not in data["opts"], data
    assert "rw" in top(mounts, "/data/sub")["opts"]


def test_plain_ro_on_rbind_is_the_top_mount_only_as_in_runc(spec_run, urootfs, tdir, host_mount,
                                                              user):
    src = tdir / "src"
    (src / "sub").mkdir(parents=True)
    host_mount("-t", "tmpfs", "-o", "mode=0777", "ctr-it-sub", target=src / "sub")
    r = spec_run(["--mount", f"bind:{src}:/data:rbind,ro"], ["--rootfs", urootfs],
                 "touch /data/sub/ok && echo sub-writable; " + MOUNTINFO, user=user)
    assert "ro" in top(mounts_of(r), "/data")["opts"]
    assert "rw" in top(mounts_of(r), "/data/sub")["opts"]
    assert "sub-writable" in r.stdout


def test_recursive_options_reach_every_submount(spec_run, urootfs, tdir, host_mount, user):
    src = tdir / "src"
    (src / "sub").mkdir(parents=True)
    host_mount("-t", "tmpfs", "-o", "mode=0777", "ctr-it-sub", target=src / "sub")
    opts = "rbind,rro,rnosuid,rnodev,rnoexec,rnoatime,rnodiratime,rnosymfollow"
    r = spec_run(["--mount", f"bind:{src}:/data:{opts}"], ["--rootfs", urootfs],
                 "touch /data/sub/x 2>&1; " + MOUNTINFO, user=user)
    assert "Read-only file system" in r.stdout
    mounts = mounts_of(r)
    # A user namespace cannot change the atime of a host mount (MNT_LOCK_ATIME).
    flags = ["ro", "nosuid", "nodev", "noexec", "nosymfollow"]
    flags += ["noatime", "nodiratime"] if user is None else ["relatime"]
    for point in ("/data", "/data/sub"):
        m = top(mounts, point)
        for flag in flags:
            assert flag in m["opts"], (point, m)
    assert not (src / "sub" / "x").exists()


def test_recursive_options_on_a_new_file_system(spec_run, urootfs, user):
    m = top(mounts_of(spec_run(["--mount", "tmpfs::/t:rnoexec,rnosuid,rro"], ["--rootfs", urootfs],
                               MOUNTINFO, user=user)), "/t")
    assert {"ro", "noexec", "nosuid"} <= set(m["opts"]), m


def test_recursive_clear_undoes_the_source_flags(spec_run, rootfs, flagged_src):
    mounts = mounts_of(spec_run(["--mount", f"bind:{flagged_src}:/data:rbind,rrw,rsuid,rexec"],
                                ["--rootfs", rootfs], MOUNTINFO))
    for flag in ("ro", "nosuid", "noexec"):
        assert flag not in top(mounts, "/data")["opts"]
    assert "nodev" in top(mounts, "/data")["opts"]


def test_ro_bind_really_refuses_writes(spec_run, urootfs, tdir, user):
    src = tdir / "src"
    src.mkdir()
    (src / "f").write_text("host\n")
    os.chmod(src, 0o777)
    os.chmod(src / "f", 0o666)
    r = spec_run(["--mount", f"bind:{src}:/data:bind,ro", "--mount", f"bind:{src}/f:/f:bind,ro"],
                 ["--rootfs", urootfs],
                 "echo x > /data/f; echo y > /f; touch /data/new; cat /f", user=user)
    assert r.stderr.count("Read-only file system") == 3, r.stderr
    assert r.stdout == "host\n"
    assert (src / "f").read_text() == "host\n" and not (src / "new").exists()


@pytest.mark.parametrize("option, tag", [("shared", "shared:"), ("unbindable", "unbindable"),
                                         ("private", None)])
def test_propagation_options_set_the_kernels_tags(spec_run, rootfs, option, tag):
    m = top(mounts_of(spec_run(["--mount", f"tmpfs::/t:{option}"], ["--rootfs", rootfs],
                               MOUNTINFO)), "/t")
    if tag:
        assert any(t.startswith(tag) for t in m["tags"]), m
    else:
        assert m["tags"] == [], m


def test_slave_bind_of_a_shared_mount_gets_a_master(spec_run, rootfs, tdir, host_mount):
    d = tdir / "shared"
    d.mkdir()
    host_mount("--bind", d, target=d)
    host_mount("--make-shared", target=d)
    m = top(mounts_of(spec_run(["--mount", f"bind:{d}:/s:rbind,rslave"], ["--rootfs", rootfs],
                               MOUNTINFO)), "/s")
    assert any(t.startswith("master:") for t in m["tags"]), m


def test_unknown_option_is_handed_to_the_file_system(spec_run, rootfs):
    r = spec_run(["--mount", "tmpfs::/t:no-such-option"], ["--rootfs", rootfs], "true")
    assert r.returncode == 125 and "/t" in r.stderr, r.stderr


def test_crun_copy_symlink_is_refused_by_name(spec_run, rootfs, tdir):
    r = spec_run(["--mount", f"bind:{tdir}:/t:bind,copy-symlink"], ["--rootfs", rootfs], "true")
    assert r.returncode == 125 and "copy-symlink" in r.stderr, r.stderr


def test_remount_changes_a_mount_already_there(spec_run, rootfs):
    mounts = mounts_of(spec_run(["--mount", "tmpfs::/t:size=1m", "--mount", "tmpfs::/t:remount,ro"],
                                ["--rootfs", rootfs], MOUNTINFO))
    assert "ro" in top(mounts, "/t")["opts"]


def test_tmpcopyup_starts_the_tmpfs_with_what_was_under_it(spec_run, rootfs):
    (rootfs / "etc" / "sub").mkdir()
    (rootfs / "etc" / "sub" / "greet").write_text("hello\n")
    os.chown(rootfs / "etc" / "sub" / "greet", 7, 8)
    os.symlink("greet", rootfs / "etc" / "sub" / "link")
    r = spec_run(["--mount", "tmpfs::/etc:tmpcopyup"], ["--rootfs", rootfs],
                 "stat -c '%u:%g' /etc/sub/greet; cat /etc/sub/link; echo new > /etc/sub/n; "
                 + MOUNTINFO)
    assert r.stdout.startswith("7:8\nhello\n"), r.stdout
    assert top(mounts_of(r), "/etc")["fstype"] == "tmpfs"
    assert not (rootfs / "etc" / "sub" / "n").exists()


# ---- targets stay inside the root


def test_symlink_in_the_rootfs_cannot_send_a_mount_to_the_host(spec_run, rootfs):
    name = f"ctr-it-escape-{os.getpid()}"
    os.symlink("/etc", rootfs / "evil")
    os.symlink("../../../../../../etc", rootfs / "evil2")
    r = spec_run(["--mount", f"tmpfs::/evil/{name}-a:", "--mount", f"tmpfs::/evil2/{name}-b:",
                  "--mount", f"tmpfs::/../../etc/{name}-c:"], ["--rootfs", rootfs], MOUNTINFO)
    points = [m["mountpoint"] for m in mounts_of(r)]
    for suffix in ("a", "b", "c"):
        assert f"/etc/{name}-{suffix}" in points
        assert not os.path.exists(f"/etc/{name}-{suffix}"), "a mount target reached the host"
        assert (rootfs / "etc" / f"{name}-{suffix}").is_dir()


def test_relative_destination_is_refused(spec_run, rootfs):
    r = spec_run(["--mount", "tmpfs::rel/x:"], ["--rootfs", rootfs], "true")
    assert r.returncode == 125 and "absolute" in r.stderr, r.stderr


def test_bind_of_a_file_creates_a_file_target(spec_run, rootfs, tdir):
    (tdir / "f").write_text("content\n")
    r = spec_run(["--mount", f"bind:{tdir}/f:/new/dir/f:bind"], ["--rootfs", rootfs],
                 "cat /new/dir/f")
    assert r.returncode == 0 and r.stdout == "content\n", r.stderr
    assert (rootfs / "new" / "dir" / "f").is_file()


# ---- idmapped mounts


@pytest.fixture
def owned_src(tdir):
    src = tdir / "idsrc"
    src.mkdir()
    (src / "f").write_text("x\n")
    os.chown(src / "f", 1000, 1001)
    return src


def test_idmapped_mount_shows_the_mapped_owner(spec_run, rootfs, owned_src):
    r = spec_run(["--mount", f"bind:{owned_src}:/id:bind", "--mount-uidmap", "1000:5000:10",
                  "--mount-gidmap", "1000:6000:10"], ["--rootfs", rootfs],
                 "stat -c '%u %g' /id/f; " + MOUNTINFO)
    assert r.stdout.startswith("5000 6001\n"), r.stdout + r.stderr
    assert "idmapped" in top(mounts_of(r), "/id")["opts"]


def test_idmap_option_alone_uses_the_containers_user_namespace(spec_run, rootfs, owned_src):
    os.chown(owned_src, 0, 0)
    r = spec_run(["--mount", f"bind:{owned_src}:/mnt:rbind,idmap"],
                 ["--rootfs", rootfs, "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"],
                 "stat -c '%u %g' /mnt /mnt/f; touch /mnt/new && stat -c '%u %g' /mnt/new")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["0 0", "1000 1001", "0 0"], r.stdout
    assert os.stat(owned_src / "new").st_uid == 0  # written back through the mapping


def test_idmapped_mount_needs_root_on_the_host(spec_run, rootfs, owned_src):
    r = spec_run(["--mount", f"bind:{owned_src}:/id:bind,idmap"], ["--rootfs", rootfs], "true",
                 user="nobody")
    assert r.returncode == 125 and "/id" in r.stderr, r.stderr


# ---- linux.devices

DEV_STAT = "stat -c '%n %F %t:%T %a %u:%g' "


def test_devices_get_their_type_numbers_mode_and_owner(spec_run, rootfs):
    r = spec_run(["--device", "/dev/fuse:c:10:229:640:0:5", "--device", "/dev/loopx:b:7:0:600:1234:1234",
                  "--device", "/dev/sub/fifo:p:0:0:620:5:6", "--device", "/dev/ux:u:1:5"],
                 ["--rootfs", rootfs],
                 DEV_STAT + "/dev/fuse /dev/loopx /dev/sub/fifo /dev/ux")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "/dev/fuse character special file a:e5 640 0:5",
        "/dev/loopx block special file 7:0 600 1234:1234",
        "/dev/sub/fifo fifo 0:0 620 5:6",
        "/dev/ux character special file 1:5 666 0:0",
    ]


def test_device_at_a_default_path_replaces_the_default(spec_run, rootfs):
    r = spec_run(["--device", "/dev/null:c:1:3:600"], ["--rootfs", rootfs],
                 DEV_STAT + "/dev/null /dev/zero")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["/dev/null character special file 1:3 600 0:0",
                                     "/dev/zero character special file 1:5 666 0:0"]


def test_rootless_devices_are_the_hosts_nodes(spec_run, rootfs):
    if not os.path.exists("/dev/fuse"):
        pytest.skip("the host has no /dev/fuse")
    r = spec_run(["--device", "/dev/fuse:c:10:229:666", "--device", "/dev/fifo:p:0:0"],
                 ["--rootfs", rootfs], DEV_STAT + "/dev/fuse /dev/fifo", user="nobody")
    assert r.returncode == 0, r.stderr
    fuse, fifo = r.stdout.splitlines()
    assert fuse.startswith("/dev/fuse character special file a:e5 ")
    assert fifo.startswith("/dev/fifo fifo ")


def test_device_over_something_else_is_refused(spec_run, rootfs):
    r = spec_run(["--device", "/bin/sh:c:1:3"], ["--rootfs", rootfs], "true")
    assert r.returncode == 125 and "/bin/sh" in r.stderr, r.stderr


# ---- masked and read-only paths, root.readonly, no_pivot


def test_masked_and_readonly_paths_in_a_bundle_rootfs(spec_run, urootfs, user):
    (urootfs / "secret").mkdir()
    (urootfs / "secret" / "key").write_text("k\n")
    (urootfs / "secret.txt").write_text("s\n")
    (urootfs / "data").mkdir(mode=0o777)
    os.chmod(urootfs / "data", 0o777)
    os.symlink("/etc", urootfs / "link-out")
    r = spec_run(["--no-default-paths", "--masked", "/secret", "--masked", "/secret.txt",
                  "--masked", "/link-out/passwd", "--readonly-path", "/data",
                  "--masked", "/not/there"],
                 ["--rootfs", urootfs],
                 "ls -A /secret; cat /secret.txt /etc/passwd; echo ---; touch /data/x", user=user)
    assert r.stdout == "---\n", r.stdout
    assert "Read-only file system" in r.stderr
    assert (urootfs / "secret" / "key").exists() and not (urootfs / "data" / "x").exists()
    with open("/etc/passwd") as f:
        assert f.read(), "the host's /etc/passwd must be untouched"


def test_root_readonly_comes_after_the_mount_targets(spec_run, urootfs, user):
    r = spec_run(["--mount", "tmpfs::/newdir/x:"], ["--rootfs", urootfs, "--read-only"],
                 "touch /x; touch /newdir/x/ok && echo ok; " + MOUNTINFO, user=user)
    assert "Read-only file system" in r.stderr and "ok\n" in r.stdout
    assert "ro" in top(mounts_of(r), "/")["opts"]
    assert (urootfs / "newdir" / "x").is_dir()


def test_no_pivot_moves_the_root_and_chroots(spec_run, urootfs, tdir, user):
    r = spec_run(["--no-pivot"], ["--rootfs", urootfs], "ls /; echo ---; " + MOUNTINFO, user=user)
    listing, info = r.stdout.split("---\n")
    assert "bin" in listing.split() and "var" not in listing.split()
    root = top(mountinfo(info), "/")
    assert root["fstype"] != "tmpfs"
    assert not any(m["mountpoint"].startswith(str(tdir)) for m in mountinfo(info))


# ---- cgroup mounts


def test_cgroup_mount_shows_only_the_containers_cgroup(spec_run, rootfs):
    r = spec_run(["--mount", "cgroup:cgroup:/sys/fs/cgroup:nosuid,nodev,noexec,ro"],
                 ["--rootfs", rootfs, "--memory", "100m"],
                 "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; touch /sys/fs/cgroup/x; "
                 + MOUNTINFO)
    assert r.stdout.startswith("104857600\n"), r.stdout + r.stderr
    assert "Read-only file system" in r.stderr
    mounts = mounts_of(r)
    cg = [m for m in mounts if m["mountpoint"].startswith("/sys/fs/cgroup/")]
    assert cg and all(m["fstype"] in ("cgroup", "cgroup2") for m in cg)
    assert all("ro" in m["opts"] for m in cg)
    assert top(mounts, "/sys/fs/cgroup/memory")["source"] == "cgroup"


def test_cgroup_mount_without_a_cgroup_namespace_binds_the_containers_own(spec_run, rootfs):
    r = spec_run(["--mount", "cgroup:cgroup:/sys/fs/cgroup:ro"],
                 ["--rootfs", rootfs, "--memory", "100m", "--share-cgroup"],
                 "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; " + MOUNTINFO)
    assert r.stdout.startswith("104857600\n"), r.stdout + r.stderr


def test_cgroup_mount_rootless(spec_run, rootfs):
    r = spec_run(["--mount", "cgroup:cgroup:/sys/fs/cgroup:ro"], ["--rootfs", rootfs],
                 "ls /sys/fs/cgroup; " + MOUNTINFO, user="nobody")
    assert r.returncode == 0, r.stderr
    assert top(mounts_of(r), "/sys/fs/cgroup")["fstype"] in ("tmpfs", "cgroup2")


def test_cgroup2_mount(spec_run, urootfs, user):
    r = spec_run(["--mount", "cgroup2:cgroup2:/sys/fs/cgroup:nosuid"], ["--rootfs", urootfs],
                 "cat /sys/fs/cgroup/cgroup.controllers >/dev/null && echo ok; " + MOUNTINFO,
                 user=user)
    assert r.stdout.startswith("ok\n"), r.stdout + r.stderr
    assert top(mounts_of(r), "/sys/fs/cgroup")["fstype"] == "cgroup2"
