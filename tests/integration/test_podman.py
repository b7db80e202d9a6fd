"""
Podman drives cell as its OCI runtime, through conmon.

conmon calls cell the way it calls runc: `create --bundle B --pid-file P
[--console-socket S] ID`, `start`, `kill`, `delete --force`, and
`exec --process F --detach --pid-file P` for `podman exec`. Everything runs in
a private storage (--root/--runroot/--tmpdir and a containers.conf of our own
under a scratch directory), with `--network none`, so the machine's own
Podman state is never touched. The runtime is configured the way README.md's
"OCI runtime" section says: `[engine.runtimes] cell = [...]` in
containers.conf.

Each test checks what the kernel shows inside the container or on the host,
and that nothing is left behind: no state directory of cell, no container
cgroup, no mount (the autouse no_leftovers fixture, plus this file's
`podman` fixture that removes the cgroup parent conmon made).
"""
import os
import resource
import shutil
import tempfile
import time
import uuid

import pytest

from conftest import BUSYBOX, CELL, CGROUP_ROOT, SANE_PATH
from oci_clients import (busybox_layer, cgroup_dirs, remove_scratch, run_client,
                         sanitizer_env)

PODMAN = shutil.which("podman", path=SANE_PATH)
IMAGE = "localhost/cell-busybox:test"
STATE_ROOT = "/run/cell"  # cell's default --root: Podman passes none for root
TIMEOUT = 60
def _conmon():
    for d in ("/usr/libexec/podman", "/usr/bin", "/usr/local/bin", "/usr/sbin"):
        if os.access(os.path.join(d, "conmon"), os.X_OK):
            return os.path.join(d, "conmon")
    return None


pytestmark = [
    pytest.mark.skipif(PODMAN is None, reason="podman is not installed (package podman)"),
    pytest.mark.skipif(_conmon() is None, reason="conmon is not installed (package conmon)"),
    pytest.mark.skipif(not os.path.exists(BUSYBOX),
                       reason="busybox (busybox-static) is not installed"),
]


def _containers_conf(base):
    """containers.conf: cell as the runtime, cgroupfs, file events, no host paths."""
    # Podman's default RLIMIT_NOFILE/NPROC for root is 1048576, above this
    # machine's hard limits (and raising a hard limit needs CAP_SYS_RESOURCE):
    # default to what the caller has, as a rootless Podman would.
    nofile = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 1024)
    nproc = min(resource.getrlimit(resource.RLIMIT_NPROC)[1], 4096)
    return f"""
[containers]
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "cell"
# cell writes runc's JSON log lines (--log FILE --log-format json): Podman
# then reports the runtime's own error message
runtime_supports_json = ["cell"]
runtime_supports_nocgroups = ["cell"]
tmp_dir = "{base}/tmp"
volume_path = "{base}/volumes"
static_dir = "{base}/libpod"

[engine.runtimes]
cell = ["{os.environ.get("CELL_WRAP", CELL)}"]

[network]
network_config_dir = "{base}/networks"
"""


class Podman:
    """`podman` with the private storage; run(...) -> CompletedProcess."""

    def __init__(self, base):
        self.base = base
        self.env = {"PATH": SANE_PATH, "LC_ALL": "C", "HOME": base,
                    "CONTAINERS_CONF": os.path.join(base, "containers.conf"),
                    "CONTAINERS_STORAGE_CONF": os.path.join(base, "storage.conf"),
                    "CONTAINERS_REGISTRIES_CONF": os.path.join(base, "registries.conf")}
        sanitizer_env(self.env)
        # also on the command line: conmon's exit command (`podman container
        # cleanup`) gets CONTAINERS_CONF but not the storage configuration
        self.globals = ["--root", f"{base}/root", "--runroot", f"{base}/runroot",
                        "--tmpdir", f"{base}/tmp", "--storage-driver", "overlay"]
        self.cgroup_parent = None

    def __call__(self, *args, timeout=TIMEOUT, check=False):
        return run_client([PODMAN, *self.globals, *args], self.env, timeout, check)

    def run(self, *args, **kw):
        """podman run with this test's cgroup parent and no network."""
        return self("run", "--cgroup-parent", self.cgroup_parent, "--network", "none",
                    *args, **kw)


@pytest.fixture(scope="module")
def podman_store():
    base = tempfile.mkdtemp(prefix="cell-podman-", dir="/var/tmp")
    os.chmod(base, 0o755)
    for d in ("tmp", "volumes", "libpod", "networks"):
        os.mkdir(os.path.join(base, d))
    with open(os.path.join(base, "containers.conf"), "w") as f:
        f.write(_containers_conf(base))
    with open(os.path.join(base, "storage.conf"), "w") as f:
        f.write(f'[storage]\ndriver = "overlay"\ngraphroot = "{base}/root"\n'
                f'runroot = "{base}/runroot"\n')
    with open(os.path.join(base, "registries.conf"), "w") as f:
        f.write("unqualified-search-registries = []\n")
    p = Podman(base)
    layer = os.path.join(base, "busybox.tar")
    busybox_layer(layer, BUSYBOX)
    r = p("import", "--change", "CMD=/bin/sh", layer, IMAGE)
    if r.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"podman import failed: {r.stderr}")
    yield p
    p("rm", "--all", "--force", "--time", "0")
    p("rmi", "--all", "--force")
    remove_scratch(base)


@pytest.fixture
def podman(podman_store):
    """Podman with a fresh cgroup parent; containers, conmon's cgroup and the parent
    are removed at teardown (a container cgroup cell left makes the parent stay,
    and no_leftovers reports it: its name starts with cell-)."""
    parent = f"cell-podman-{uuid.uuid4().hex[:8]}"
    podman_store.cgroup_parent = f"/{parent}"
    yield podman_store
    podman_store("rm", "--all", "--force", "--time", "0")
    # conmon may still be leaving its cgroup when `podman rm` returns (EBUSY)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for d in cgroup_dirs(f"{parent}/conmon") + cgroup_dirs(parent):
            try:
                os.rmdir(d)
            except OSError:
                pass
        if not cgroup_dirs(parent):
            break
        time.sleep(0.05)
    podman_store.cgroup_parent = None


def container_gone(p, cid):
    """Podman and cell both forgot @cid: no state dir, no cgroup under the parent."""
    assert not os.path.exists(os.path.join(STATE_ROOT, cid)), f"cell state of {cid} left"
    left = cgroup_dirs(f"{p.cgroup_parent}/libpod-{cid}")
    assert not left, f"container cgroup left: {left}"


def _cid(p, name):
    r = p("inspect", "--format", "{{.Id}}", name, check=True)
    return r.stdout.strip()


def _status_field(text, key):
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return line.split()[1]
    raise AssertionError(f"no {key} in {text!r}")


def _cgroup_file(pid, controller, v1_file, v2_file):
    """The value of a cgroup file of @pid's cgroup for @controller, read on the host."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = f.read().splitlines()
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(","):
            with open(os.path.join(CGROUP_ROOT, controller, path.lstrip("/"), v1_file)) as f:
                return f.read().strip()
    for line in lines:
        if line.startswith("0::"):
            path = line[3:].lstrip("/")
            for top in (CGROUP_ROOT, os.path.join(CGROUP_ROOT, "unified")):
                fp = os.path.join(top, path, v2_file)
                if os.path.exists(fp):
                    with open(fp) as f:
                        return f.read().strip()
    raise AssertionError(f"no {controller} cgroup for {pid}: {lines}")


# --------------------------------------------------------------------------


def test_podman_run_rm_prints_output_and_passes_exit_status(podman, tdir):
    cidfile = tdir / "cid"
    r = podman.run("--rm", "--cidfile", cidfile, IMAGE, "sh", "-c",
                   "echo hello from $(cat /proc/1/comm); exit 7")
    assert r.returncode == 7, r.stderr
    assert r.stdout.strip() == "hello from sh", r.stdout
    container_gone(podman, cidfile.read_text().strip())


def test_podman_container_runs_in_new_namespaces_with_its_init_as_pid_1(podman, host_ns):
    r = podman.run("--rm", IMAGE, "sh", "-c",
                   "echo pid=$$; for n in mnt pid uts ipc net; do readlink /proc/self/ns/$n; done;"
                   " hostname")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "pid=1", r.stdout
    for link in lines[1:6]:
        assert link not in host_ns.values(), f"{link} is the host's"
    assert len(lines[6]) == 12, "hostname is not the short container id: " + r.stdout


def test_podman_run_detached_exec_stop_rm(podman):
    # init traps SIGTERM: `podman stop` must deliver it (cell kill), not SIGKILL
    r = podman.run("-d", "--name", "det", IMAGE, "sh", "-c",
                   "trap 'exit 0' TERM; echo started > /tmp/mark; while :; do sleep 0.1; done")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    pid = int(podman("inspect", "--format", "{{.State.Pid}}", cid, check=True).stdout)
    assert pid > 0
    host_pidns = os.readlink(f"/proc/{pid}/ns/pid")

    r = podman("exec", cid, "sh", "-c",
               "cat /tmp/mark; readlink /proc/self/ns/pid; cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.returncode == 0, r.stderr
    mark, ns, cmdline = r.stdout.splitlines()
    assert mark == "started"
    assert ns == host_pidns, "exec did not join the container's pid namespace"
    assert cmdline.startswith("sh -c trap"), cmdline
    r = podman("exec", "--user", "1234", "--workdir", "/home/alice", cid, "sh", "-c",
               "id -u; pwd; grep CapEff /proc/self/status; exit 4")
    assert r.returncode == 4, r.stderr
    uid, cwd, capeff = r.stdout.splitlines()
    assert (uid, cwd) == ("1234", "/home/alice")
    assert int(capeff.split()[1], 16) == 0, "a non-root exec kept capabilities"

    r = podman("stop", "--time", "20", cid)
    assert r.returncode == 0, r.stderr
    r = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", cid, check=True)
    assert r.stdout.split() == ["exited", "0"], "SIGTERM did not reach the container's init"
    assert not os.path.exists(f"/proc/{pid}")
    podman("rm", cid, check=True)
    container_gone(podman, cid)


def test_podman_exec_with_tty(podman):
    r = podman.run("-d", IMAGE, "sleep", "600")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    r = podman("exec", "-t", cid, "sh", "-c", "tty; [ -t 0 ] && echo in-tty")
    assert r.returncode == 0, r.stderr
    assert r.stdout.replace("\r", "").split() == ["/dev/pts/0", "in-tty"], r.stdout
    podman("rm", "--force", "--time", "0", cid, check=True)
    container_gone(podman, cid)


def test_podman_run_tty_goes_through_conmons_console_socket(podman, tdir):
    cidfile = tdir / "cid"
    r = podman.run("--rm", "-t", "--cidfile", cidfile, IMAGE, "sh", "-c",
                   "tty; [ -t 0 ] && [ -t 1 ] && echo in-tty; ls -l /proc/self/fd/0")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.replace("\r", "").splitlines()
    assert lines[0] == "/dev/pts/0", r.stdout
    assert lines[1] == "in-tty", r.stdout
    assert lines[2].endswith("-> /dev/pts/0"), r.stdout
    container_gone(podman, cidfile.read_text().strip())


def test_podman_memory_and_pids_limits_reach_the_containers_cgroup(podman):
    r = podman.run("-d", "--memory", "64m", "--pids-limit", "33", IMAGE, "sleep", "600")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    pid = int(podman("inspect", "--format", "{{.State.Pid}}", cid, check=True).stdout)
    assert _cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    assert _cgroup_file(pid, "pids", "pids.max", "pids.max") == "33"
    with open(f"/proc/{pid}/cgroup") as f:
        assert f"{podman.cgroup_parent}/libpod-{cid}" in f.read()
    # enforced: the 34th process cannot be forked
    r = podman("exec", cid, "sh", "-c",
               "n=0; while [ $n -lt 40 ]; do sleep 30 & n=$((n+1)); done 2>/dev/null;"
               " echo forked")
    # busybox sh gives up with 2 when the kernel refuses its fork (EAGAIN at pids.max)
    assert r.returncode == 2 and "forked" not in r.stdout, (r.returncode, r.stdout, r.stderr)
    events = _cgroup_file(pid, "pids", "pids.events", "pids.events")
    assert events.startswith("max ") and int(events.split()[1]) > 0, events
    podman("rm", "--force", "--time", "0", cid, check=True)
    container_gone(podman, cid)


def test_podman_pause_unpause_and_update_act_on_the_cgroup(podman):
    r = podman.run("-d", IMAGE, "sleep", "600")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    pid = int(podman("inspect", "--format", "{{.State.Pid}}", cid, check=True).stdout)

    def state():
        return podman("inspect", "--format", "{{.State.Status}}", cid, check=True).stdout.strip()

    podman("pause", cid, check=True)
    assert state() == "paused"
    assert _cgroup_file(pid, "freezer", "freezer.state", "cgroup.freeze") in ("FROZEN", "1")
    podman("unpause", cid, check=True)
    assert state() == "running"
    assert _cgroup_file(pid, "freezer", "freezer.state", "cgroup.freeze") in ("THAWED", "0")
    podman("update", "--memory", "100m", cid, check=True)
    assert _cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(100 << 20)
    podman("rm", "--force", "--time", "0", cid, check=True)
    container_gone(podman, cid)


def test_podman_user_sets_uid_gid_and_groups(podman):
    r = podman.run("--rm", "--user", "1234:1234", IMAGE, "sh", "-c",
                   "id -u; id -g; grep -E '^(Uid|Gid|Groups|CapEff):' /proc/self/status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["1234", "1234"], r.stdout
    status = "\n".join(lines[2:])
    assert _status_field(status, "Uid") == "1234"
    assert status.split("Uid:")[1].split("\n")[0].split() == ["1234"] * 4
    assert status.split("Gid:")[1].split("\n")[0].split() == ["1234"] * 4
    assert int(_status_field(status, "CapEff"), 16) == 0


def test_podman_read_only_root_with_writable_tmpfs(podman):
    r = podman.run("--rm", "--read-only", IMAGE, "sh", "-c",
                   "touch /x 2>&1; touch /tmp/y && echo tmp-ok;"
                   " awk '$5 == \"/\" {print $6}' /proc/self/mountinfo")
    assert r.returncode == 0, r.stderr
    assert "Read-only file system" in r.stdout, r.stdout
    assert "tmp-ok" in r.stdout, r.stdout
    assert r.stdout.splitlines()[-1].split(",")[0] == "ro", r.stdout


def _cap_sets(podman, *flags):
    r = podman.run("--rm", *flags, IMAGE, "grep", "-E", "^Cap(Eff|Prm|Bnd):",
                   "/proc/self/status")
    assert r.returncode == 0, r.stderr
    return {line.split(":")[0]: int(line.split()[1], 16) for line in r.stdout.splitlines()}


@pytest.mark.parametrize("drop, gone", [
    (["--cap-drop", "all"], None),
    (["--cap-drop", "CAP_CHOWN", "--cap-drop", "net_bind_service"], (0, 10)),
])
def test_podman_cap_drop_clears_the_capability_sets(podman, drop, gone):
    base = _cap_sets(podman)
    assert set(base) == {"CapEff", "CapPrm", "CapBnd"}
    assert base["CapEff"] & 1 and base["CapEff"] & (1 << 10), f"default set {base}"
    mask = 0 if gone is None else ~sum(1 << bit for bit in gone)
    for name, value in _cap_sets(podman, *drop).items():
        assert value == base[name] & mask, f"{name} {value:x}, expected {base[name] & mask:x}"


def test_podman_ulimit_sets_the_containers_rlimits(podman):
    # every --ulimit replaces containers.conf's default_ulimits: keep nproc within
    # this machine's hard limit (Podman's own default for root is 1048576)
    r = podman.run("--rm", "--ulimit", "nofile=512:1000", "--ulimit", "core=0:0",
                   "--ulimit", "nproc=1000:1000", IMAGE,
                   "sh", "-c", "ulimit -n; ulimit -Hn; grep -E 'open files|core file' /proc/1/limits")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["512", "1000"], r.stdout
    assert lines[2].split()[-3:-1] == ["0", "0"], r.stdout        # core
    assert lines[3].split()[-3:-1] == ["512", "1000"], r.stdout   # open files


def test_podman_runtime_error_reaches_the_user(podman):
    r = podman.run("--rm", IMAGE, "/no/such/program")
    assert r.returncode == 127, r.stderr  # podman run: the command was not found
    assert "/no/such/program" in r.stderr, r.stderr
