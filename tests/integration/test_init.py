"""PID namespace, the built-in init, signal forwarding and the session."""
import fcntl
import json
import os
import signal
import subprocess

import pytest

from conftest import (CELL, CELL_ASAN, REACH_INIT, only_child, rmdir_cgroup, same_mm,
                      settled_init)


def test_command_is_pid_2_under_the_builtin_init(sh, user):
    r = sh('echo "$$ $PPID"', user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["2", "1"]


def test_init_flag_is_the_default(sh):
    r = sh('echo "$$ $PPID"', "--init")
    assert r.stdout.split() == ["2", "1"], r.stderr


def test_no_init_makes_the_command_pid_1(sh, user):
    r = sh('echo "$$ $PPID"', "--no-init", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "0"]


def test_pid_namespace_hides_host_processes(sh):
    r = sh("ls /proc | grep -c '^[0-9]*$'; test -e /proc/%d && echo host-visible || true"
           % os.getpid())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert int(lines[0]) <= 5, f"too many processes visible: {lines[0]}"
    assert "host-visible" not in lines


def test_share_pid_sees_host_processes(sh):
    r = sh("test -e /proc/%d && echo host-visible" % os.getpid(), "--share-pid")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "host-visible"


@pytest.mark.parametrize("flags,pid", [([], "2"), (["--no-init"], "1")])
def test_proc_is_a_fresh_procfs_of_the_new_pid_namespace(run, user, flags, pid):
    # With the host's /proc, /proc/self would name the host pid instead.
    r = run(["run", *flags, "--", "readlink", "/proc/self"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == pid


ORPHAN_SCRIPT = r"""
o=$(sh -c 'sleep 0.3 >/dev/null 2>&1 & echo $!')
sleep 0.1
echo "orphan-ppid $(cut -d' ' -f4 /proc/$o/stat)"
sleep 0.8
if [ -e /proc/$o ]; then echo orphan-not-reaped; else echo orphan-reaped; fi
for f in /proc/[0-9]*/stat; do read -r line < "$f" 2>/dev/null && echo "stat $line"; done
"""


def test_init_adopts_and_reaps_orphans(sh, user):
    r = sh(ORPHAN_SCRIPT, user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "orphan-ppid 1" in lines, r.stdout
    assert "orphan-reaped" in lines, r.stdout
    zombies = [line for line in lines if line.startswith("stat ")
               and line[line.rindex(")") + 2:].split()[0] == "Z"]
    assert zombies == []


def test_remaining_processes_end_with_the_command(start, user):
    # The command exits while a background child still runs: the container
    # ends with it, and no_leftovers checks nothing outlives cell.
    c = start(["run", "--", "sh", "-c", "sleep 30 & echo ready; exit 4"], user=user)
    c.wait_for("ready")
    status, _, err = c.finish(timeout=10)
    assert status == 4, err


FORWARD = 'trap "echo got {sig}; exit 7" {sig}; echo ready; while :; do sleep 0.1; done'


@pytest.mark.parametrize("user,sig", [
    (None, "TERM"), (None, "INT"), (None, "HUP"), (None, "QUIT"),
    (None, "USR1"), (None, "USR2"), (None, "WINCH"),
    pytest.param("nobody", "TERM", marks=pytest.mark.rootless, id="nobody-TERM"),
    pytest.param("nobody", "INT", marks=pytest.mark.rootless, id="nobody-INT"),
])
def test_signals_to_cell_are_forwarded_to_the_command(start, user, sig):
    c = start(["run", "--", "sh", "-c", FORWARD.format(sig=sig)], user=user)
    c.wait_for("ready")
    c.send_signal(getattr(signal, "SIG" + sig))
    status, out, err = c.finish(timeout=10)
    assert f"got {sig}" in out, (out, err)
    assert status == 7, (status, err)


def test_signal_without_a_trap_kills_the_command(start):
    c = start(["run", "--", "sh", "-c", "echo ready; while :; do sleep 0.1; done"])
    c.wait_for("ready")
    c.send_signal(signal.SIGTERM)
    status, _, err = c.finish(timeout=10)
    assert status == 143, err


SESSION = ("import os, errno\n"
           "print('sid-is-own', os.getsid(0) in (1, os.getpid()) and os.getsid(0) != 0)\n"
           "try:\n"
           "    os.open('/dev/tty', os.O_RDWR)\n"
           "    print('ctty yes')\n"
           "except OSError as e:\n"
           "    print('ctty', errno.errorcode[e.errno])\n")


def test_command_runs_in_a_new_session_without_a_controlling_terminal(pty_start, user):
    # cell itself has a controlling terminal here; the command must not.
    s = pty_start(["run", "--", "python3", "-c", SESSION], user=user)
    status, out, _ = s.finish(timeout=15)
    assert status == 0, out
    assert "sid-is-own True" in out, out
    assert "ctty ENXIO" in out, out


# --- the init of a vfork-style start (src/init/init.c) -------------------------------------

def _status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


@pytest.mark.parametrize("user", [None, pytest.param("nobody", marks=pytest.mark.rootless)],
                         ids=["root", "nobody"])
def test_init_keeps_only_cap_kill_the_sync_socket_and_no_directory(start, user):
    c = start(["run", "--", "sh", "-c", "echo ready; exec sleep 30"], user=user)
    c.wait_for("ready")
    init = settled_init(c.pid)
    st = _status(init)
    assert int(st["CapEff"], 16) == 1 << 5 and int(st["CapPrm"], 16) == 1 << 5, st
    assert int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0, st
    fds = {int(fd): os.readlink(f"/proc/{init}/fd/{fd}") for fd in os.listdir(f"/proc/{init}/fd")}
    assert all(fds[fd] == "/dev/null" for fd in (0, 1, 2)), fds
    rest = [target for fd, target in fds.items() if fd > 2]
    # rootless, PID 1's door too (test_door.py): the listening socket named after it
    with open("/proc/net/unix") as f:
        doors = [f"socket:[{ln.split()[6]}]" for ln in f if ln.rstrip().endswith(f"@cell-init.{init}")]
    assert len(doors) == (1 if user else 0) and set(doors) <= set(rest), (doors, fds)
    rest = [target for target in rest if target not in doors]
    assert len(rest) == 1 and rest[0].startswith("socket:"), fds
    assert os.readlink(f"/proc/{init}/cwd") == "/"


@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_root_runs_init_from_a_sealed_memfd_not_from_cells_memory(start):
    c = start(["run", "--", "sh", "-c", "echo ready; exec sleep 30"])
    c.wait_for("ready")
    init = settled_init(c.pid)
    assert os.readlink(f"/proc/{init}/exe") == "/memfd:cell-init (deleted)"
    with open(f"/proc/{init}/maps") as f:
        maps = f.read()
    assert os.path.realpath(CELL) not in maps, maps
    # a few pages of its own: a forked cell would carry its heap and image
    assert int(_status(init)["VmRSS"].split()[0]) < 1024, _status(init)["VmRSS"]
    # sealed: neither the container nor anyone else can change what runs as PID 1
    fd = os.open(f"/proc/{init}/exe", os.O_RDONLY)
    try:
        seals = fcntl.fcntl(fd, 1034)  # F_GET_SEALS
    finally:
        os.close(fd)
    assert seals & 0xF == 0xF, hex(seals)  # F_SEAL_SEAL, _SHRINK, _GROW, _WRITE


@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_a_killed_init_ends_the_run_as_any_pid_1(start):
    # The child ran in cell's memory until it exec'd the init: killing the
    # init now must end the run as any PID 1's death does, and leave cell intact.
    c = start(["run", "--", "sh", "-c", "echo ready; exec sleep 30"])
    c.wait_for("ready")
    os.kill(settled_init(c.pid), signal.SIGKILL)
    status, _, err = c.finish(timeout=10)
    assert status == 128 + signal.SIGKILL, (status, err)


@pytest.mark.skipif(not os.path.exists("/proc/sys/vm/memfd_noexec"),
                    reason="no vm.memfd_noexec before Linux 6.3")
def test_without_an_executable_memfd_the_init_is_forked_as_before():
    # vm.memfd_noexec=2 (per pid namespace) refuses executable memfds: cell
    # must notice before clone and fork its init, not fail the run.
    script = ("echo 2 > /proc/sys/vm/memfd_noexec && exec " + CELL +
              " run -- sh -c 'echo ready; exec sleep 30'")
    p = subprocess.Popen(["unshare", "-pf", "--mount-proc", "--kill-child", "sh", "-c", script],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert p.stdout.readline() == b"ready\n", p.stderr.read()
        cell = only_child(p.pid)  # unshare's one child: sh, which exec'd cell
        init = settled_init(cell)
        assert os.readlink(f"/proc/{init}/exe") == os.path.realpath(CELL)
    finally:
        p.kill()
        p.wait(timeout=10)


BUILD = os.path.dirname(CELL)


def _memory_cgroup_dir():
    """Where a memory cgroup of the test's own goes, and its limit files; None: none here."""
    v1 = "/sys/fs/cgroup/memory"
    if os.path.exists(os.path.join(v1, "memory.limit_in_bytes")):
        return v1, ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
    try:
        with open("/sys/fs/cgroup/cgroup.subtree_control") as f:
            if "memory" in f.read().split():
                return "/sys/fs/cgroup", ["memory.max", "memory.swap.max"]
    except OSError:
        pass
    return None, None


@pytest.mark.parametrize("vfork", [True, False], ids=["vfork", "shared-memory-only"])
def test_the_oom_killer_spares_a_child_in_vfork(vfork):
    # What cell's vfork-style start relies on (clone_vm()): its child joins a
    # memory-limited cgroup while it runs in cell's memory, and the OOM killer
    # kills every process of the mm it picks. In vfork it must never pick the
    # child (oom_badness(): in_vfork()), however large the memory it shares:
    # only the command, which has memory of its own. The control without
    # CLONE_VFORK shows the check can fail: there the child, and its parent
    # with it, are what the kernel kills.
    top, limits = _memory_cgroup_dir()
    if top is None:
        pytest.skip("no memory controller to make a cgroup of the test's own in")
    cg = os.path.join(top, f"celltest-vfork-oom-{os.getpid()}")
    os.mkdir(cg)
    try:
        for name in limits:  # swap too, or the hog would be swapped out, not killed
            path = os.path.join(cg, name)
            if os.path.exists(path):
                with open(path, "w") as f:
                    f.write("0" if name == "memory.swap.max" else str(32 << 20))
        r = subprocess.run([os.path.join(BUILD, "vfork_oom"), os.path.join(cg, "cgroup.procs"),
                            "1" if vfork else "0", os.path.join(BUILD, "judge_prog"), "hog",
                            "128"], capture_output=True, text=True, timeout=60)
    finally:
        rmdir_cgroup(cg)
    if vfork:
        assert (r.returncode, r.stdout) == (0, "parent alive; hog killed\n"), r
    else:
        assert r.returncode == -signal.SIGKILL, r


@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_a_memory_limited_run_starts_vfork_style_and_its_oom_kill_takes_the_command(start):
    if _memory_cgroup_dir()[0] is None:
        pytest.skip("no memory controller")
    limit = ["--memory", "32m", "--memory-swap", "32m"]
    c = start(["run", *limit, "--", "sh", "-c", "echo ready; exec sleep 30"])
    c.wait_for("ready")
    init = settled_init(c.pid)
    try:
        assert os.readlink(f"/proc/{init}/exe") == "/memfd:cell-init (deleted)"
    finally:
        os.kill(init, signal.SIGKILL)
        c.finish(timeout=10)
    r = subprocess.run([CELL, "run", *limit, "--", os.path.join(BUILD, "judge_prog"), "hog",
                        "128"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 128 + signal.SIGKILL, r
    assert "OOM-killed" in r.stderr, r.stderr


PROBE_INIT = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
out = {}
for file, flags in (("mem", os.O_RDWR), ("exe", os.O_RDONLY), ("environ", os.O_RDONLY)):
    try:
        os.close(os.open(f"/proc/1/{file}", flags))
        out[file] = "opened"
    except OSError as e:
        out[file] = errno.errorcode[e.errno]
out["ptrace"] = ("attached" if libc.ptrace(16, 1, None, None) == 0  # PTRACE_ATTACH
                 else errno.errorcode[ctypes.get_errno()])
out["comm"] = open("/proc/1/comm").read().strip()
out["cap_eff"] = [ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("CapEff")][0]
print(json.dumps(out))
"""
ROOT_MAPS = ["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"]


def test_a_root_user_namespace_runs_init_out_of_its_containers_reach(run):
    # With root's maps the init runs in the container's user namespace too
    # (exec'd from cell's memfd, vfork-style, or forked under ASan). Its root
    # holds every capability there, and must still reach none of PID 1: the
    # memfd is unreadable in the namespace, which makes the exec non-dumpable
    # from its first instruction and its mm the host's (would_dump()).
    r = run(["run", "--cap-add", "ALL", "--seccomp", "unconfined", *ROOT_MAPS, "--",
             "/usr/bin/python3", "-c", PROBE_INIT])
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    assert seen["comm"] == "cell-init" and int(seen["cap_eff"], 16) >> 21 & 1, seen  # SYS_ADMIN
    for what in ("mem", "exe", "environ", "ptrace"):
        assert seen[what] in ("EACCES", "EPERM"), seen


@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_a_root_user_namespace_run_starts_vfork_style_with_the_hosts_init(start):
    c = start(["run", *ROOT_MAPS, "--", "sh", "-c", "echo ready; exec sleep 30"])
    c.wait_for("ready")
    init = settled_init(c.pid)
    try:
        assert os.readlink(f"/proc/{init}/exe") == "/memfd:cell-init (deleted)"
        assert os.stat(f"/proc/{init}/exe").st_mode & 0o777 == 0o111
        # a non-dumpable task's /proc files (not its directory) belong to the
        # root of its mm's user namespace: the host's 0, not the container's
        # root (host uid 100000), as a forked init's
        assert os.stat(f"/proc/{init}/environ").st_uid == 0
        with open(f"/proc/{init}/status") as f:
            assert "\nUid:\t100000\t" in f.read()  # it runs as the container's root
    finally:
        os.kill(init, signal.SIGKILL)
        c.finish(timeout=10)


@pytest.mark.rootless
@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_a_rootless_runs_init_stays_in_cells_memory_as_a_judged_boxs(start):
    # Rootless, cell's uid is the container's root: an init exec'd there
    # would be its root's to trace, so it was forked, a copy of cell's memory
    # (whose /proc/1/cmdline is cell's command line). PID 1 now stays in cell's
    # memory instead (plan.init_in_vm), non-dumpable and the host user
    # namespace's: no copy of cell's page tables, no faults, no teardown.
    c = start(["run", "--", "sh", "-c", "echo ready; exec sleep 30"], user="nobody")
    c.wait_for("ready")
    init = settled_init(c.pid)
    try:
        assert same_mm(c.pid, init)
        assert os.stat(f"/proc/{init}/environ").st_uid == 0  # non-dumpable: the host's
        st = _status(init)
        assert st["Name"] == "cell-init" and int(st["CapEff"], 16) == 1 << 5, st
        with open(f"/proc/{init}/cmdline", "rb") as f:  # what the forked init showed
            assert f.read().split(b"\0")[1:3] == [b"run", b"--"]
    finally:
        c.kill()


@pytest.mark.rootless
@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
@pytest.mark.parametrize("caps", [[], ["--cap-add", "ALL", "--seccomp", "unconfined"]],
                         ids=["default", "all-caps-unconfined"])
def test_a_rootless_container_reaches_nothing_of_its_init_in_cells_memory(run, caps):
    # Its root is cell's own uid on the host and, with --cap-add ALL, holds
    # every capability in its user namespace; cell's memory is non-dumpable
    # and the host's user namespace's, where it holds none.
    r = run(["run", *caps, "--", "/usr/bin/python3", "-c", REACH_INIT], user="nobody")
    assert r.returncode == 0, r.stderr
    got = dict(line.split() for line in r.stdout.splitlines())
    assert len(got) == 11 and set(got.values()) == {"-1"}, got


@pytest.mark.skipif(CELL_ASAN, reason="an ASan build forks its child: its init is cell itself")
def test_a_root_run_mapping_roots_own_ids_keeps_its_init_in_cells_memory_out_of_reach(start, run):
    # Maps that give cell's ids (root's 0) an id inside forked the init too;
    # now PID 1 stays in cell's memory, the hop born in the user namespace
    # while cell writes its maps. The container's root is the host's uid 0
    # here and holds every capability in its namespace, none in the host's,
    # which owns cell's non-dumpable memory: it still reaches nothing.
    maps = ["--uidmap", "0:0:1", "--uidmap", "1:100000:65535",
            "--gidmap", "0:0:1", "--gidmap", "1:100000:65535"]
    c = start(["run", *maps, "--", "sh", "-c", "echo ready; exec sleep 30"])
    c.wait_for("ready")
    init = settled_init(c.pid)
    try:
        assert same_mm(c.pid, init)
    finally:
        c.kill()
    r = run(["run", *maps, "--cap-add", "ALL", "--seccomp", "unconfined", "--",
             "/usr/bin/python3", "-c", REACH_INIT])
    assert r.returncode == 0, r.stderr
    got = dict(line.split() for line in r.stdout.splitlines())
    assert len(got) == 11 and set(got.values()) == {"-1"}, got
