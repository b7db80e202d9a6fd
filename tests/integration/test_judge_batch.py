"""
cell judge --batch (issue 12): many runs from one JSON-lines file, one
report a line in input order; a bad line is an XX report that stops nothing;
-j 2 boxes that share no channel; nothing left behind after a batch, after
SIGTERM or SIGKILL of its supervisor, and (root) after a SIGKILLed worker.

Each test that takes `user` runs as root (a cgroup per box, below one per
batch) and as nobody (no cgroup is delegated on this host).
"""
import glob
import json
import os
import signal
import subprocess
import time

import pytest

import test_judge
from conftest import CELL, run_cell, _user_prefix, _env, _reset_signals
from test_judge import _A, _B

# judge_prog under /mnt, where the box sees it: test_judge's fixture makes the copy
visible_prog = test_judge.visible_prog


def prog():
    return test_judge.PROG


def line(id_, *args, **fields):
    return {"id": id_, "argv": [prog(), *[str(a) for a in args]], **fields}


def write_batch(tdir, lines, name="batch.jsonl"):
    """The batch file, readable by nobody; @lines are dicts or raw text."""
    f = tdir / name
    f.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    os.chmod(f, 0o644)
    return f


def batch(tdir, lines, flags=(), user=None, timeout=60):
    res = run_cell(["judge", *flags, "--batch", write_batch(tdir, lines)], user=user,
                   timeout=timeout)
    reps = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    return reps, res


def start_batch(tdir, lines, flags=(), user=None):
    """A batch in the background (its own session: the test signals it alone)."""
    f = write_batch(tdir, lines)
    return subprocess.Popen(_user_prefix(user) + [CELL, "judge", *flags, "--batch", str(f)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
                            cwd="/", preexec_fn=_reset_signals)


def writable_dir(tdir):
    d = tdir / "out"
    d.mkdir()
    os.chmod(d, 0o777)
    return d


def batch_cgroups():
    return glob.glob("/sys/fs/cgroup/*/cell-judge-*") + glob.glob("/sys/fs/cgroup/cell-judge-*")


def prog_processes():
    """PIDs of processes running this test's judge_prog."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0] == prog().encode():
                    pids.append(int(p))
        except OSError:
            pass
    return pids


def wait_for(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def assert_nothing_left(owned_before=()):
    assert wait_for(lambda: not prog_processes(), 5), prog_processes()
    left = [c for c in batch_cgroups() if c not in owned_before]
    assert not left, left


# ---- every status, in input order ----------------------------------------


def test_batch_gives_every_status_from_real_programs_in_input_order(user, tdir):
    out = writable_dir(tdir)
    lines = [
        line("ok", "exit", 0),
        line("re", "exit", 3),
        line("sg", "segv"),
        line("to-cpu", "busy", 100, time=0.3),
        line("to-wall", "sleep", 20, **{"wall-time": "0.5"}),
        line("ol", "flood", 100000, **{"output-limit": "1k", "stdout": str(out / "ol")}),
        line("ml", "hog", 64, mem="16m"),
    ]
    reps, res = batch(tdir, lines, ["-j", "2"], user=user)
    assert res.returncode == 0, res.stderr
    assert [r["line"] for r in reps] == list(range(1, 8)), reps
    got = {r["id"]: r for r in reps}
    assert [r["id"] for r in reps] == [x["id"] for x in lines]
    assert (got["ok"]["status"], got["ok"]["exitcode"]) == ("OK", 0)
    assert (got["re"]["status"], got["re"]["exitcode"]) == ("RE", 3)
    assert (got["sg"]["status"], got["sg"]["signal"]) == ("SG", 11)
    assert (got["to-cpu"]["status"], got["to-cpu"]["time_limit"]) == ("TO", "cpu")
    assert 0.3 <= got["to-cpu"]["cpu_time"] <= 0.35, got["to-cpu"]
    assert (got["to-wall"]["status"], got["to-wall"]["time_limit"]) == ("TO", "wall")
    assert got["ol"]["status"] == "OL" and got["ol"]["output_truncated"]
    assert (out / "ol").stat().st_size == 1024
    if user is None:
        assert (got["ml"]["status"], got["ml"]["oom_killed"]) == ("ML", True), got["ml"]
    else:  # rootless: --mem is RLIMIT_AS, the mmap fails (test_judge pins it)
        assert (got["ml"]["status"], got["ml"]["exitcode"]) == ("RE", 2), got["ml"]
    assert_nothing_left()


def test_batch_line_limits_override_the_flags_and_reset_for_the_next_line(user, tdir):
    lines = [line("tight", "busy", 100, time=0.2), line("default", "busy", 0.4)]
    reps, _ = batch(tdir, lines, ["--time", "1"], user=user)
    assert reps[0]["status"] == "TO" and reps[0]["cpu_time"] < 0.3, reps[0]
    assert reps[1]["status"] == "OK" and reps[1]["cpu_time"] >= 0.4, reps[1]


# ---- a bad line is its own report ----------------------------------------


def test_batch_bad_lines_are_xx_named_by_line_and_field_and_the_rest_runs(user, tdir):
    lines = [
        "{not json",
        json.dumps({"id": "unknown", "argv": [prog(), "exit", "0"], "tiem": 1}),
        json.dumps({"id": "argv", "argv": "exit"}),
        json.dumps({"id": "value", "argv": [prog(), "exit", "0"], "mem": "lots"}),
        json.dumps({"id": "dir", "argv": [prog(), "exit", "0"], "dir": "/a=/b"}),
        "",
        json.dumps({"id": "noargv"}),
        json.dumps(line("fine", "exit", 0)),
    ]
    reps, res = batch(tdir, lines, user=user)
    assert res.returncode == 0, res.stderr
    assert [r["line"] for r in reps] == [1, 2, 3, 4, 5, 7, 8], reps  # blank line 6: none
    msg = {r["line"]: r["message"] for r in reps}
    assert all(r["status"] == "XX" for r in reps[:-1]), reps
    assert msg[1].startswith("line 1: column"), msg
    assert msg[2] == 'line 2: "tiem": unknown field', msg
    assert msg[3].startswith('line 3: "argv": expected an array'), msg
    assert msg[4].startswith('line 4: "mem"'), msg
    assert msg[5].startswith('line 5: "dir": the batch\'s'), msg
    assert msg[7].startswith('line 7: no "argv"'), msg
    assert [r["id"] for r in reps] == [None, "unknown", "argv", "value", "dir", "noargv",
                                       "fine"]
    assert reps[-1]["status"] == "OK", reps[-1]


def test_batch_flag_misuse_is_a_cell_error(tdir):
    f = write_batch(tdir, [line("a", "exit", 0)])
    for args in (["--batch", f, "--", prog()], ["-j", "2", "--", prog()],
                 ["--batch", tdir / "missing.jsonl"], ["--batch", f, "--report", tdir / "r"],
                 ["--batch", f, "-j", "0"]):
        res = run_cell(["judge", *args])
        assert res.returncode == 125 and res.stdout == "", (args, res)
        assert res.stderr.startswith("cell: judge: "), res.stderr


# ---- the box: the batch's filter, no channel between boxes ---------------


def test_batch_boxes_have_the_seccomp_filter_and_no_capabilities(user, tdir):
    out = writable_dir(tdir)
    reps, _ = batch(tdir, [{"id": i, "argv": ["/bin/grep", "-E", "^(Seccomp|CapEff|NoNewPrivs):",
                                              "/proc/self/status"], "stdout": str(out / f"s{i}")}
                           for i in range(2)], ["-j", "2"], user=user)
    assert [r["status"] for r in reps] == ["OK", "OK"], reps
    for i in range(2):
        status = dict(x.split(":\t") for x in (out / f"s{i}").read_text().splitlines())
        assert status == {"Seccomp": "2", "CapEff": "0000000000000000", "NoNewPrivs": "1"}


def test_batch_j2_boxes_at_once_share_no_channel(user, tdir):
    d = writable_dir(tdir)
    py = "/usr/bin/python3"
    lines = [{"id": "a", "argv": [py, "-c", _A], "wall-time": 10},
             {"id": "b", "argv": [py, "-c", _B], "stdout": str(d / "b-out")}]
    reps, res = batch(tdir, lines, ["-j", "2", "--dir", f"{d}=/mnt:rw"], user=user)
    assert [r["status"] for r in reps] == ["OK", "OK"], reps
    assert (d / "b-out").read_text().strip() == "none"


def test_batch_workers_at_once_run_as_host_uids_of_their_own(tdir):
    # worker k runs its boxes as box (--box-id + k)'s host uid and gid: two boxes
    # at once never share the kernel's per-user counts (test_judge.py)
    d = writable_dir(tdir)
    lines = [{"id": i, "argv": ["/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map"
                                f" > /mnt/{i}; sleep 0.3"]} for i in range(4)]
    reps, res = batch(tdir, lines, ["-j", "2", "--box-id", "20", "--dir", f"{d}=/mnt:rw"])
    assert [r["status"] for r in reps] == ["OK"] * 4, reps
    hosts = {(d / str(i)).read_text().split()[1] for i in range(4)}
    assert hosts == {"60020", "60021"}, hosts
    for i in range(4):
        uid, gid = (d / str(i)).read_text().split()[1::3]
        assert uid == gid
    # --box-id takes every worker's box: past the range is refused before any run
    reps, res = batch(tdir, lines, ["-j", "2", "--box-id", "999"])
    assert res.returncode == 125 and reps == [], res
    assert "--box-id 999: boxes 999 to 1000, but --box-uids has 1000" in res.stderr


def test_rootless_batch_boxes_at_once_each_hold_a_share_and_leave_the_caller_some(tdir):
    # -j 2: each box may hold a quarter of what the caller may (1 / (2 x jobs)),
    # so neither can take the other's, and the caller keeps half
    d = writable_dir(tdir)
    limit = int(open("/proc/sys/user/max_inotify_instances").read())
    lines = [{"id": me, "argv": ["/usr/bin/python3", "-c", test_judge._HOLD, me]}
             for me in ("a", "b")]
    p = start_batch(tdir, lines, ["-j", "2", "--wall-time", "20", "--open-files",
                                  str(limit + 64), "--dir", f"{d}=/mnt:rw"], user="nobody")
    try:
        for me in ("a", "b"):
            held = test_judge.wait_for(d / f"{me}-held").split()
            assert int(held[0]) == limit // 4, held
        outside = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                                  "--clear-groups", "/usr/bin/python3", "-c",
                                  "import ctypes; l = ctypes.CDLL(None)\n"
                                  "print(sum(l.inotify_init1(0) >= 0 for _ in range(8)))"],
                                 capture_output=True, text=True, timeout=30)
        assert outside.stdout.strip() == "8", outside
    finally:
        (d / "go").write_text("1")
        out, err = p.communicate(timeout=60)
    assert [json.loads(x)["status"] for x in out.decode().splitlines()] == ["OK", "OK"], err


# ---- nothing left behind -------------------------------------------------


def sleepers(n, seconds=30):
    return [line(i, "sleep", seconds) for i in range(n)]


def test_batch_sigterm_kills_the_boxes_reports_xx_and_leaves_nothing(user, tdir):
    p = start_batch(tdir, sleepers(4), ["-j", "2"], user=user)
    assert wait_for(lambda: len(prog_processes()) >= 2), "two boxes never ran"
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 128 + signal.SIGTERM, err
    reps = [json.loads(x) for x in out.decode().splitlines()]
    assert [r["line"] for r in reps] == [1, 2], reps  # 3 and 4 never started
    assert all(r["status"] == "XX" and "stopped" in r["message"] for r in reps), reps
    assert_nothing_left()


def test_batch_sigkill_of_the_supervisor_leaves_nothing_but_what_cell_gc_removes(user, tdir):
    before = batch_cgroups()
    p = start_batch(tdir, sleepers(4), ["-j", "2"], user=user)
    assert wait_for(lambda: len(prog_processes()) >= 2), "two boxes never ran"
    p.kill()
    p.communicate(timeout=20)
    # the workers see their lifeline's EOF: each kills and tears down its box
    assert wait_for(lambda: not prog_processes(), 10), prog_processes()
    mine = [c for c in batch_cgroups() if c not in before]
    assert all(f"cell-judge-{p.pid}-" in c for c in mine), mine
    assert wait_for(lambda: not [c for c in batch_cgroups() if c not in before
                                 and os.listdir(c) and any(os.path.isdir(os.path.join(c, e))
                                                           for e in os.listdir(c))], 10)
    res = run_cell(["gc"])
    assert res.returncode == 0, res.stderr
    assert_nothing_left(before)


def test_batch_sigkill_of_a_worker_is_xx_for_its_line_and_the_batch_cleans_up(tdir):
    # root: the boxes' cgroups are below the batch's, which the supervisor removes
    p = start_batch(tdir, [line("slow", "sleep", 30), line("a", "exit", 0),
                           line("b", "exit", 0)], ["-j", "2"])
    try:
        assert wait_for(lambda: worker_of(p.pid) is not None, 20), "no worker holds the box"
        os.kill(worker_of(p.pid), signal.SIGKILL)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:  # a failed assertion must not leave the batch running
            p.kill()
            p.communicate(timeout=20)
    assert p.returncode == 0, err
    reps = {r["id"]: r for r in map(json.loads, out.decode().splitlines())}
    assert reps["slow"]["status"] == "XX" and "worker" in reps["slow"]["message"], reps
    assert (reps["a"]["status"], reps["b"]["status"]) == ("OK", "OK"), reps
    assert_nothing_left()


def worker_of(batch_pid):
    """The batch's worker running the "slow" line's box (judge_prog sleep), or None:
    a quick line's box may be the only one running for a moment, and gone the next."""
    progs = []
    for pid in prog_processes():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[1:2] == [b"sleep"]:
                    progs.append(pid)
        except OSError:
            continue
    if len(progs) != 1:
        return None
    for w in os.listdir("/proc"):
        if not w.isdigit() or int(w) == batch_pid:
            continue
        try:
            with open(f"/proc/{w}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == batch_pid and is_ancestor(int(w), progs[0]):
            return int(w)
    return None


def is_ancestor(pid, of):
    while of > 1:
        if of == pid:
            return True
        try:
            with open(f"/proc/{of}/stat") as f:
                of = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
    return False


def mounts_of(*paths):
    """The host's mounts that name one of @paths (other engineers' tests mount too)."""
    with open("/proc/self/mountinfo") as f:
        return [m for m in f if any(str(p) in m for p in paths)]


def test_batch_leaves_no_cgroup_process_or_mount(user, tdir):
    d = writable_dir(tdir)
    seen = (tdir, os.path.dirname(prog()), "/tmp ", "/dev/shm ")
    before = mounts_of(*seen)
    reps, res = batch(tdir, [line(i, "exit", 0) for i in range(6)],
                      ["-j", "2", "--dir", f"{d}=/srv:rw"], user=user)
    assert [r["status"] for r in reps] == ["OK"] * 6, reps
    assert_nothing_left()
    assert mounts_of(*seen) == before
