"""OCI runtime-spec rules an outside conformance suite checks (issue 16): no
namespaces means the runtime's own, mounts[] in their listed order, the hooks'
state and failure rules, rootfsPropagation "unbindable", ociVersion as SemVer.

Each test checks what the kernel or the hook sees, not what cell prints.
"""
import json
import os

import pytest

from conftest import assert_cell_error, mountinfo
from test_oci import bundle, cgroup_dirs, hook, oci, ok, root  # noqa: F401 (fixtures)


# ------------------------------------------------------------ mounts order


def test_mounts_appear_in_mountinfo_in_the_order_config_json_lists_them(root, bundle, tdir):
    """config.md: "The runtime MUST mount entries in the listed order"; mountinfo
    lists a namespace's mounts in the order they were made (by mount id since
    Linux 6.8), so a bind made ahead of its turn shows up before / and /proc."""
    src = tdir / "src"
    src.mkdir()
    (src / "mark").write_text("bound\n")
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/mnt/a", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
        {"destination": "/mnt/a/b", "type": "bind", "source": str(src), "options": ["bind"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "mode=755"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid"]},
        {"destination": "/mnt/c", "type": "bind", "source": str(src), "options": ["rbind", "ro"]},
    ]
    b = bundle(["sh", "-c", "cat /mnt/a/b/mark && cat /proc/self/mountinfo"],
               edit=lambda c: c.update(mounts=mounts))
    out = ok(oci(root, "run", "--bundle", b, "order1"))
    assert out.startswith("bound\n")
    points = [m["mountpoint"] for m in mountinfo(out)]
    assert points[0] == "/", points
    listed = [m["destination"] for m in mounts]
    # the first appearance of each listed destination, in mountinfo's order
    seen = [p for i, p in enumerate(points) if p in listed and p not in points[:i]]
    assert seen == listed, points


def listed_in_order(out, mounts):
    """The first appearance of each listed destination, in mountinfo's order."""
    points = [m["mountpoint"] for m in mountinfo(out)]
    listed = [m["destination"] for m in mounts]
    seen = [p for i, p in enumerate(points) if p in listed and p not in points[:i]]
    assert seen == listed, points
    return points


@pytest.mark.parametrize("userns", [False, True], ids=["root", "userns"])
def test_an_idmapped_bind_between_two_binds_keeps_its_place_in_mountinfo(root, bundle, tdir,
                                                                        rootfs, userns):
    """The parent makes the idmapped tree before the container exists (it needs
    CAP_SYS_ADMIN over the source's file system): it is cloned again in its turn."""
    src = tdir / "src"
    src.mkdir()
    (src / "f").write_text("x\n")
    os.chown(src / "f", 1000, 1001)
    for name in ("a", "id", "b"):  # the userns root may not make them in the host's rootfs
        (rootfs / "mnt" / name).mkdir()
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
        {"destination": "/mnt/a", "type": "bind", "source": str(src), "options": ["rbind"]},
        {"destination": "/mnt/id", "type": "bind", "source": str(src), "options": ["rbind"],
         "uidMappings": [{"containerID": 1000, "hostID": 5000, "size": 10}],
         "gidMappings": [{"containerID": 1000, "hostID": 6000, "size": 10}]},
        {"destination": "/mnt/b", "type": "bind", "source": str(src), "options": ["bind", "ro"]},
    ]

    def edit(cfg):
        cfg["mounts"] = mounts
        if userns:
            cfg["linux"]["namespaces"].append({"type": "user"})
            cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
            cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b = bundle(["sh", "-c", "stat -c '%u %g' /mnt/id/f && cat /proc/self/mountinfo"], edit=edit)
    out = ok(oci(root, "run", "--bundle", b, f"idorder-{userns:d}-{os.getpid()}"))
    # the mapping (host 5000 inside a userns mapping 0 to 100000 shows as overflow)
    assert out.startswith("5000 6001\n" if not userns else "65534 65534\n"), out
    points = listed_in_order(out, mounts)
    assert points[0] == "/", points
    assert "idmapped" in [m for m in mountinfo(out) if m["mountpoint"] == "/mnt/id"][0]["opts"]


def test_host_root_binds_appear_in_the_order_given(tdir, visible_dir):
    """cell run without a root file system: its binds are cloned before the
    container's mounts cover their sources, then again in their turn."""
    from conftest import run_cell
    for name in ("one", "two", "three"):
        (visible_dir / name).mkdir()
    flags = ["--tmpfs", "/mnt/t"]
    for name in ("one", "two", "three"):
        flags += ["--bind", str(visible_dir / name), f"/mnt/{name}"]
    res = run_cell(["run", *flags, "--", "cat", "/proc/self/mountinfo"])
    assert res.returncode == 0, res.stderr
    points = [m["mountpoint"] for m in mountinfo(res.stdout)]
    want = ["/proc", "/mnt/t", "/mnt/one", "/mnt/two", "/mnt/three"]
    seen = [p for i, p in enumerate(points) if p in want and p not in points[:i]]
    assert [p for p in seen if p != "/proc"] == want[1:], points
    assert points.index("/mnt/one") > points.index("/mnt/t") > points.index("/proc"), points


# ------------------------------------------------------------------ hooks


def saving_hook(tdir, name, status=0):
    """A host hook that saves the state it reads on stdin to tdir/NAME.json."""
    return {"path": hook(tdir, name, f"cat > {tdir}/{name}.json\nexit {status}\n")}


def saved(tdir, name):
    return json.loads((tdir / f"{name}.json").read_text())


def test_each_hook_reads_the_status_the_spec_gives_it_and_failing_post_hooks_only_warn(
        root, bundle, tdir):
    """config.md: the state on a hook's stdin; a failing poststart or poststop hook
    is a warning, and the remaining hooks and the lifecycle go on."""
    hooks = {
        "prestart": [saving_hook(tdir, "prestart")],
        "createRuntime": [saving_hook(tdir, "createRuntime")],
        # in the container's namespaces before pivot_root: the host's paths
        "createContainer": [{"path": "/bin/sh",
                             "args": ["sh", "-c", f"cat > {tdir}/createContainer.json"]}],
        # inside the container's root
        "startContainer": [{"path": "/bin/sh",
                            "args": ["sh", "-c", "cat > /tmp/startContainer.json"]}],
        "poststart": [saving_hook(tdir, "poststart0", 1), saving_hook(tdir, "poststart1")],
        "poststop": [saving_hook(tdir, "poststop0", 2), saving_hook(tdir, "poststop1")],
    }
    b = bundle(["sleep", "30"], edit=lambda c: c.update(hooks=hooks))
    ok(oci(root, "create", "--bundle", b, "hk1"))
    try:
        pid = json.loads(ok(oci(root, "state", "hk1")))["pid"]
        for name in ("prestart", "createRuntime", "createContainer"):
            st = saved(tdir, name)
            assert (st["id"], st["status"], st["pid"]) == ("hk1", "creating", pid), name
        res = oci(root, "start", "hk1")
        assert res.returncode == 0, res.stderr
        assert "hooks.poststart[0]" in res.stderr and "warning" in res.stderr
        inner = f"/proc/{pid}/root/tmp/startContainer.json"
        assert json.loads(open(inner).read())["status"] == "created"
        assert saved(tdir, "poststart0")["status"] == "running"
        assert saved(tdir, "poststart1")["status"] == "running"
        assert json.loads(ok(oci(root, "state", "hk1")))["status"] == "running"
        ok(oci(root, "kill", "hk1", "KILL"))
    finally:
        res = oci(root, "delete", "--force", "hk1")
    assert res.returncode == 0, res.stderr
    assert "hooks.poststop[0]" in res.stderr
    assert not (root / "hk1").exists()
    assert saved(tdir, "poststop0")["status"] == "stopped"
    assert saved(tdir, "poststop1")["status"] == "stopped"


def test_run_goes_on_past_a_failing_poststart_and_poststop_hook(root, bundle, tdir):
    hooks = {"poststart": [saving_hook(tdir, "ps0", 1), saving_hook(tdir, "ps1")],
             "poststop": [saving_hook(tdir, "pst0", 1), saving_hook(tdir, "pst1")]}
    b = bundle(["sh", "-c", "exit 7"], edit=lambda c: c.update(hooks=hooks))
    res = oci(root, "run", "--bundle", b, "hk2")
    assert res.returncode == 7, res.stderr
    assert "hooks.poststart[0]" in res.stderr and "hooks.poststop[0]" in res.stderr
    assert [saved(tdir, n)["status"] for n in ("ps0", "ps1", "pst0", "pst1")] == \
        ["running", "running", "stopped", "stopped"]
    assert list(root.iterdir()) == []


# ------------------------------------------------------------- validation


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0-", "01.0.0"])
@pytest.mark.parametrize("command", ["create", "run"])
def test_oci_version_that_is_not_semver_is_refused_by_its_json_path(root, bundle, version,
                                                                      command):
    """config.md: ociVersion "MUST be in SemVer v2.0.0 format"."""
    b = bundle(["true"], edit=lambda c: c.update(ociVersion=version))
    assert_cell_error(oci(root, command, "--bundle", b, "v1"), 125, "ociVersion:",
                      f'"{version}"', "semantic version")
    assert list(root.iterdir()) == [] and cgroup_dirs("v1") == []


def test_oci_version_with_pre_release_and_build_is_accepted(root, bundle):
    b = bundle(["true"], edit=lambda c: c.update(ociVersion="1.2.0-rc.1+cell.7"))
    ok(oci(root, "run", "--bundle", b, "v2"))


# ---------------------------------------------------- rootfsPropagation


@pytest.mark.parametrize("propagation", ["unbindable", "runbindable"])
def test_unbindable_root_cannot_be_bind_mounted(root, bundle, propagation):
    """config-linux.md rootfsPropagation: the root mount itself is made unbindable
    (as runc does after pivot_root), so MS_BIND of / fails with EINVAL."""
    caps = ["CAP_SYS_ADMIN"]

    def edit(c):
        c["linux"]["rootfsPropagation"] = propagation
        c["linux"].pop("seccomp", None)  # the default profile refuses mount(2) itself
        c["process"]["capabilities"] = {k: caps for k in ("bounding", "effective",
                                                          "permitted")}
    b = bundle(["sh", "-c",
                "mkdir -p /mnt/s /mnt/t /mnt/r; mount -t tmpfs s /mnt/s && "
                "mount --bind /mnt/s /mnt/t && echo tmp-bound; "
                "mount --bind / /mnt/r 2>&1; awk '$5 == \"/\"' /proc/self/mountinfo"],
               edit=edit)
    out = ok(oci(root, "run", "--bundle", b, "ub1"))
    assert "tmp-bound" in out  # binds are allowed: only the root mount refuses them
    assert "Invalid argument" in out, out
    top = mountinfo(out.split("\n", 2)[2])
    assert len(top) == 1 and "unbindable" in top[0]["tags"], out


# ------------------------------------------------------------- namespaces

NS_TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")


def no_namespaces(cfg):
    """linux.namespaces empty, and nothing a new mount namespace would be needed for."""
    cfg["linux"]["namespaces"] = []
    for key in ("maskedPaths", "readonlyPaths", "devices", "uidMappings", "gidMappings"):
        cfg["linux"].pop(key, None)
    cfg["mounts"] = []
    cfg.pop("hostname", None)


def mounts_under(path):
    """The host's mount points at or below @path (other tests mount elsewhere meanwhile)."""
    with open("/proc/self/mountinfo") as f:
        return [m["mountpoint"] for m in mountinfo(f.read())
                if (m["mountpoint"] + "/").startswith(str(path) + "/")]


def test_no_namespaces_listed_means_the_runtimes_own(root, bundle, rootfs, host_mount, tdir):
    """config-linux.md: "If a namespace type is not specified in the namespaces
    array, the container MUST inherit the runtime namespace of that type." The
    root is entered with chroot: cell mounts nothing, so the test binds the
    host's /proc into the root file system itself."""
    host_mount("--bind", "/proc", target=rootfs / "proc")
    (rootfs / "marker").write_text("in the bundle's root\n")
    b = bundle(["sh", "-c", f"cat /marker; for t in {' '.join(NS_TYPES)}; do "
                "readlink /proc/self/ns/$t; done"], edit=no_namespaces)
    before = mounts_under(tdir)
    out = ok(oci(root, "run", "--bundle", b, "nons1")).splitlines()
    assert out[0] == "in the bundle's root"
    assert out[1:] == [os.readlink(f"/proc/self/ns/{t}") for t in NS_TYPES]
    assert mounts_under(tdir) == before  # nothing mounted on the host


@pytest.mark.parametrize("field, edit", [
    ("mounts", lambda c: c.update(mounts=[{"destination": "/proc", "type": "proc",
                                           "source": "proc"}])),
    ("linux.maskedPaths", lambda c: c["linux"].update(maskedPaths=["/proc/kcore"])),
    ("root.readonly", lambda c: c["root"].update(readonly=True)),
])
def test_without_a_mount_namespace_what_needs_mounts_is_refused(root, bundle, field, edit):
    def both(cfg):
        no_namespaces(cfg)
        edit(cfg)
    b = bundle(["true"], edit=both)
    assert_cell_error(oci(root, "create", "--bundle", b, "nons2"), 125, field,
                      "mount namespace")
    assert list(root.iterdir()) == [] and cgroup_dirs("nons2") == []
