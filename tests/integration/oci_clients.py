"""
Shared by the tests that drive cell through real OCI clients (Podman,
containerd): a busybox image made from nothing but the host's static busybox
(no registry, no network), and the clean-up helpers.

- busybox_layer(path): an uncompressed layer tarball (the image's root file
  system): /bin/busybox, one symlink per applet, /etc/passwd and /etc/group
  with root, nobody and alice (1234), and the directories a container needs.
  `podman import` takes it as it is.
- oci_archive(path, name): an OCI image layout tarball (image-layout spec:
  oci-layout, index.json, blobs/sha256/...) holding that layer; `ctr image
  import` and `podman load` read it.
"""
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import tarfile
import time

import pytest

from conftest import CGROUP_ROOT, _mounted_under

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "alice:x:1234:1234:Alice:/home/alice:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = "root:x:0:\nalice:x:1234:\nnogroup:x:65534:\n"
DIRS = ("bin", "dev", "etc", "home", "home/alice", "proc", "root", "run", "sys", "tmp", "var")
ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def _add(tar, name, kind=tarfile.REGTYPE, data=b"", mode=0o644, target=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = int(time.time())
    info.linkname = target
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def busybox_layer(path, busybox):
    """Write the root file system layer to @path (busybox: the static binary)."""
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    with open(busybox, "rb") as f:
        binary = f.read()
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for d in DIRS:
            _add(tar, d, tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
        _add(tar, "bin/busybox", data=binary, mode=0o755)
        for a in applets:
            if "/" not in a and a != "busybox":
                _add(tar, f"bin/{a}", tarfile.SYMTYPE, mode=0o777, target="busybox")
        _add(tar, "etc/passwd", data=PASSWD.encode())
        _add(tar, "etc/group", data=GROUP.encode())


def _blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _goarch():
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
            "s390x": "s390x", "riscv64": "riscv64"}.get(machine, machine)


def oci_archive(path, layer, name, workdir):
    """An OCI image layout tarball at @path: one image @name ("host/repo:tag")."""
    root = os.path.join(workdir, "oci-layout")
    os.makedirs(os.path.join(root, "blobs", "sha256"))
    with open(layer, "rb") as f:
        layer_data = f.read()
    layer_desc = _blob(root, layer_data)
    config = {
        "architecture": _goarch(), "os": "linux",
        "config": {"Env": ENV, "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    }
    config_desc = _blob(root, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer_desc}],
    }
    manifest_desc = _blob(root, json.dumps(manifest).encode())
    tag = name.rsplit(":", 1)[1]
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest_desc,
            # containerd names the image by the first; the OCI ref.name is the tag
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": tag},
        }],
    }
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with tarfile.open(path, "w") as tar:
        for entry in ("oci-layout", "index.json", "blobs"):
            tar.add(os.path.join(root, entry), arcname=entry)


def sanitizer_env(env):
    """@env plus the caller's sanitizer options: the client passes them on to cell."""
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def remove_scratch(base):
    """Remove a client's scratch directory, after unmounting what it left there
    (never recurse into a mount)."""
    for point in sorted(_mounted_under(base), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def cgroup_dirs(name):
    """@name (relative to a hierarchy's root) in every cgroup hierarchy that has it."""
    name = name.lstrip("/")
    found = []
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):  # pure v2
        tops = [CGROUP_ROOT]
    else:
        tops = [os.path.join(CGROUP_ROOT, h) for h in os.listdir(CGROUP_ROOT)]
    for top in tops:
        d = os.path.join(top, name)
        if os.path.isdir(d):
            found.append(d)
    return found


def run_client(argv, env, timeout, check=False):
    """Run a client command (podman, ctr) to the end; CompletedProcess with text."""
    argv = [str(a) for a in argv]
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=env, timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"did not finish in {timeout}s: {argv}\n{e.stdout}\n{e.stderr}")
    if check:
        assert r.returncode == 0, f"{argv} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r
