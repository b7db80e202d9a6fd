"""
Networking: --net bridge (veth, bridge, NAT, -p, --net-rate), pasta,
slirp4netns, ns:PATH, container:ID and --netdev.

Every test runs cell inside network namespaces it made first (the `netns`
fixture, see TestNet in conftest.py): the bridge and the nft table live
there, and traffic goes only to addresses inside them.
"""
import json
import os
import re
import shutil
import signal
import time

import pytest

pytestmark = pytest.mark.skipif(
    not (shutil.which("nsenter") and shutil.which("nft") and shutil.which("busybox")),
    reason="needs nsenter, nft (nftables) and busybox")

BRIDGE_SUBNET = "10.88.0.0/16"


def wait_ready(r):
    r.wait_for("READY", timeout=15)


def snapshot(netns):
    return netns.links(), netns.ruleset(), netns.leases()


def assert_nothing_left(netns, before):
    links, rules, leases = snapshot(netns)
    assert links == before[0], "links left behind"
    assert "table inet cell" not in rules, rules
    assert leases == before[2]


def test_bridge_gives_the_container_an_address_a_route_and_hosts_files(netns):
    r = netns.start(["run", "--net", "bridge", "--hostname", "box", "--", "sh", "-c",
                     "ip -4 -o addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf; "
                     "echo READY; cat >/dev/null"])
    wait_ready(r)
    # host side, while it runs: the bridge with the gateway, the veth on it, the table
    assert "10.88.0.1/16" in netns.sh("ip -4 -o addr show cell0").stdout
    veths = netns.sh("ip -o link show master cell0").stdout
    assert re.search(r"cv[0-9a-f]{12}@", veths), veths
    rules = netns.ruleset()
    assert "table inet cell" in rules and "masquerade" in rules
    assert len(netns.leases()) == 1
    status, out, err = r.finish()
    assert status == 0, err
    assert "inet 10.88.0.2/16" in out
    assert "default via 10.88.0.1 dev eth0" in out
    assert re.search(r"^10\.88\.0\.2\s+box$", out, re.M), out
    assert "127.0.0.1\tlocalhost" in out


def test_teardown_removes_veth_bridge_rules_and_lease(netns):
    before = snapshot(netns)
    r = netns.cell(["run", "--net", "bridge", "-p", "8080:80", "--", "true"])
    assert r.returncode == 0, r.stderr
    assert_nothing_left(netns, before)
    assert netns.sh("cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "0"


def test_two_bridged_containers_reach_each_other_over_tcp_and_udp(netns):
    udp_server = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                  "s.bind(('0.0.0.0', 5001)); print('READY', flush=True); "
                  "print(s.recvfrom(100)[0].decode(), flush=True)")
    a = netns.start(["run", "--net", "bridge", "--ip", "10.88.0.10", "--", "sh", "-c",
                     "busybox nc -l -p 5000 -e echo tcp-ok & sleep 0.3; "
                     f"python3 -c \"{udp_server}\"; wait"])
    wait_ready(a)
    b = netns.cell(["run", "--net", "bridge", "--", "sh", "-c",
                    "busybox nc 10.88.0.10 5000 </dev/null; python3 -c \"import socket; "
                    "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'udp-ok', "
                    "('10.88.0.10', 5001))\""])
    assert b.returncode == 0, b.stderr
    assert "tcp-ok" in b.stdout
    status, out, err = a.finish()
    assert status == 0, err
    assert "udp-ok" in out


def test_published_port_is_reached_on_the_host_address_and_loopback(netns):
    before = snapshot(netns)
    r = netns.start(["run", "--net", "bridge", "-p", "8080:80", "--", "sh", "-c",
                     "echo READY; exec busybox nc -ll -p 80 -e echo pub-ok"])
    wait_ready(r)
    time.sleep(0.2)
    for addr in (netns.HOST_IP, "127.0.0.1"):
        got = netns.sh(f"busybox nc {addr} 8080 </dev/null", check=False)
        assert "pub-ok" in got.stdout, f"{addr}: {got.stderr}"
    r.send_signal(signal.SIGTERM)
    r.finish()
    assert_nothing_left(netns, before)


def test_published_port_on_one_host_ip_only(netns):
    r = netns.start(["run", "--net", "bridge", "-p", "127.0.0.1:8081:80/tcp", "--", "sh", "-c",
                     "echo READY; busybox nc -ll -p 80 -e echo lo-ok"])
    wait_ready(r)
    time.sleep(0.2)
    assert "lo-ok" in netns.sh("busybox nc 127.0.0.1 8081 </dev/null").stdout
    assert "lo-ok" not in netns.sh(f"busybox nc -w 1 {netns.HOST_IP} 8081 </dev/null",
                                   check=False).stdout
    r.send_signal(signal.SIGTERM)
    r.finish()


def test_container_reaches_a_server_beyond_the_host_through_nat(netns):
    server = netns.popen("python3 -c \"import socket; s = socket.socket(); "
                         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                         "s.bind(('0.0.0.0', 7000)); s.listen(); print('READY', flush=True); "
                         "c, a = s.accept(); c.sendall(b'nat-ok ' + a[0].encode()); c.close()\"",
                         outer=True)
    assert server.stdout.readline().strip() == "READY"
    r = netns.cell(["run", "--net", "bridge", "--", "busybox", "nc", netns.OUTER_IP, "7000"],
                   input="")
    assert r.returncode == 0, r.stderr
    # the outer namespace has no route to 10.88/16: the reply came back through NAT
    assert r.stdout.strip() == f"nat-ok {netns.HOST_IP}"


def iperf(netns, port, *flags):
    server = netns.popen(f"iperf3 -s -1 -B {netns.OUTER_IP} -p {port}", outer=True)
    deadline = time.monotonic() + 5
    while f":{port}" not in netns.sh("ss -ltn", outer=True).stdout:
        assert time.monotonic() < deadline, "iperf3 server did not start"
        time.sleep(0.05)
    r = netns.cell(["run", "--net", "bridge", "--net-rate", "10mbit", "--", "iperf3", "-c",
                    netns.OUTER_IP, "-p", port, "-t", "3", "-J", *flags], timeout=30)
    assert r.returncode == 0, r.stderr + r.stdout[-500:]
    server.wait(timeout=10)
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]


@pytest.mark.skipif(not shutil.which("iperf3"), reason="needs iperf3")
@pytest.mark.parametrize("direction", ["upload", "download"])
def test_net_rate_limits_bandwidth_within_20_percent(netns, direction):
    bps = iperf(netns, "5201", *(["-R"] if direction == "download" else []))
    assert 8e6 <= bps <= 12e6, f"{direction}: {bps / 1e6:.2f} Mbit/s for a 10 Mbit/s limit"


def test_net_rate_puts_a_token_bucket_on_both_ends_of_the_veth(netns):
    r = netns.start(["run", "--net", "bridge", "--net-rate", "5mbit", "--", "sh", "-c",
                     "tc qdisc show dev eth0; echo READY; cat >/dev/null"])
    wait_ready(r)
    veth = re.search(r"(cv[0-9a-f]{12})@", netns.sh("ip -o link show master cell0").stdout)[1]
    assert re.search(r"qdisc tbf 1: root .*rate 5Mbit", netns.sh(f"tc qdisc show dev {veth}").stdout)
    status, out, err = r.finish()
    assert status == 0, err
    assert re.search(r"qdisc tbf 1: root .*rate 5Mbit", out), out


def test_ipv6_gives_the_container_a_ula_address_and_route(netns):
    r = netns.cell(["run", "--net", "bridge", "--ipv6", "--", "sh", "-c",
                    "ip -6 -o addr show eth0 scope global; ip -6 route show default"])
    assert r.returncode == 0, r.stderr
    assert "fd63:656c:6c00::2/64" in r.stdout
    assert "default via fd63:656c:6c00::1 dev eth0" in r.stdout


def test_net_ns_path_joins_a_pinned_namespace(netns):
    r = netns.cell(["run", "--net", f"ns:{netns.ns_path}", "--", "ip", "-4", "-o", "addr"])
    assert r.returncode == 0, r.stderr
    assert netns.OUTER_IP in r.stdout


def test_net_container_joins_another_containers_network(netns):
    owner = f"netowner-{os.getpid()}"  # unique: another test session may run at once
    a = netns.start(["run", "--net", "bridge", "--name", owner, "--", "sh", "-c",
                     "echo READY; cat >/dev/null"])
    wait_ready(a)
    r = netns.cell(["run", "--net", f"container:{owner}", "--", "ip", "-4", "-o", "addr",
                    "show", "eth0"])
    assert r.returncode == 0, r.stderr
    assert "10.88.0.2/16" in r.stdout
    a.finish()


def test_netdev_moves_a_host_interface_in_and_back(netns):
    netns.sh("ip link add nd0 type veth peer name nd1")
    r = netns.cell(["run", "--netdev", "nd1:inside9", "--", "ip", "-o", "link"])
    assert r.returncode == 0, r.stderr
    assert "inside9" in r.stdout and "nd1" not in r.stdout
    assert "nd1" in netns.links()


@pytest.mark.parametrize("flags, needle", [
    (["--net", "bridge", "--subnet", "10.231.0.0/16"], "overlaps"),
    (["--net", "bridge", "--net-rate", "10mbits"], "--net-rate"),
    (["--net", "bridge", "--net-rate", "fast"], "--net-rate"),
    (["--net", "bridge", "--ip", "10.99.0.5"], "--ip 10.99.0.5"),
    (["--net", "bridge", "--ip", "10.88.0.1"], "--ip 10.88.0.1"),
    (["--netdev", "nosuchdev0"], "nosuchdev0"),
    (["--net", "bridge", "-p", "70000:80"], "-p"),
    (["--net", "bridge", "-p", "8080"], "-p"),
    (["--net", "bridge", "-p", "8080:80/sctp"], "-p"),
    (["--net", "bridge", "--subnet", "10.88.0.0/33"], "--subnet"),
    (["--net", "bogus"], "--net"),
    (["-p", "8080:80"], "-p"),
], ids=["overlap", "rate-unit", "rate-word", "ip-outside", "ip-gateway", "no-device",
        "port-range", "port-form", "port-proto", "subnet-form", "mode", "publish-without-net"])
def test_bad_network_input_is_one_line_exit_125_and_nothing_left(netns, cell_error, flags,
                                                                   needle):
    before = snapshot(netns)
    cell_error(netns.cell(["run", *flags, "--", "true"]), 125, needle)
    assert_nothing_left(netns, before)


def test_a_port_already_published_is_refused(netns, cell_error):
    a = netns.start(["run", "--net", "bridge", "-p", "8080:80", "--", "sh", "-c",
                     "echo READY; cat >/dev/null"])
    wait_ready(a)
    during = snapshot(netns)
    cell_error(netns.cell(["run", "--net", "bridge", "-p", "8080:81", "--", "true"]), 125,
               "8080", "already published")
    assert snapshot(netns) == during
    a.finish()


def test_sigkill_leaves_a_lease_that_gc_and_the_next_run_free(netns):
    before = snapshot(netns)
    for sweeper in (["gc"], ["run", "--", "true"]):
        r = netns.start(["run", "--net", "bridge", "-p", "9000:80", "--", "sh", "-c",
                         "echo READY; sleep 60"])
        wait_ready(r)
        r.proc.kill()  # SIGKILL: no teardown at all
        r.proc.wait()
        time.sleep(0.2)
        assert len(netns.leases()) == 1 and "9000" in netns.ruleset()
        s = netns.cell(sweeper)
        assert s.returncode == 0, s.stderr
        assert_nothing_left(netns, before)


def test_200_bridged_runs_leave_links_rules_and_leases_as_they_were(netns, cell_bin):
    before = snapshot(netns)
    r = netns.sh(f"for i in $(seq 200); do {cell_bin} run --net bridge -p 8080:80 -- true "
                 "|| exit 1; done", check=False, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert_nothing_left(netns, before)


@pytest.mark.rootless
def test_rootless_pasta_works_as_nobody(netns):
    server = netns.popen("python3 -c \"import socket; s = socket.socket(); "
                         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                         "s.bind(('0.0.0.0', 7001)); s.listen(); print('READY', flush=True); "
                         "c, a = s.accept(); c.sendall(b'pasta-ok'); c.close()\"", outer=True)
    assert server.stdout.readline().strip() == "READY"
    r = netns.start(["run", "--net", "pasta", "-p", "8090:80", "--", "sh", "-c",
                     "ip -4 -o addr; python3 -c \"import socket; print(socket.create_connection("
                     f"('{netns.OUTER_IP}', 7001), 5).recv(100).decode())\"; "
                     "echo READY; busybox nc -l -p 80 -e echo pub-ok"], user="nobody")
    wait_ready(r)
    time.sleep(0.3)
    got = netns.sh("busybox nc 127.0.0.1 8090 </dev/null", check=False)
    status, out, err = r.finish()
    assert status == 0, err
    assert netns.HOST_IP in out, out  # pasta copies the host's address
    assert "pasta-ok" in out
    assert "pub-ok" in got.stdout, got.stderr
    assert not _pastas(netns), "pasta outlived the container"


@pytest.mark.rootless
def test_rootless_slirp4netns_works_as_nobody(netns):
    r = netns.cell(["run", "--net", "slirp4netns", "--", "ip", "-4", "-o", "addr", "show",
                    "tap0"], user="nobody")
    assert r.returncode == 0, r.stderr
    assert "10.0.2.100/24" in r.stdout


@pytest.mark.rootless
def test_rootless_bridge_is_refused_in_one_line(netns, cell_error):
    cell_error(netns.cell(["run", "--net", "bridge", "--", "true"], user="nobody"), 125,
               "--net bridge")


def _pastas(netns):
    """PIDs of pasta processes started for containers in @netns (by their state dir)."""
    found = []
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except (OSError, ValueError):
            continue
        if cmd and os.path.basename(cmd[0]).startswith(b"pasta") and \
                any(f"/net/{netns.ino}/".encode() in a for a in cmd):
            found.append(p)
    return found


@pytest.mark.rootless
def test_rootless_gc_stops_the_pasta_of_a_sigkilled_cell(netns):
    r = netns.start(["run", "--net", "pasta", "--", "sh", "-c", "echo READY; sleep 60"],
                    user="nobody")
    wait_ready(r)
    pastas = _pastas(netns)
    assert pastas
    r.proc.kill()
    r.proc.wait()
    g = netns.cell(["gc"], user="nobody")
    assert g.returncode == 0, g.stderr
    assert "freed 1 stale network lease" in g.stdout
    deadline = time.monotonic() + 3
    while _pastas(netns):
        assert time.monotonic() < deadline, "pasta still runs after cell gc"
        time.sleep(0.05)


def test_concurrent_runs_never_get_the_same_address(netns, cell_bin):
    before = snapshot(netns)
    r = netns.sh(f"for i in 1 2 3 4 5 6 7 8; do {cell_bin} run --net bridge -- sh -c "
                 "'ip -4 -o addr show eth0; sleep 1' & done; wait", timeout=60)
    addrs = re.findall(r"inet (10\.88\.0\.\d+)/16", r.stdout)
    assert len(addrs) == 8, r.stdout + r.stderr
    assert len(set(addrs)) == 8, addrs
    assert_nothing_left(netns, before)


def test_a_bundle_saved_by_cell_spec_keeps_its_network(netns, tdir):
    """cell spec --net bridge -p ... writes run.cell.net* annotations; cell run of that
    bundle brings the same network up (other runtimes ignore the annotations)."""
    r = netns.cell(["spec", "--bundle", str(tdir), "--net", "bridge", "-p", "8080:80",
                    "--net-rate", "10mbit", "--", "sh", "-c",
                    "ip -4 -o addr show eth0; tc qdisc show dev eth0"])
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tdir / "config.json").read_text())
    assert cfg["annotations"]["run.cell.net"] == "bridge"
    assert cfg["annotations"]["run.cell.net.publish"] == "8080:80/tcp"
    before = snapshot(netns)
    r = netns.cell(["--root", str(tdir / "state"), "run", "--bundle", str(tdir), "b1"])
    assert r.returncode == 0, r.stderr
    assert "inet 10.88.0." in r.stdout and "tbf" in r.stdout
    assert_nothing_left(netns, before)
