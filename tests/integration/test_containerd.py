"""
containerd drives cell through its runc shim (io.containerd.runc.v2).

The test starts a containerd of its own (--config with a private root, state,
socket and plugin directory under a scratch directory; the CRI plugin off),
imports the busybox image as an OCI archive made by oci_clients.py, and runs it
with `ctr run --runc-binary CELL --runc-root DIR`. The shim then calls cell
exactly as it calls runc: `--root DIR --log FILE --log-format json create
--bundle B --pid-file P ID`, `start`, `exec --process F --detach --pid-file P`, `pause`, `resume`, `kill`,
`delete`, `delete --force`.

Checks: the command's output and exit status, what the kernel shows inside,
and that nothing is left: cell's state under --runc-root, the container's
cgroup, the rootfs mount, the shim (no_leftovers).
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import BUSYBOX, CELL, SANE_PATH
from oci_clients import (busybox_layer, cgroup_dirs, oci_archive, remove_scratch,
                         run_client, sanitizer_env)

CONTAINERD = shutil.which("containerd", path=SANE_PATH)
CTR = shutil.which("ctr", path=SANE_PATH)
SHIM = shutil.which("containerd-shim-runc-v2", path=SANE_PATH)
IMAGE = "localhost/cell-busybox:test"
NAMESPACE = "cell-test"
TIMEOUT = 60

pytestmark = [
    pytest.mark.skipif(CONTAINERD is None or CTR is None,
                       reason="containerd is not installed (package containerd)"),
    pytest.mark.skipif(SHIM is None, reason="containerd-shim-runc-v2 is not installed"),
    pytest.mark.skipif(not os.path.exists(BUSYBOX),
                       reason="busybox (busybox-static) is not installed"),
]

# Plugins that would reach outside the scratch directory or need what this
# test does not set up (CNI for the CRI plugin, block devices, tracing).
DISABLED = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
            "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
            "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
            "io.containerd.internal.v1.tracing"]


def _config(base):
    disabled = ", ".join(f'"{p}"' for p in DISABLED)
    return f"""version = 2
root = "{base}/root"
state = "{base}/state"
disabled_plugins = [{disabled}]

[grpc]
  address = "{base}/containerd.sock"
[ttrpc]
  address = "{base}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{base}/opt"
"""


class Containerd:
    def __init__(self, base):
        self.base = base
        self.address = f"{base}/containerd.sock"
        self.runc_root = f"{base}/runc"
        self.env = {"PATH": SANE_PATH, "LC_ALL": "C"}
        sanitizer_env(self.env)
        self.proc = None

    def ctr(self, *args, timeout=TIMEOUT, check=False):
        return run_client([CTR, "--address", self.address, "--namespace", NAMESPACE, *args],
                          self.env, timeout, check)

    def run(self, *args, **kw):
        """ctr run with cell as the shim's runc binary, in its own cgroup."""
        return self.ctr("run", "--runc-binary", CELL, "--runc-root", self.runc_root, *args, **kw)

    def log(self):
        try:
            with open(f"{self.base}/containerd.log", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def start(self):
        self.logf = open(f"{self.base}/containerd.log", "w")
        self.proc = subprocess.Popen([CONTAINERD, "--config", f"{self.base}/config.toml"],
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=self.env, cwd="/")
        deadline = time.monotonic() + 20
        while self.ctr("version", timeout=10).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"containerd did not come up:\n{self.log()}")
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


@pytest.fixture(scope="module")
def containerd():
    base = tempfile.mkdtemp(prefix="cell-containerd-", dir="/var/tmp")
    os.chmod(base, 0o755)
    with open(os.path.join(base, "config.toml"), "w") as f:
        f.write(_config(base))
    layer = os.path.join(base, "busybox.tar")
    archive = os.path.join(base, "busybox-oci.tar")
    busybox_layer(layer, BUSYBOX)
    oci_archive(archive, layer, IMAGE, base)
    c = Containerd(base)
    c.start()
    try:
        r = c.ctr("image", "import", archive)
        assert r.returncode == 0, f"ctr image import: {r.stderr}\n{c.log()}"
        assert IMAGE in c.ctr("image", "ls", "-q", check=True).stdout.split()
        yield c
    finally:
        for cid in c.ctr("container", "ls", "-q").stdout.split():
            c.ctr("task", "kill", "--signal", "SIGKILL", cid)
            c.ctr("task", "delete", "--force", cid)
            c.ctr("container", "delete", cid)
        c.ctr("image", "rm", IMAGE)
        c.stop()
        remove_scratch(base)


def _gone(c, cid, cgroup):
    assert not os.path.exists(os.path.join(c.runc_root, NAMESPACE, cid)), \
        f"cell state of {cid} left under {c.runc_root}"
    assert not cgroup_dirs(cgroup.lstrip("/")), f"cgroup {cgroup} left"
    assert cid not in c.ctr("container", "ls", "-q", check=True).stdout.split()


def test_ctr_run_rm_prints_output_and_passes_exit_status(containerd, host_ns):
    cid = f"cell-{uuid.uuid4().hex[:8]}"
    cgroup = f"/{cid}"
    r = containerd.run("--rm", "--cgroup", cgroup, IMAGE, cid, "sh", "-c",
                       "echo hello from $(cat /proc/1/comm) as $(id -u);"
                       " readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; exit 3")
    assert r.returncode == 3, f"{r.stderr}\n{containerd.log()}"
    lines = r.stdout.splitlines()
    assert lines[0] == "hello from sh as 0", r.stdout
    assert lines[1] != host_ns["pid"] and lines[2] != host_ns["mnt"], r.stdout
    _gone(containerd, cid, cgroup)


def test_ctr_container_is_in_the_cgroup_containerd_asked_for(containerd):
    cid = f"cell-{uuid.uuid4().hex[:8]}"
    cgroup = f"/{cid}"
    r = containerd.run("--rm", "--cgroup", cgroup, "--memory-limit", str(48 << 20), IMAGE,
                       cid, "sh", "-c", "cat /proc/self/cgroup")
    assert r.returncode == 0, f"{r.stderr}\n{containerd.log()}"
    memory = [line for line in r.stdout.splitlines() if line.split(":")[1] in ("memory", "")]
    assert any(line.endswith(":" + cgroup) for line in memory), r.stdout
    _gone(containerd, cid, cgroup)


def test_ctr_detached_task_exec_pause_resume_kill_delete(containerd):
    cid = f"cell-{uuid.uuid4().hex[:8]}"
    cgroup = f"/{cid}"
    r = containerd.run("--detach", "--cgroup", cgroup, IMAGE, cid, "sh", "-c",
                       "trap 'exit 9' TERM; while :; do sleep 0.1; done")
    assert r.returncode == 0, f"{r.stderr}\n{containerd.log()}"
    tasks = containerd.ctr("task", "ls", check=True).stdout
    line = next(line for line in tasks.splitlines() if line.startswith(cid))
    pid = int(line.split()[1])
    assert line.split()[2] == "RUNNING", tasks
    assert os.path.exists(os.path.join(containerd.runc_root, NAMESPACE, cid))
    # the shim's exec is `cell exec --process FILE --detach --pid-file P`
    r = containerd.ctr("task", "exec", "--exec-id", "probe", cid, "sh", "-c",
                       "readlink /proc/self/ns/pid; exit 6")
    assert r.returncode == 6, f"{r.stderr}\n{containerd.log()}"
    assert r.stdout.strip() == os.readlink(f"/proc/{pid}/ns/pid"), r.stdout
    containerd.ctr("task", "pause", cid, check=True)
    assert " PAUSED" in containerd.ctr("task", "ls", check=True).stdout
    containerd.ctr("task", "resume", cid, check=True)
    assert " RUNNING" in containerd.ctr("task", "ls", check=True).stdout
    containerd.ctr("task", "kill", "--signal", "SIGTERM", cid, check=True)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    # ctr task delete reports the task's status: the trap ran
    r = containerd.ctr("task", "delete", cid, check=True)
    assert "exit code 9" in r.stderr, r.stderr
    containerd.ctr("container", "delete", cid, check=True)
    _gone(containerd, cid, cgroup)
