"""Namespaces, as the kernel reports them from inside the container."""
import ctypes
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import read_file  # noqa: E402  (pytest puts this directory on sys.path)

NS = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
NS_SCRIPT = ("for n in " + " ".join(NS) +
             '; do echo "$n $(readlink /proc/self/ns/$n)"; done')


def inside_ns(sh, *flags, user=None):
    r = sh(NS_SCRIPT, *flags, user=user)
    assert r.returncode == 0, r.stderr
    links = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert set(links) == set(NS) and all(links.values()), r.stdout
    return links


def test_default_namespaces_are_new_except_user_and_time_as_root(sh, host_ns):
    inside = inside_ns(sh)
    for ns in ("cgroup", "ipc", "mnt", "net", "pid", "uts"):
        assert inside[ns] != host_ns[ns], f"{ns} namespace is the host's"
    for ns in ("user", "time"):
        assert inside[ns] == host_ns[ns], f"{ns} namespace should be the host's as root"


@pytest.mark.rootless
def test_rootless_default_namespaces_include_a_user_namespace(sh, host_ns):
    inside = inside_ns(sh, user="nobody")
    for ns in ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts"):
        assert inside[ns] != host_ns[ns], f"{ns} namespace is the host's"
    assert inside["time"] == host_ns["time"]


def test_unshare_time_creates_a_time_namespace(sh, host_ns, user):
    inside = inside_ns(sh, "--unshare-time", user=user)
    assert inside["time"] != host_ns["time"]


@pytest.mark.parametrize("ns", ["pid", "net", "ipc", "uts", "cgroup"])
def test_share_flag_keeps_the_hosts_namespace(sh, host_ns, ns):
    inside = inside_ns(sh, f"--share-{ns}")
    assert inside[ns] == host_ns[ns]
    assert inside["mnt"] != host_ns["mnt"], "the mount namespace is always new"
    others = {"pid", "net", "ipc", "uts", "cgroup"} - {ns}
    for other in others:
        assert inside[other] != host_ns[other], f"--share-{ns} also shared {other}"


def test_share_user_as_root_keeps_the_hosts_user_namespace(sh, host_ns):
    assert inside_ns(sh, "--share-user")["user"] == host_ns["user"]


def test_unshare_flags_for_default_namespaces_are_accepted(sh, host_ns):
    inside = inside_ns(sh, "--unshare-pid", "--unshare-net", "--unshare-ipc",
                       "--unshare-uts", "--unshare-cgroup")
    for ns in ("pid", "net", "ipc", "uts", "cgroup"):
        assert inside[ns] != host_ns[ns]


def test_unshare_user_as_root_maps_every_id_to_itself(sh, host_ns):
    r = sh('readlink /proc/self/ns/user; cat /proc/self/uid_map /proc/self/gid_map; id -u',
           "--unshare-user")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] != host_ns["user"]
    assert lines[1].split() == ["0", "0", "4294967295"]
    assert lines[2].split() == ["0", "0", "4294967295"]
    assert lines[3] == "0"


def test_unshare_all_creates_every_namespace_but_time(sh, host_ns):
    inside = inside_ns(sh, "--unshare-all")
    for ns in ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts"):
        assert inside[ns] != host_ns[ns], f"--unshare-all left {ns} shared"


# ---- network


def test_network_has_only_loopback_and_it_is_up(sh, user):
    r = sh("ip -o link show; ip -o -4 addr show", user=user)
    assert r.returncode == 0, r.stderr
    links = [line for line in r.stdout.splitlines() if "link/" in line]
    assert len(links) == 1, r.stdout
    assert re.match(r"^1: lo: <[^>]*\bUP\b[^>]*>", links[0]), links[0]
    assert "127.0.0.1/8" in r.stdout


def test_loopback_accepts_connections_inside(run, user):
    prog = ("import socket\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
            "c = socket.create_connection(s.getsockname(), timeout=5)\n"
            "a, _ = s.accept(); c.sendall(b'ping'); print(a.recv(4).decode())\n")
    r = run(["run", "--", "python3", "-c", prog], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ping"


CONNECT = ("import socket, sys\n"
           "try:\n"
           "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3)\n"
           "    print('connected')\n"
           "except OSError as e:\n"
           "    print('failed', type(e).__name__)\n")


@pytest.fixture
def host_listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()


def test_host_loopback_service_is_unreachable_by_default(run, host_listener):
    r = run(["run", "--", "python3", "-c", CONNECT, str(host_listener)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("failed"), r.stdout


def test_net_host_shares_the_network(run, sh, host_ns, host_listener, user):
    r = run(["run", "--net", "host", "--", "python3", "-c", CONNECT, str(host_listener)],
            user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "connected"
    assert inside_ns(sh, "--net", "host", user=user)["net"] == host_ns["net"]


def test_net_none_gives_a_new_loopback_only_network(sh, host_ns):
    r = sh("readlink /proc/self/ns/net; ip -o link show", "--net", "none")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] != host_ns["net"]
    assert len(lines) == 2 and lines[1].startswith("1: lo:"), r.stdout


def test_net_with_an_unknown_mode_exits_125(run, cell_error):
    cell_error(run(["run", "--net", "bogus", "--", "true"]), 125, "bogus")


# ---- uts




def test_default_hostname_is_cell_and_host_keeps_its_own(run, user):
    before = read_file("/proc/sys/kernel/hostname")
    r = run(["run", "--", "cat", "/proc/sys/kernel/hostname"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "cell"
    assert read_file("/proc/sys/kernel/hostname") == before


def test_hostname_and_domainname_flags(run, user):
    r = run(["run", "--hostname", "box1", "--domainname", "example.test", "--",
             "cat", "/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["box1", "example.test"]


def test_hostname_longer_than_the_kernel_allows_exits_125(run, cell_error):
    cell_error(run(["run", "--hostname", "h" * 65, "--", "true"]), 125)


def test_hostname_env_follows_the_hostname_flag(run):
    r = run(["run", "--hostname", "box2", "--", "sh", "-c", 'echo "$HOSTNAME"'])
    assert r.stdout.strip() == "box2"


def test_share_uts_sees_the_hosts_hostname(run):
    r = run(["run", "--share-uts", "--", "cat", "/proc/sys/kernel/hostname"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == read_file("/proc/sys/kernel/hostname")


# ---- ipc


@pytest.fixture
def host_shm_id():
    out = subprocess.run(["ipcmk", "-M", "4096"], capture_output=True, text=True, check=True)
    shmid = re.search(r"(\d+)\s*$", out.stdout.strip()).group(1)
    yield shmid
    subprocess.run(["ipcrm", "-m", shmid], capture_output=True)


def _shm_ids(ipcs_output):
    ids = set()
    for line in ipcs_output.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[0].startswith("0x"):
            ids.add(fields[1])
    return ids


def test_host_sysv_shared_memory_is_invisible(run, host_shm_id, user):
    r = run(["run", "--", "ipcs", "-m"], user=user)
    assert r.returncode == 0, r.stderr
    assert host_shm_id not in _shm_ids(r.stdout), r.stdout


def test_share_ipc_sees_the_hosts_shared_memory(run, host_shm_id):
    r = run(["run", "--share-ipc", "--", "ipcs", "-m"])
    assert r.returncode == 0, r.stderr
    assert host_shm_id in _shm_ids(r.stdout), r.stdout


@pytest.fixture
def host_mqueue():
    librt = ctypes.CDLL("librt.so.1", use_errno=True)
    librt.mq_open.restype = ctypes.c_int
    name = f"/ctr-it-{os.getpid()}".encode()
    fd = librt.mq_open(name, os.O_CREAT | os.O_RDWR, 0o600, None)
    if fd < 0:
        pytest.skip(f"mq_open: {os.strerror(ctypes.get_errno())}")
    yield name.decode()
    os.close(fd)
    librt.mq_unlink(name)


def test_host_posix_message_queue_is_invisible(run, host_mqueue, user):
    r = run(["run", "--", "ls", "-A", "/dev/mqueue"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", r.stdout


# ---- cgroup


def test_cgroup_namespace_makes_every_cgroup_the_root(run, user):
    r = run(["run", "--", "cat", "/proc/self/cgroup"], user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines and all(line.endswith(":/") for line in lines), r.stdout


def test_share_cgroup_shows_the_hosts_cgroup_paths(run):
    with open("/proc/self/cgroup") as f:
        host = f.read()
    if all(line.endswith(":/") for line in host.splitlines()):
        pytest.skip("the test process is in the root cgroup everywhere: nothing to tell apart")
    r = run(["run", "--share-cgroup", "--", "cat", "/proc/self/cgroup"])
    assert r.returncode == 0, r.stderr
    # v1: the container is in the shared cgroup of the default device allow-list
    inside = [line for line in r.stdout.splitlines() if not line.endswith(":/cell.devices")]
    assert inside == [line for line in host.splitlines() if ":devices:" not in line]


# ---- time


def _host_uptime():
    return float(read_file("/proc/uptime").split()[0])


def test_boottime_offset_shifts_uptime(run, user):
    before = _host_uptime()
    r = run(["run", "--boottime-offset", "86400", "--", "cat", "/proc/uptime"], user=user)
    after = _host_uptime()
    assert r.returncode == 0, r.stderr
    inside = float(r.stdout.split()[0])
    assert before + 86400 - 1 <= inside <= after + 86400 + 1, (before, inside, after)


def test_monotonic_offset_shifts_the_monotonic_clock(run, user):
    before = time.clock_gettime(time.CLOCK_MONOTONIC)
    r = run(["run", "--monotonic-offset", "3600", "--", "python3", "-c",
             "import time; print(time.clock_gettime(time.CLOCK_MONOTONIC))"], user=user)
    after = time.clock_gettime(time.CLOCK_MONOTONIC)
    assert r.returncode == 0, r.stderr
    inside = float(r.stdout)
    assert before + 3600 - 1 <= inside <= after + 3600 + 1, (before, inside, after)


def test_time_offsets_imply_a_time_namespace(run, host_ns):
    r = run(["run", "--boottime-offset", "10", "--", "readlink", "/proc/self/ns/time"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() != host_ns["time"]


def test_without_offsets_the_clocks_match_the_host(run):
    before = _host_uptime()
    r = run(["run", "--unshare-time", "--", "cat", "/proc/uptime"])
    after = _host_uptime()
    assert r.returncode == 0, r.stderr
    assert before - 1 <= float(r.stdout.split()[0]) <= after + 1
