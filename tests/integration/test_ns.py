"""`cell ns`: namespaces as the kernel reports them (lsns, /proc/PID/ns, ip addr)."""
import json
import os
import pathlib
import subprocess
import time

import pytest

from conftest import _env, _user_prefix, run_cell

NS_TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
REPO = pathlib.Path(__file__).resolve().parents[2]


def ino(path):
    return os.stat(path).st_ino


def ns_ids(pid):
    return {t: ino(f"/proc/{pid}/ns/{t}") for t in NS_TYPES}


class Proc:
    """A helper process (unshare ... sleep) killed and reaped at the end."""

    def __init__(self, argv, user=None):
        self.p = subprocess.Popen(_user_prefix(user) + argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=_env(), cwd="/")

    def leaf(self, comm="sleep", timeout=10):
        """PID of the first descendant (or itself) running @comm."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            todo = [self.p.pid]
            while todo:
                pid = todo.pop(0)
                try:
                    if open(f"/proc/{pid}/comm").read().strip() == comm:
                        return pid
                    kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
                except OSError:
                    continue
                todo += [int(k) for k in kids]
            time.sleep(0.02)
        pytest.fail(f"no {comm} under {self.p.args}: {self.p.stderr.read1()!r}")

    def stop(self):
        # Kill the whole tree: an `unshare --fork` child outlives its parent.
        pids, todo = [], [self.p.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                todo += [int(k) for k in open(f"/proc/{pid}/task/{pid}/children").read().split()]
            except OSError:
                pass
        for pid in reversed(pids):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        self.p.wait()
        self.p.stderr.close()


@pytest.fixture
def proc():
    made = []

    def _proc(argv, user=None):
        made.append(Proc(argv, user))
        return made[-1]
    yield _proc
    for p in made:
        p.stop()


def ls_json(*args, user=None):
    r = run_cell(["ns", "ls", "--json", *args], user=user)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["namespaces"]


def lsns_json(user=None):
    # lsns 2.38 gives up (exit 1, no message) when a process it lists turns
    # unreadable under it (one that is mid-setuid, say, on a shared host): retry.
    for _ in range(50):
        r = subprocess.run(_user_prefix(user) + ["lsns", "--json"], capture_output=True,
                           text=True, env=_env(), cwd="/")
        if r.returncode == 0:
            break
        time.sleep(0.05)
    assert r.returncode == 0, r.stderr
    return {(n["ns"], n["type"]): n for n in json.loads(r.stdout)["namespaces"]}


# --------------------------------------------------------------------- ls


def test_ls_json_lists_what_lsns_lists_with_the_same_counts(proc, user):
    # A process of our own in new namespaces: its entries cannot change under us.
    p = proc(["unshare", "--user", "--map-root-user", "--net", "--uts", "--ipc", "sleep", "60"],
             user=user)
    pid = p.leaf()

    def differences():
        first = lsns_json(user)
        ours = {(n["ns"], n["type"]): n for n in ls_json(user=user) if n["nprocs"] > 0}
        second = lsns_json(user)
        # Other processes come and go on a shared host: compare what both lsns runs
        # saw alike (a process may still start and end between them: try again).
        stable = {k: v for k, v in first.items() if second.get(k) == v}
        assert stable, "lsns listed nothing"
        diff = [(key, ours.get(key), n) for key, n in stable.items()
                if key not in ours or any(ours[key][f] != n[f] for f in ("nprocs", "pid",
                                                                          "user"))]
        return diff, ours
    for _ in range(5):
        diff, ours = differences()
        if not diff:
            break
    assert not diff, f"cell ns ls and lsns differ: {diff}"
    mine = ns_ids(pid)
    for t in ("user", "net", "uts", "ipc"):
        entry = ours[(mine[t], t)]
        assert entry["nprocs"] == 1 and entry["pid"] == pid
        assert entry["command"] == "sleep 60"


def test_ls_reports_owner_owner_uid_and_parents(proc, host_ns, user):
    p = proc(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--net", "sleep", "60"],
             user=user)
    pid = p.leaf()
    mine = ns_ids(pid)
    host_user = ino("/proc/self/ns/user")
    uid = 0 if user is None else 65534
    got = {(n["ns"], n["type"]): n for n in ls_json("--task", str(pid), user=user)}
    assert set(got) == {(mine[t], t) for t in NS_TYPES}
    userns = got[(mine["user"], "user")]
    assert userns["parent"] == host_user and userns["owner"] == host_user
    assert userns["owneruid"] == uid
    net = got[(mine["net"], "net")]
    assert net["owner"] == mine["user"] and net["owneruid"] == uid
    pidns = got[(mine["pid"], "pid")]
    assert pidns["parent"] == ino("/proc/self/ns/pid")
    assert got[(mine["time"], "time")]["owner"] == host_user  # not unshared: the host's


def test_ls_output_columns_and_type_filter(proc):
    pid = proc(["unshare", "--net", "sleep", "60"]).leaf()
    r = run_cell(["ns", "ls", "-t", "net", "-o", "ns,PID,nprocs", "--noheadings"])
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    # a namespace held only by a pin (another test's, say) has no PID: blank
    assert all(len(row) == 3 or (len(row) == 2 and row[1] == "0") for row in rows), r.stdout
    assert [str(ino(f"/proc/{pid}/ns/net")), str(pid), "1"] in rows
    assert {row[0] for row in rows} >= {str(ino("/proc/self/ns/net"))}
    net_json = ls_json("--type", "net")
    assert {n["type"] for n in net_json} == {"net"}


def test_ls_shows_a_namespace_held_only_by_an_open_fd(proc):
    p = proc(["unshare", "--net", "sleep", "60"])
    pid = p.leaf()
    netns = ino(f"/proc/{pid}/ns/net")
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        p.stop()
        got = {(n["ns"], n["type"]): n for n in ls_json("-t", "net")}
        entry = got[(netns, "net")]
        assert entry["nprocs"] == 0 and entry["pid"] is None
        assert entry["held"] == ["fd"]
    finally:
        os.close(fd)
    assert (netns, "net") not in {(n["ns"], n["type"]) for n in ls_json("-t", "net")}


# ------------------------------------------------------------------- tree


def find_user(nodes, ns):
    for n in nodes:
        if n["ns"] == ns:
            return n
        found = find_user(n["children"], ns)
        if found:
            return found
    return None


def test_tree_nests_user_namespaces_and_their_pid_namespaces(proc, user):
    p = proc(["unshare", "--user", "--map-root-user", "--pid", "--fork",
              "unshare", "--user", "--map-root-user", "--pid", "--fork", "sleep", "60"],
             user=user)
    inner = p.leaf()
    # The sleep's parent: the second unshare, in the first pid namespace (and,
    # having unshared, in the second user namespace); the first unshare is in the first.
    middle = int(open(f"/proc/{inner}/stat").read().rsplit(")", 1)[1].split()[1])
    u1, p1 = ino(f"/proc/{p.p.pid}/ns/user"), ino(f"/proc/{middle}/ns/pid")
    u2, p2 = ino(f"/proc/{inner}/ns/user"), ino(f"/proc/{inner}/ns/pid")
    assert len({u1, u2, ino("/proc/self/ns/user")}) == 3
    r = run_cell(["ns", "tree", "--json"], user=user)
    assert r.returncode == 0, r.stderr
    tree = json.loads(r.stdout)["tree"]
    host = find_user(tree, ino("/proc/self/ns/user"))
    assert host is not None, r.stdout
    n1 = next(c for c in host["children"] if c["ns"] == u1)
    n2 = next(c for c in n1["children"] if c["ns"] == u2)
    pid1 = next(c for c in n1["pid_namespaces"] if c["ns"] == p1)
    pid2 = next(c for c in n2["pid_namespaces"] if c["ns"] == p2)
    assert pid2["parent"] == p1
    assert inner in [x["pid"] for x in pid2["processes"]]
    assert middle in [x["pid"] for x in pid1["processes"]]
    assert n2["owneruid"] == (0 if user is None else 65534)
    text = run_cell(["ns", "tree"], user=user).stdout
    line1 = next(line for line in text.splitlines() if f"user {u1} " in line)
    line2 = next(line for line in text.splitlines() if f"user {u2} " in line)
    assert len(line2) - len(line2.lstrip("│├└─  ")) > len(line1) - len(line1.lstrip("│├└─  "))


# -------------------------------------------------------------- pin/unpin


def is_pin(path):
    return os.path.exists(path) and os.statvfs(path) and \
        any(line.split()[4] == str(path) and " - nsfs " in line
            for line in open("/proc/self/mountinfo"))


def test_pinned_netns_outlives_its_last_process_and_keeps_its_address(tdir):
    pin = tdir / "net"
    r = run_cell(["run", "--pin", f"net={pin}", "--cap-add", "NET_ADMIN", "--",
                  "ip", "addr", "add", "10.200.7.1/32", "dev", "lo"])
    try:
        assert r.returncode == 0, r.stderr
        assert is_pin(pin)
        entry = next(n for n in ls_json("-t", "net") if str(pin) in n["nsfs"])
        assert entry["nprocs"] == 0 and entry["held"] == ["mount"]
        assert entry["ns"] == ino(pin)
        r = run_cell(["ns", "enter", f"--net={pin}", "--", "ip", "-o", "addr", "show", "lo"])
        assert r.returncode == 0, r.stderr
        assert "10.200.7.1/32" in r.stdout
        r = run_cell(["run", "--ns", f"net={pin}", "--", "sh", "-c",
                      "readlink /proc/self/ns/net; ip -o addr show lo"])
        assert r.returncode == 0, r.stderr
        assert f"net:[{entry['ns']}]" in r.stdout and "10.200.7.1/32" in r.stdout
    finally:
        u = run_cell(["ns", "unpin", pin])
    assert u.returncode == 0, u.stderr
    assert not pin.exists()
    assert entry["ns"] not in [n["ns"] for n in ls_json("-t", "net")]


def test_pin_several_types_of_a_process_into_a_directory(proc, tdir):
    p = proc(["unshare", "--net", "--uts", "sleep", "60"])
    pid = p.leaf()
    ids = ns_ids(pid)
    d = tdir / "pins"
    r = run_cell(["ns", "pin", str(pid), "net", "uts", d])
    try:
        assert r.returncode == 0, r.stderr
        assert ino(d / "net") == ids["net"] and ino(d / "uts") == ids["uts"]
        p.stop()
        got = {(n["ns"], n["type"]): n for n in ls_json()}
        assert got[(ids["net"], "net")]["nsfs"] == [str(d / "net")]
        assert got[(ids["uts"], "uts")]["held"] == ["mount"]
    finally:
        u = run_cell(["ns", "unpin", d])
    assert u.returncode == 0, u.stderr
    assert not d.exists()


def test_failed_run_leaves_no_pin(tdir):
    pin = tdir / "net"
    r = run_cell(["run", "--pin", f"net={pin}", "--", "/nonexistent/cmd"])
    assert r.returncode == 127
    assert not pin.exists()


# ------------------------------------------------------------------ enter


def container_pid(running):
    """The container's PID 1 (started with --no-init: the command itself)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            kids = open(f"/proc/{running.pid}/task/{running.pid}/children").read().split()
        except OSError:
            kids = []
        for k in kids:
            try:
                if open(f"/proc/{k}/comm").read().strip() == "sleep":
                    return int(k)
            except OSError:
                pass
        time.sleep(0.02)
    pytest.fail("the container's sleep never started")


def test_enter_a_running_container_sees_its_hostname_pid_view_and_mounts(start, user):
    c = start(["run", "--no-init", "--hostname", "inside", "--tmpfs", "/mnt", "--",
               "sleep", "60"], user=user)
    pid = container_pid(c)
    script = ("hostname; readlink /proc/self/ns/pid /proc/self/ns/mnt; "
              "cat /proc/1/comm; echo $$; grep ' /mnt ' /proc/self/mountinfo; id -u")
    r = run_cell(["ns", "enter", "--target", pid, "--", "sh", "-c", script], user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "inside"
    assert lines[1] == os.readlink(f"/proc/{pid}/ns/pid")
    assert lines[2] == os.readlink(f"/proc/{pid}/ns/mnt")
    assert lines[3] == "sleep"           # PID 1 there is the container's
    assert 1 < int(lines[4]) < 100       # sh got a PID of the container's namespace
    assert "tmpfs" in lines[5]
    assert lines[6] == "0"
    c.kill()


def status_caps(pid):
    caps = {}
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Cap") or line.startswith("NoNewPrivs"):
            k, v = line.split(":")
            caps[k] = v.strip()
    return caps


def test_enter_keeps_no_capability_the_target_lacks(start):
    c = start(["run", "--no-init", "--cap-drop", "NET_RAW", "--", "sleep", "60"])
    pid = container_pid(c)
    r = run_cell(["ns", "enter", "-t", pid, "--", "cat", "/proc/self/status"])
    assert r.returncode == 0, r.stderr
    got = {}
    for line in r.stdout.splitlines():
        if line.startswith("Cap") or line.startswith("NoNewPrivs"):
            k, v = line.split(":")
            got[k] = v.strip()
    assert got == status_caps(pid)
    assert not int(got["CapBnd"], 16) & (1 << 13)  # CAP_NET_RAW
    c.kill()


def test_enter_selected_types_only(proc):
    pid = proc(["unshare", "--net", "--uts", "sleep", "60"]).leaf()
    r = run_cell(["ns", "enter", "-t", pid, "-n", "--", "sh", "-c",
                  "readlink /proc/self/ns/net /proc/self/ns/uts"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [os.readlink(f"/proc/{pid}/ns/net"),
                                os.readlink("/proc/self/ns/uts")]


def test_container_target_resolves_through_state_json(proc, tdir):
    pid = proc(["unshare", "--net", "sleep", "60"]).leaf()
    (tdir / "web").mkdir()
    (tdir / "web" / "state.json").write_text(json.dumps(
        {"ociVersion": "1.2.0", "id": "web", "status": "running", "pid": pid,
         "bundle": str(tdir)}))
    r = run_cell(["ns", "enter", "--root", tdir, "-t", "web", "-n", "--",
                  "readlink", "/proc/self/ns/net"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == os.readlink(f"/proc/{pid}/ns/net")
    got = ls_json("--root", str(tdir), "-p", "web", "-t", "net")
    assert [n["ns"] for n in got] == [ino(f"/proc/{pid}/ns/net")]


# ----------------------------------------------------------------- limits


def test_limits_show_the_kernel_maximum_and_current_count():
    r = run_cell(["ns", "limits", "--json"])
    assert r.returncode == 0, r.stderr
    limits = {x["type"]: x for x in json.loads(r.stdout)["limits"]}
    assert set(limits) == set(NS_TYPES)
    for t in NS_TYPES:
        assert limits[t]["max"] == int(open(f"/proc/sys/user/max_{t}_namespaces").read())
        assert limits[t]["count"] >= 1
        assert sum(limits[t]["users"].values()) <= limits[t]["count"]
    assert limits["net"]["users"]["0"] >= 1
    text = run_cell(["ns", "limits"]).stdout
    assert text.splitlines()[0].split()[:3] == ["TYPE", "MAX", "COUNT"]


# ------------------------------------------------------------ bad input


@pytest.mark.parametrize("args,needle", [
    (["ls", "-p", "999999999"], "999999999"),
    (["ls", "-t", "bogus"], "bogus"),
    (["ls", "-o", "ns,nope"], "nope"),
    (["enter", "--net=/etc/hostname", "--", "true"], "not a namespace file"),
    (["enter", "-t", "999999999", "--", "true"], "999999999"),
    (["enter", "-t", "nosuchbox", "--root", "/nonexistent", "--", "true"], "nosuchbox"),
    (["enter", "--", "true"], "nothing to enter"),
    (["pin", "999999999", "net", "/tmp/cell-never-made"], "999999999"),
    (["pin", "1", "bogus", "/tmp/cell-never-made"], "bogus"),
    (["unpin", "/etc/hostname"], "not a pinned namespace"),
    (["unpin", "/nonexistent/pin"], "/nonexistent/pin"),
    (["frob"], "frob"),
])
def test_bad_input_is_one_line_and_exit_125(cell_error, args, needle):
    r = run_cell(["ns", *args])
    cell_error(r, 125, needle)
    assert not os.path.exists("/tmp/cell-never-made")
    assert os.path.isfile("/etc/hostname")


@pytest.mark.rootless
def test_entering_a_namespace_that_is_not_yours_says_so(cell_error):
    r = run_cell(["ns", "enter", "-t", "1", "--", "true"], user="nobody")
    cell_error(r, 125, "not yours to enter")


@pytest.mark.rootless
def test_unprivileged_pin_fails_cleanly(cell_error, tdir, proc):
    pid = proc(["unshare", "--user", "--net", "sleep", "60"], user="nobody").leaf()
    os.chmod(tdir, 0o777)
    r = run_cell(["ns", "pin", pid, "net", tdir / "p"], user="nobody")
    cell_error(r, 125, "CAP_SYS_ADMIN")
    assert not (tdir / "p").exists()


def test_run_ns_rejects_a_file_of_the_wrong_type(cell_error, proc):
    pid = proc(["unshare", "--uts", "sleep", "60"]).leaf()
    r = run_cell(["run", "--ns", f"net=/proc/{pid}/ns/uts", "--", "true"])
    cell_error(r, 125, "not a network namespace")


# ------------------------------------------------------------- help, docs


@pytest.mark.parametrize("sub", ["ls", "tree", "pin", "unpin", "enter", "limits"])
def test_every_subcommand_has_help_and_a_man_page_section(sub):
    r = run_cell(["ns", sub, "--help"])
    assert r.returncode == 0 and r.stdout.startswith(f"Usage: cell ns {sub}"), r
    man = (REPO / "docs" / "cell-ns.1").read_text()
    assert f"cell ns {sub}" in man.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")


def test_man_page_documents_every_ls_column():
    r = run_cell(["ns", "ls", "--help"])
    man = (REPO / "docs" / "cell-ns.1").read_text()
    cols = [line.split()[0] for line in r.stdout.split("Columns")[1].splitlines()[1:]
            if line.strip()]
    assert len(cols) == 12
    for col in cols:
        assert f".B {col}" in man, col


def test_run_in_a_joined_user_namespace_makes_the_others_owned_by_it(user):
    """--ns user=PATH with new pid/net/mount namespaces: the child joins the user
    namespace first and makes the rest there, so they are owned by it (rootless too)."""
    holder = subprocess.Popen(_user_prefix(user) + ["unshare", "--user", "--map-root-user",
                                                    "sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        path = f"/proc/{holder.pid}/ns/user"
        while os.readlink(path) == os.readlink("/proc/self/ns/user"):
            assert time.monotonic() < deadline, "unshare never made its user namespace"
            time.sleep(0.02)
        r = run_cell(["run", "--ns", f"user={path}", "--", "sh", "-c",
                      "readlink /proc/self/ns/user; cat /proc/self/uid_map; echo $$; "
                      "readlink /proc/self/ns/net"], user=user)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == os.readlink(path)
        assert lines[1].split() == ["0", str(os.stat(f"/proc/{holder.pid}").st_uid), "1"]
        assert lines[2] == "1"  # PID 1 of a new pid namespace
        assert lines[3] != os.readlink("/proc/self/ns/net")
    finally:
        holder.kill()
        holder.wait()


def test_enter_user_without_a_target_takes_that_user(run):
    """--user with namespace files alone: the command runs as that user, with no
    capability (it was ignored without --target)."""
    net = f"/proc/{os.getpid()}/ns/net"
    r = run(["ns", "enter", f"--net={net}", "--user", "1000:1000", "--", "sh", "-c",
             "id -u; id -g; grep CapEff /proc/self/status"])
    assert r.returncode == 0, r.stderr
    uid, gid, caps = r.stdout.splitlines()
    assert (uid, gid) == ("1000", "1000")
    assert int(caps.split()[1], 16) == 0


def test_enter_logs_a_failed_exec_to_the_hosts_log_file(start, tdir):
    """The command's exec fails inside the target's mounts: --log is still the host's file."""
    c = start(["run", "--no-init", "--", "sleep", "60"])
    pid = container_pid(c)
    log = tdir / "cell.log"
    r = run_cell(["--log", str(log), "ns", "enter", "-t", pid, "--", "/no/such/program"])
    assert r.returncode == 127, r
    assert "/no/such/program" in r.stderr
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and "/no/such/program" in lines[0], lines
    c.kill()


def test_ns_errors_reach_the_log_file(tdir):
    log = tdir / "cell.log"
    for args in (["ns", "ls", "--no-such-flag"], ["ns", "enter", "-t", "999999999", "--", "true"],
                 ["ns", "frob"]):
        r = run_cell(["--log", str(log), *args])
        assert r.returncode == 125, r
    lines = log.read_text().splitlines()
    assert len(lines) == 3, lines
    assert "no-such-flag" in lines[0] and "999999999" in lines[1] and "frob" in lines[2], lines
