"""The default seccomp filter loaded while the mounts are made (src/lib/run/command_early.c,
issue 11): the process that will run the command is made as soon as its namespaces are final
and loads the filter beside the setup. What the kernel must still show afterwards: the filter
and no_new_privs on the command, one thread, the PID cell reports, cell's death ending the
container, and no process left when the setup fails after the command's process was made."""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import CELL, TIMEOUT, _env, _reset_signals, _user_prefix


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def bundle(tdir, rootfs, args, edit=None):
    d = tdir / "bundle"
    d.mkdir()
    os.symlink(rootfs, d / "rootfs")
    r = subprocess.run([CELL, "spec", "--bundle", str(d)], capture_output=True, text=True,
                       cwd="/", env=_env())
    assert r.returncode == 0, r.stderr
    c = json.loads((d / "config.json").read_text())
    c["process"].update(terminal=False, args=args)
    if edit:
        edit(c)
    (d / "config.json").write_text(json.dumps(c))
    return d


def cell(tdir, *args, **kw):
    return subprocess.run([CELL, "--root", str(tdir / "state"), *args], capture_output=True,
                          text=True, timeout=TIMEOUT, env=_env(), cwd="/",
                          stdin=subprocess.DEVNULL, preexec_fn=_reset_signals, **kw)


def state_pid(tdir, cid):
    r = cell(tdir, "state", cid)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["pid"]


def gone(pid, seconds=5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def processes_with(marker):
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(p))
            except OSError:
                pass
    return found


def test_a_started_bundle_process_is_one_thread_with_the_filter_at_the_reported_pid(
        tdir, rootfs):
    """Without init the command's process is a second thread until its execve, which takes
    over the PID that `cell state` reports: after start one thread, filtered, at that PID."""
    d = bundle(tdir, rootfs, ["sleep", "300"])
    cid = "early-" + uuid.uuid4().hex[:8]
    # the container keeps the stdio create gives it: not a pipe this test waits on
    r = subprocess.run([CELL, "--root", str(tdir / "state"), "create", "--bundle", str(d), cid],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=TIMEOUT, env=_env(), cwd="/",
                       preexec_fn=_reset_signals)
    assert r.returncode == 0
    try:
        pid = state_pid(tdir, cid)
        assert status(pid)["Seccomp"] == "0"  # cell's own setup, not yet the command
        assert cell(tdir, "start", cid).returncode == 0
        deadline = time.monotonic() + 5
        while status(pid)["Name"] != "sleep" and time.monotonic() < deadline:
            time.sleep(0.02)
        st = status(pid)
        assert st["Name"] == "sleep"
        assert (st["Threads"], st["Seccomp"], st["Seccomp_filters"], st["NoNewPrivs"]) == \
            ("1", "2", "1", "1")
        assert os.listdir(f"/proc/{pid}/task") == [str(pid)]
    finally:
        cell(tdir, "kill", cid, "KILL")
        deadline = time.monotonic() + 5
        while cell(tdir, "delete", cid).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.05)


def test_cells_death_ends_a_bundle_container_whose_process_was_made_early(tdir, rootfs):
    """The parent-death signal is per thread: the command's own thread must carry it."""
    d = bundle(tdir, rootfs, ["sleep", "300"])
    cid = "early-" + uuid.uuid4().hex[:8]
    (tdir / "state").mkdir()
    p = subprocess.Popen([CELL, "--root", str(tdir / "state"), "run", "--bundle", str(d), cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=_env(), cwd="/",
                         preexec_fn=_reset_signals)
    try:
        deadline = time.monotonic() + 10
        pid = None
        while time.monotonic() < deadline:
            r = cell(tdir, "state", cid)
            if r.returncode == 0 and json.loads(r.stdout)["status"] == "running":
                pid = json.loads(r.stdout)["pid"]
                if status(pid)["Name"] == "sleep":
                    break
            time.sleep(0.02)
        assert pid and status(pid)["Seccomp"] == "2"
        p.kill()
        p.wait()
        assert gone(pid), "the container outlived cell"
    finally:
        p.kill()
        p.wait()
        cell(tdir, "delete", "--force", cid)


@pytest.mark.parametrize("via", ["run", "bundle"])
def test_a_setup_failure_after_the_early_process_leaves_no_process(tdir, rootfs, via):
    """The mount fails in the child, after the command's process was made and loaded its
    filter: exit 125 naming the mount, and neither process survives."""
    marker = "early-" + uuid.uuid4().hex
    if via == "run":
        argv = [CELL, "run", "--bind", "/etc/hostname", "/etc", "--", "sleep", "300", marker]
        needle = "/etc/hostname"
    else:
        d = bundle(tdir, rootfs, ["sleep", "300"], edit=lambda c: c["mounts"].append(
            {"destination": "/mnt", "type": "bind", "source": "/etc/hostname",
             "options": ["bind"]}))
        (tdir / "state").mkdir()
        argv = [CELL, "--root", str(tdir / "state"), "run", "--bundle", str(d), marker]
        needle = "/mnt"
    r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=_env(),
                       cwd="/", stdin=subprocess.DEVNULL, preexec_fn=_reset_signals)
    assert r.returncode == 125, r.stderr
    assert needle in r.stderr
    time.sleep(0.1)
    assert processes_with(marker) == []

