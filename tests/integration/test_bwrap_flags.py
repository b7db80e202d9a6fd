"""bubblewrap's command line on `cell run` (bwrap(1)): what the kernel shows.

A bwrap script's flags each do there what they do in bwrap: a bind on / is
the root (under cell's /proc and /dev, never a mount stacked out of reach),
--args FD splices arguments in, --info-fd and --json-status-fd write bwrap's
JSON, --uid and --gid pick the ids inside a user namespace of cell's.
"""
import json
import os
import select
import shutil
import subprocess

import pytest

from conftest import TIMEOUT, _argv, _env, _reset_signals


def cell_fds(args, fds=(), user=None, timeout=TIMEOUT):
    """`cell ARGS` with @fds passed on at their own numbers."""
    return subprocess.run(_argv(args, user), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, env=_env(), cwd="/", pass_fds=fds,
                          preexec_fn=_reset_signals)


def mounts_at(mountinfo, point):
    """The mountinfo lines whose mount point is @point."""
    return [line for line in mountinfo.splitlines() if line.split()[4] == point]


def test_ro_bind_of_the_root_is_the_root_under_cells_proc_and_dev(sh, user):
    """bwrap's `--ro-bind / / --proc /proc --dev /dev`: one mount on /, read-only,
    and the container's own /proc and /dev on it (a stacked bind made a chroot:
    no user namespace could be made, and rootless runs failed)."""
    r = sh("cat /proc/1/comm; ls /dev | wc -l; touch /etc/cell-bwrap 2>&1; "
           "cat /proc/self/mountinfo",
           "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", user=user)
    assert r.returncode == 0, r.stderr
    comm, ndev, touched, *info = r.stdout.splitlines()
    mountinfo = "\n".join(info)
    assert comm == "cell-init"
    assert int(ndev) < 30  # cell's /dev, not the host's
    assert "Read-only file system" in touched
    assert len(mounts_at(mountinfo, "/")) == 1, mounts_at(mountinfo, "/")
    assert not os.path.exists("/etc/cell-bwrap")


def test_bind_of_a_directory_on_root_is_the_root(run, rootfs, user):
    r = run(["run", "--ro-bind", rootfs, "/", "--", "/bin/sh", "-c",
             "ls /; touch /new 2>&1; cat /proc/1/comm"], user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "bin" in lines and "usr" not in lines, lines
    assert any("Read-only file system" in x for x in lines), lines
    assert not (rootfs / "new").exists()


def test_bind_of_the_hosts_root_on_root_is_writable_as_bwrap_makes_it(run):
    """(Not /var/tmp, where the tests' directories are: cell hides it, and /run, as ever.)"""
    d = f"/opt/cell-bwrap-{os.getpid()}"
    os.mkdir(d)
    try:
        r = run(["run", "--bind", "/", "/", "--", "sh", "-c", f"echo hi > {d}/written"])
        assert r.returncode == 0, r.stderr
        with open(f"{d}/written") as f:
            assert f.read() == "hi\n"
    finally:
        shutil.rmtree(d)


def test_args_fd_splices_arguments_in_place(tdir, user):
    args = tdir / "args"
    args.write_bytes(b"--chdir\0/etc\0--setenv\0GREETING\0two words\0--hostname\0inner\0")
    with open(args, "rb") as f:
        r = cell_fds(["run", "--args", str(f.fileno()), "--", "sh", "-c",
                      'pwd; echo "$GREETING"; hostname'], fds=(f.fileno(),), user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["/etc", "two words", "inner"]


def test_args_fd_that_is_not_open_is_said(cell_error):
    cell_error(cell_fds(["run", "--args", "987", "--", "true"]), 125, "--args 987")


def read_fd(fd):
    with os.fdopen(fd, "rb") as f:
        return f.read().decode()


@pytest.mark.parametrize("script, code", [("exit 3", 3), ("kill -9 $$", 137)])
def test_info_and_json_status_fds_speak_bwraps_json(user, script, code):
    info_r, info_w = os.pipe()
    js_r, js_w = os.pipe()
    r = cell_fds(["run", "--info-fd", str(info_w), "--json-status-fd", str(js_w),
                  "--", "sh", "-c", "readlink /proc/self/ns/pid /proc/self/ns/net; " + script],
                 fds=(info_w, js_w), user=user)
    os.close(info_w)
    os.close(js_w)
    info, status = read_fd(info_r), read_fd(js_r)
    assert r.returncode == code, r.stderr
    pidns, netns = r.stdout.splitlines()
    doc = json.loads(info)
    assert info.startswith("{\n    \"child-pid\": ")
    assert f"pid:[{doc['pid-namespace']}]" == pidns
    assert f"net:[{doc['net-namespace']}]" == netns
    assert {"cgroup-namespace", "ipc-namespace", "mnt-namespace", "uts-namespace"} <= set(doc)
    first, last = status.splitlines()
    assert json.loads(first) == doc
    assert json.loads(last) == {"exit-code": code}


@pytest.mark.parametrize("flag", ["--info-fd", "--sync-fd"])
def test_fds_cell_holds_are_refused_with_detach(run, cell_error, tdir, flag):
    r, w = os.pipe()
    try:
        res = cell_fds(["--root", str(tdir), "run", "-d", "--name", "bw1", flag, str(w), "--",
                        "true"], fds=(w,))
    finally:
        os.close(r)
        os.close(w)
    cell_error(res, 125, flag, "--detach")
    assert list(tdir.iterdir()) == []


def test_uid_and_gid_are_the_ids_inside(run, user):
    r = run(["run", "--unshare-user", "--uid", "1234", "--gid", "99", "--", "sh", "-c",
             "id -u; id -g; grep Cap[EP] /proc/self/status"], user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["1234", "99"]
    assert all(x.split()[1] == "0000000000000000" for x in lines[2:]), lines


def test_uid_alone_keeps_the_callers_gid_as_bwrap_does(run):
    r = run(["run", "--uid", "1234", "--", "sh", "-c", "id -u; id -g"], user="nobody")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["1234", "65534"]


@pytest.mark.parametrize("flags, needle", [
    (["--uid", "5"], "--uid needs a user namespace"),
    (["--unshare-user", "--uid", "5", "-u", "6"], "--uid and --user"),
    (["--unshare-user", "--gid", "5", "--keep-id"], "--gid and --keep-id"),
    (["--disable-userns"], "--disable-userns needs a user namespace"),
    (["--unshare-user", "--assert-userns-disabled", "--nested-userns"], "opposite"),
    (["--perms", "0700", "--hostname", "x"], "--perms must be followed by --tmpfs"),
    (["--size", "1m"], "--size must be followed by --tmpfs"),
    (["--perms", "0800", "--tmpfs", "/mnt"], "--perms '0800'"),
    (["--dev", "/mnt"], "--dev /mnt"),
    (["--proc", "mnt"], "--proc 'mnt'"),
])
def test_what_bwrap_would_refuse_is_refused(run, cell_error, flags, needle):
    cell_error(run(["run", *flags, "--", "true"]), 125, needle)


def test_as_pid_1_and_chdir(sh, user):
    r = sh("echo $$; cat /proc/1/comm; pwd", "--as-pid-1", "--chdir", "/usr", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["1", "sh", "/usr"]


def test_bind_try_skips_a_missing_source_and_binds_the_rest(sh, user, tdir):
    (tdir / "f").write_text("here\n")
    os.chmod(tdir / "f", 0o644)
    os.symlink(tdir / "nowhere", tdir / "dangling")
    r = sh("ls /mnt/a 2>&1; cat /mnt/b; (echo x > /mnt/b) 2>&1; ls /mnt/c 2>&1; "
           "ls /mnt/d 2>/dev/null || echo no-d",
           "--tmpfs", "/mnt", "--bind-try", tdir / "missing", "/mnt/a",
           "--ro-bind-try", tdir / "f", "/mnt/b",
           "--dev-bind-try", tdir / "missing2", "/mnt/c",
           "--bind-try", tdir / "dangling", "/mnt/d", user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "/mnt/a" in lines[0] and "No such file or directory" in lines[0], lines
    assert lines[1] == "here"
    assert "Read-only file system" in lines[2], lines
    assert "/mnt/c" in lines[3] and "No such file" in lines[3], lines
    assert lines[4] == "no-d", lines


def test_proc_elsewhere_and_mqueue_are_mounted(sh, user):
    r = sh("cat /proc/self/mountinfo", "--proc", "/mnt", "--mqueue", "/dev/mqueue", user=user)
    assert r.returncode == 0, r.stderr
    assert [m for m in mounts_at(r.stdout, "/mnt") if " - proc " in m]
    assert [m for m in mounts_at(r.stdout, "/dev/mqueue") if " - mqueue " in m]


def test_perms_and_size_shape_the_next_tmpfs(sh, user):
    r = sh("stat -c %a /mnt; df -k /mnt | tail -1; stat -c %a /opt",
           "--perms", "0700", "--size", "1m", "--tmpfs", "/mnt", "--tmpfs", "/opt", user=user)
    assert r.returncode == 0, r.stderr
    mode, df, other = r.stdout.splitlines()
    assert mode == "700" and df.split()[1] == "1024" and other == "1777", r.stdout


def test_disable_userns_leaves_no_user_namespace_to_make(sh, user):
    flags = ["--disable-userns", "--assert-userns-disabled", "--seccomp", "unconfined"]
    if user is None:
        flags.insert(0, "--unshare-user")
    r = sh("unshare -U true 2>&1; echo $?", *flags, user=user)
    assert r.returncode == 0, r.stderr
    assert "No space left on device" in r.stdout and r.stdout.splitlines()[-1] == "1"


def test_try_flags_make_what_the_kernel_allows(sh):
    r = sh("readlink /proc/self/ns/user /proc/self/ns/cgroup",
           "--unshare-user-try", "--unshare-cgroup-try")
    assert r.returncode == 0, r.stderr
    user, cgroup = r.stdout.splitlines()
    assert user != os.readlink("/proc/self/ns/user")
    assert cgroup != os.readlink("/proc/self/ns/cgroup")


def test_dir_is_made_in_its_turn_with_its_mode(sh, user, missing):
    """On the host's read-only root (in a skeleton, the host untouched) and in a tmpfs."""
    r = sh(f"stat -c '%a %F' {missing}/a/b /mnt/x /mnt/x/y; readlink /mnt/l",
           "--perms", "0700", "--dir", f"{missing}/a/b",
           "--tmpfs", "/mnt", "--dir", "/mnt/x/y", "--symlink", "x/y", "/mnt/l", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["700 directory", "755 directory", "755 directory", "x/y"]


def data_fd(tdir, name, data):
    path = tdir / name
    path.write_bytes(data)
    return os.open(path, os.O_RDONLY)


def test_file_and_data_binds_hold_the_fds_bytes(tdir, user, missing):
    data = b"line one\n\0binary\xff\n"
    fds = [data_fd(tdir, n, data) for n in ("f", "b", "r")]
    with open("/etc/hostname", "rb") as f:
        hostname = f.read()
    try:
        r = cell_fds(["run", "--file", str(fds[0]), "/etc/hostname",
                      "--perms", "0640", "--bind-data", str(fds[1]), f"{missing}/b",
                      "--ro-bind-data", str(fds[2]), "/mnt/r", "--", "sh", "-c",
                      f"od -An -tx1 /etc/hostname | tr -d ' \\n'; echo; stat -c '%a' /etc/hostname "
                      f"{missing}/b /mnt/r; cmp /etc/hostname {missing}/b && echo same; "
                      f"(echo x >> {missing}/b) 2>&1 && echo wrote; (echo x >> /mnt/r) 2>&1; "
                      f"true"], fds=fds, user=user)
    finally:
        for fd in fds:
            os.close(fd)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == data.hex(), lines
    assert lines[1:5] == ["666", "640", "600", "same"], lines
    assert lines[-2] == "wrote" and "Read-only file system" in lines[-1], lines
    with open("/etc/hostname", "rb") as f:
        assert f.read() == hostname


def test_chmod_and_remount_ro_act_in_their_turn(sh, user):
    r = sh("stat -c %a /mnt/d; touch /mnt/n 2>&1; touch /tmp/n && echo tmp-writable",
           "--tmpfs", "/mnt", "--dir", "/mnt/d", "--chmod", "0701", "/mnt/d",
           "--remount-ro", "/mnt", user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "701"
    assert "Read-only file system" in lines[1], lines
    assert lines[2] == "tmp-writable"


@pytest.mark.parametrize("flags, needle", [
    (["--chmod", "0700", "/no/such/path"], "--chmod 0700 /no/such/path"),
    (["--chmod", "0700", "/etc"], "--chmod 0700 /etc"),
    (["--dir", "relative"], "--dir 'relative': PATH must be an absolute path"),
    (["--dir", "/etc/hostname"], "--dir /etc/hostname"),
    (["--perms", "0700", "--chmod", "0700", "/tmp"], "--perms must be followed by"),
    (["--bind-data", "0", "relative"], "--bind-data 'relative': PATH must be an absolute"),
])
def test_path_flags_that_cannot_be_carried_out_say_why(run, cell_error, flags, needle):
    cell_error(run(["run", *flags, "--", "true"]), 125, needle)


def test_sync_fd_is_held_until_the_container_ends_and_never_passed_in(user):
    sync_r, sync_w = os.pipe()
    go_r, go_w = os.pipe()
    p = subprocess.Popen(_argv(["run", "--sync-fd", str(sync_w), "--", "sh", "-c",
                                "ls /proc/self/fd | wc -l; echo up; read x"], user),
                         stdin=go_r, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env(), cwd="/", pass_fds=(sync_w,), preexec_fn=_reset_signals)
    os.close(sync_w)
    os.close(go_r)
    try:
        nfds = p.stdout.readline().strip()
        assert p.stdout.readline() == "up\n"
        # the container runs: the write end is still open (held by cell, not by the container)
        assert select.select([sync_r], [], [], 0.2)[0] == []
        os.write(go_w, b"\n")
        os.close(go_w)
        assert p.wait(TIMEOUT) == 0, p.stderr.read()
        assert select.select([sync_r], [], [], TIMEOUT)[0] == [sync_r]
        assert os.read(sync_r, 1) == b""  # EOF: cell closed it at the end
        assert nfds == "4", nfds  # 0, 1, 2 and ls's own directory fd
    finally:
        os.close(sync_r)
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
