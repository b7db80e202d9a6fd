"""OCI bundles (config.json): mounts, linux.devices, maskedPaths, readonlyPaths, root.readonly
and cgroup mounts as runc's `spec` writes them, checked inside the container.

Run through build/cell-spec-run --bundle DIR (cell_spec_load + cell_run, from DIR).
"""
import json
import os
import pwd
import subprocess

import pytest

from conftest import (CELL, SANE_PATH, TIMEOUT, _env, _reset_signals, _user_prefix, mountinfo,
                      top)

DRIVER = os.path.join(os.path.dirname(CELL), "cell-spec-run")


def runc_like_config(script, user):
    """What `runc spec` (or `runc spec --rootless`) writes, running `sh -c SCRIPT`."""
    cfg = {
        "ociVersion": "1.2.0",
        "process": {"cwd": "/", "args": ["sh", "-c", script], "env": [f"PATH={SANE_PATH}"],
                    "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs"},
        "hostname": "bundle",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount",
                                                  "cgroup")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/sys"],
        },
    }
    if user:
        pw = pwd.getpwnam(user)
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": pw.pw_uid, "size": 1}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": pw.pw_gid, "size": 1}]
    return cfg


@pytest.fixture
def bundle(rootfs, user):
    """bundle(script, edit=None) -> CompletedProcess of the bundle around the busybox root."""
    if not os.access(DRIVER, os.X_OK):
        pytest.skip(f"test driver not built: {DRIVER}")
    top = rootfs.parent
    if user:
        pw = pwd.getpwnam(user)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.lchown(name, pw.pw_uid, pw.pw_gid)

    def _run(script, edit=None):
        cfg = runc_like_config(script, user)
        if edit:
            edit(cfg)
        (top / "config.json").write_text(json.dumps(cfg))
        os.chmod(top / "config.json", 0o644)
        argv = _user_prefix(user) + [DRIVER, "--bundle", str(top)]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT, env=_env(), cwd="/", preexec_fn=_reset_signals)
    return _run




def test_runc_default_bundle_runs_with_its_cgroup_mount(bundle, user):
    r = bundle("cat /proc/self/mountinfo")
    assert r.returncode == 0, r.stderr
    mounts = mountinfo(r.stdout)
    cg = top(mounts, "/sys/fs/cgroup")
    assert cg["fstype"] in ("tmpfs", "cgroup2") and "ro" in cg["opts"]
    assert "ro" in top(mounts, "/proc/sys")["opts"]
    assert top(mounts, "/sys/firmware")["fstype"] == "tmpfs"


def test_bundle_mount_options_devices_and_paths(bundle, rootfs, user, tdir):
    (tdir / "vol").mkdir()
    (tdir / "vol" / "f").write_text("vol\n")
    os.chmod(tdir / "vol", 0o777)
    (rootfs / "secret").mkdir()
    (rootfs / "secret" / "key").write_text("k\n")

    def edit(cfg):
        cfg["mounts"] += [
            # relative source: from the bundle directory, as runc does
            {"destination": "/vol", "type": "bind", "source": "vol", "options": ["rbind", "rro"]},
            {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700", "rshared"]},
        ]
        cfg["linux"]["devices"] = [{"path": "/dev/fifo0", "type": "p", "fileMode": 0o600}]
        cfg["linux"]["maskedPaths"].append("/secret")
        cfg["linux"]["readonlyPaths"].append("/tmp")
        cfg["root"]["readonly"] = True
    os.rename(tdir / "vol", rootfs.parent / "vol")
    r = bundle("echo x > /vol/f; touch /x /tmp/y; ls -A /secret; cat /vol/f; "
               "stat -c '%F %a' /dev/fifo0; echo ---; cat /proc/self/mountinfo", edit)
    assert r.returncode == 0, r.stderr
    out, info = r.stdout.split("---\n")
    assert out == "vol\nfifo 600\n", out
    assert r.stderr.count("Read-only file system") == 3, r.stderr
    mounts = mountinfo(info)
    assert "ro" in top(mounts, "/")["opts"]
    # every masked directory is the one empty tmpfs, read-only in its superblock
    masks = [top(mounts, d) for d in ("/secret", "/sys/firmware")]
    assert masks[0]["dev"] == masks[1]["dev"], masks
    assert all(m["fstype"] == "tmpfs" and "ro" in m["super"] for m in masks), masks
    scratch = top(mounts, "/scratch")
    assert {"nosuid", "nodev", "noexec"} <= set(scratch["opts"])
    assert "mode=700" in scratch["super"] and any(t.startswith("shared:") for t in scratch["tags"])


def test_bundle_symlink_escape_stays_in_the_root(bundle, rootfs, user):
    name = f"ctr-it-bundle-{os.getpid()}"
    os.symlink("/etc", rootfs / "evil")
    if user:
        os.lchown(rootfs / "evil", pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)

    def edit(cfg):
        cfg["mounts"].append({"destination": f"/evil/{name}", "type": "tmpfs", "source": "tmpfs"})
        cfg["linux"]["devices"] = [{"path": f"/evil/{name}-dev", "type": "p"}]
    r = bundle("true", edit)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(f"/etc/{name}") and not os.path.exists(f"/etc/{name}-dev")
    assert (rootfs / "etc" / name).is_dir() and (rootfs / "etc" / f"{name}-dev").exists()


@pytest.mark.parametrize("user", [None], ids=["root"])
def test_bundle_idmapped_mount(bundle, tdir, user):
    (tdir / "ids").mkdir()
    (tdir / "ids" / "f").write_text("x\n")
    os.chown(tdir / "ids" / "f", 100, 200)

    def edit(cfg):
        cfg["mounts"].append({
            "destination": "/ids", "type": "bind", "source": str(tdir / "ids"),
            "options": ["bind"],
            "uidMappings": [{"containerID": 100, "hostID": 1100, "size": 3}],
            "gidMappings": [{"containerID": 200, "hostID": 1900, "size": 50}]})
    r = bundle("stat -c '%u:%g' /ids/f", edit)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1100:1900\n"


@pytest.mark.parametrize("user", [None], ids=["root"])
def test_bundle_devices_with_numbers_mode_and_owner(bundle, user):
    def edit(cfg):
        cfg["linux"]["devices"] = [
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666,
             "uid": 0, "gid": 0},
            {"path": "/dev/sdz", "type": "b", "major": 8, "minor": 0, "fileMode": 0o660,
             "uid": 0, "gid": 6},
        ]
    r = bundle("stat -c '%n %F %t:%T %a %u:%g' /dev/fuse /dev/sdz", edit)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["/dev/fuse character special file a:e5 666 0:0",
                                     "/dev/sdz block special file 8:0 660 0:6"]
