"""The command line: help, exit statuses, error lines, arguments, stdio, environment, cwd."""
import os
import pwd
import re
import subprocess
import tempfile

import pytest

from conftest import CELL, TIMEOUT, _env, _reset_signals, _user_prefix

SANE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_help_exits_zero_and_names_the_run_command(run):
    r = run(["--help"])
    assert r.returncode == 0, r.stderr
    assert "run" in r.stdout


def test_run_help_documents_the_flags(run):
    r = run(["run", "--help"])
    assert r.returncode == 0, r.stderr
    for flag in ("--rootfs", "--memory", "--uidmap", "--no-init", "--tty", "--bind", "--user"):
        assert flag in r.stdout, f"{flag} missing from `cell run --help`"


def test_version_prints_a_version_number(run):
    r = run(["--version"])
    assert r.returncode == 0, r.stderr
    assert re.search(r"\d+\.\d+", r.stdout), r.stdout


@pytest.mark.parametrize("code", [0, 3, 42])
def test_exit_status_is_the_commands_own(sh, user, code):
    r = sh(f"exit {code}", user=user)
    assert r.returncode == code, r.stderr


@pytest.mark.parametrize("sig,status", [("KILL", 137), ("TERM", 143), ("SEGV", 139)])
def test_command_killed_by_signal_exits_128_plus_signal(sh, user, sig, status):
    r = sh(f"kill -{sig} $$", user=user)
    assert r.returncode == status, r.stderr


def test_missing_command_exits_127_with_one_error_line(run, cell_error, user):
    r = run(["run", "--", "/no/such/command"], user=user)
    cell_error(r, 127, "/no/such/command")


def test_command_not_on_path_exits_127(run, cell_error):
    r = run(["run", "--", "no-such-command-xyz"])
    cell_error(r, 127, "no-such-command-xyz")


def test_non_executable_file_exits_126(run, cell_error, user):
    r = run(["run", "--", "/etc/passwd"], user=user)
    cell_error(r, 126, "/etc/passwd")


def test_directory_as_command_exits_126(run, cell_error):
    r = run(["run", "--", "/usr"])
    cell_error(r, 126, "/usr")


def test_unknown_flag_exits_125_naming_the_flag(run, cell_error):
    r = run(["run", "--bogus-flag", "--", "true"])
    cell_error(r, 125, "--bogus-flag")


def test_flag_without_its_value_exits_125(run, cell_error):
    r = run(["run", "--hostname"])
    cell_error(r, 125, "--hostname")


def test_run_without_command_exits_125(run, cell_error):
    r = run(["run"])
    cell_error(r, 125)


def test_unknown_subcommand_is_one_error_line(run, cell_error):
    cell_error(run(["frobnicate"]), 125, "unknown command 'frobnicate'")


def test_invalid_size_exits_125_quoting_it(run, cell_error):
    r = run(["run", "--memory", "12Q", "--", "true"])
    cell_error(r, 125, "invalid size '12Q'")


def test_missing_rootfs_exits_125_naming_the_path(run, cell_error):
    r = run(["run", "--rootfs", "/no/such/rootfs", "--", "true"])
    cell_error(r, 125, "/no/such/rootfs")


def test_missing_bind_source_exits_125_naming_the_path(run, cell_error, user):
    r = run(["run", "--bind", "/no/such/source", "/mnt", "--", "true"], user=user)
    cell_error(r, 125, "/no/such/source")


def test_missing_workdir_exits_125_naming_the_path(run, cell_error, user):
    r = run(["run", "-w", "/no/such/dir", "--", "true"], user=user)
    cell_error(r, 125, "/no/such/dir")


def test_double_dash_passes_option_like_words_to_the_command(run):
    r = run(["run", "--", "echo", "--hostname", "x", "--", "-t"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "--hostname x -- -t\n"


def test_arguments_reach_the_command_verbatim(run):
    args = ["a b", "", 'c"d', "$HOME", "*", "x\ty"]
    r = run(["run", "--", "printf", "%s|", *args])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "|".join(args) + "|"


def test_stdin_stdout_stderr_are_passed_through(run, user):
    r = run(["run", "--", "sh", "-c", 'read l; echo "out:$l"; echo "err:$l" >&2'],
            user=user, input="hello\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "out:hello\n"
    assert r.stderr == "err:hello\n"


def test_environment_is_clean(run, user):
    r = run(["run", "--", "/usr/bin/env"], user=user, env={"FOO": "bar", "TERM": "xterm"})
    assert r.returncode == 0, r.stderr
    env = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert set(env) == {"PATH", "HOME", "HOSTNAME"}, env
    assert env["PATH"] == SANE_PATH
    assert env["HOME"] == "/root"
    assert env["HOSTNAME"] == "cell"


def test_env_flag_sets_and_copies_variables(run):
    r = run(["run", "-e", "A=1", "--env", "B=x y", "-e", "FOO", "-e", "PATH=/bin",
             "--", "/usr/bin/env"], env={"FOO": "from-caller"})
    assert r.returncode == 0, r.stderr
    env = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert env["A"] == "1"
    assert env["B"] == "x y"
    assert env["FOO"] == "from-caller"
    assert env["PATH"] == "/bin"


def test_cwd_is_the_callers_when_it_exists_inside(run, tdir, user):
    # tdir lies in /var/tmp, which the container hides behind a tmpfs: bind it back.
    r = run(["run", "--bind", str(tdir), str(tdir), "--", "pwd", "-P"], user=user, cwd=tdir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tdir)
    r = run(["run", "--", "pwd", "-P"], user=user, cwd="/usr/bin")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/usr/bin"


def test_cwd_falls_back_to_root_when_missing_inside(run):
    # The host's /tmp is hidden behind the container's own empty /tmp.
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        r = run(["run", "--", "pwd", "-P"], cwd=d)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/"


def test_workdir_flag_sets_the_cwd(run, user):
    r = run(["run", "-w", "/usr/share", "--", "pwd", "-P"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/usr/share"


def test_name_flag_names_the_containers_cgroup(start):
    # The name is the container's id; the host sees it in the cgroup's name.
    name = f"itest-box-{os.getpid()}"  # unique: another test session may run at once
    c = start(["run", "--name", name, "--pids-limit", "50", "--",
               "sh", "-c", "echo ready; read x; exit 0"])
    c.wait_for("ready")
    assert os.path.isdir(f"/sys/fs/cgroup/pids/cell-{name}")
    with open(f"/sys/fs/cgroup/pids/cell-{name}/pids.max") as f:
        assert f.read().strip() == "50"
    status, _, err = c.finish()
    assert status == 0, err
    assert not os.path.exists(f"/sys/fs/cgroup/pids/cell-{name}")


def test_cell_prints_nothing_of_its_own_on_success(run):
    r = run(["run", "--", "true"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_two_containers_can_run_at_the_same_time(start):
    a = start(["run", "--", "sh", "-c", "echo ready; read x; echo a-done"])
    b = start(["run", "--", "sh", "-c", "echo ready; read x; echo b-done"])
    a.wait_for("ready")
    b.wait_for("ready")
    assert a.finish()[:2] == (0, "ready\na-done\n")
    assert b.finish()[:2] == (0, "ready\nb-done\n")



def test_run_preserve_fds_passes_the_callers_fds_on_and_no_other(tdir, user):
    """--preserve-fds N hands fds 3..3+N-1 over as they are: a hole stays a hole
    (none of cell's own fds lands there), and fd 3+N does not cross."""
    data = tdir / "data"
    data.write_text("through fd 3\n")  # opened by the caller: cell's user needs no access
    script = ('for fd in 3 4 5 6; do [ -e /proc/self/fd/$fd ] && echo "fd $fd"; done; '
              'cat <&3')
    res = subprocess.run(
        ["sh", "-c", 'exec 3<"$1" 5<"$1" 6<"$1"; shift; exec "$@"', "sh", str(data),
         *_user_prefix(user), CELL, "run", "--preserve-fds", "3", "--", "sh", "-c", script],
        capture_output=True, text=True, env=_env(), cwd="/", preexec_fn=_reset_signals,
        stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "fd 3\nfd 5\nthrough fd 3\n"


@pytest.mark.parametrize("flag", ["--detach", "--keep"])
def test_run_detach_or_keep_from_flags_needs_a_name(run, flag):
    r = run(["run", flag, "--", "true"])
    assert r.returncode == 125, r
    assert f"{flag} from flags needs --name NAME" in r.stderr, r.stderr


def test_run_pid_file_from_flags_names_the_containers_pid_1(start, tdir, user):
    """runc's --pid-file on a run from flags: the container's first process, as
    for a bundle (it used to be taken and ignored)."""
    env = None
    if user:
        xdg = tdir / "xdg"
        xdg.mkdir()
        os.chown(xdg, pwd.getpwnam(user).pw_uid, -1)
        env = {"XDG_RUNTIME_DIR": str(xdg)}
    os.chmod(tdir, 0o777)
    pid_file = tdir / "pid"
    c = start(["run", "--pid-file", str(pid_file), "--", "sh", "-c", "echo ready; read x; exit 0"],
              user=user, env=env)
    c.wait_for("ready")
    try:
        pid = int(pid_file.read_text())
        with open(f"/proc/{pid}/status") as f:
            nspid = [ln.split()[1:] for ln in f if ln.startswith("NSpid:")][0]
        assert nspid[-1] == "1" and len(nspid) == 2, nspid  # PID 1 of the container
    finally:
        status, _, err = c.finish()
    assert status == 0, err


def test_cgroup_manager_disabled_makes_no_cgroup_for_a_run_from_flags(run):
    # --memory would make one: disabled, none is made (and the limit not applied, as runc)
    r = run(["--cgroup-manager", "disabled", "run", "--share-cgroup", "--memory", "64m", "--",
             "cat", "/proc/self/cgroup"])
    assert r.returncode == 0, r.stderr
    assert "cell" not in r.stdout, r.stdout  # no cgroup of cell's making, in any hierarchy


def test_judge_refuses_cgroup_manager_disabled(run):
    r = run(["--cgroup-manager", "disabled", "judge", "--", "true"])
    assert r.returncode == 125
    assert "judge: --cgroup-manager disabled" in r.stderr, r.stderr


def test_run_detach_with_a_name_but_no_state_directory_is_refused(run):
    r = run(["--rootless", "true", "run", "-d", "--name", "nd1", "--", "true"],
            env={"XDG_RUNTIME_DIR": ""})
    assert r.returncode == 125, r
    assert "--detach from flags needs a state directory" in r.stderr, r.stderr


def test_run_errors_reach_the_log_file_too(run, tdir):
    """--log takes a run's errors as every other command's (run printed them alone)."""
    log = tdir / "cell.log"
    for args in (["run", "--no-such-flag", "--", "true"], ["run", "--", "/no/such/program"]):
        r = run(["--log", str(log), *args])
        assert r.returncode in (125, 127), r
    lines = log.read_text().splitlines()
    assert len(lines) == 2, lines
    assert "no-such-flag" in lines[0] and "/no/such/program" in lines[1], lines


def test_judge_gc_and_command_errors_reach_the_log_file_too(run, tdir):
    """--log takes the errors of judge, gc and an unknown command (they printed them alone)."""
    log = tdir / "cell.log"
    cases = (["judge", "--no-such-flag", "--", "true"], ["gc", "extra"], ["frobnicate"],
             ["judge", "--report", str(tdir / "no" / "dir" / "r.json"), "--", "true"])
    for args in cases:
        r = run(["--log", str(log), *args])
        assert r.returncode == 125, r
    lines = log.read_text().splitlines()
    assert len(lines) == 4, lines
    assert "judge: " in lines[0] and "no-such-flag" in lines[0], lines
    assert "gc takes no arguments" in lines[1] and "frobnicate" in lines[2], lines
    assert "judge: --report" in lines[3] and "No such file" in lines[3], lines


def test_a_log_file_that_cannot_be_opened_is_said(run, tdir):
    r = run(["--log", str(tdir / "no" / "dir" / "cell.log"), "frobnicate"])
    assert r.returncode == 125
    assert "warning: --log " in r.stderr and "No such file" in r.stderr, r.stderr
