"""-t/--tty: a new pseudo-terminal inside, relayed to the caller's terminal."""
import os
import re
import termios
import time

from conftest import set_winsize  # noqa: E402


def test_tty_gives_the_command_a_new_pty_with_the_callers_size(pty_start, user):
    s = pty_start(["run", "-t", "--", "sh", "-c", "tty; stty size"], user=user,
                  rows=30, cols=100)
    status, out, _ = s.finish()
    assert status == 0, out
    lines = [line.strip() for line in out.splitlines()]
    assert "/dev/pts/0" in lines, out
    assert "30 100" in lines, out


def test_tty_command_has_it_as_controlling_terminal(pty_start):
    s = pty_start(["run", "--tty", "--", "python3", "-c",
                   "import os; os.close(os.open('/dev/tty', os.O_RDWR)); "
                   "print('fg', os.tcgetpgrp(0) == os.getpgrp())"])
    status, out, _ = s.finish()
    assert status == 0, out
    assert "fg True" in out, out


def test_tty_window_size_changes_reach_the_command(pty_start):
    s = pty_start(["run", "-t", "--", "sh", "-c", "stty size; echo ready; read x; stty size"],
                  rows=30, cols=100)
    s.wait_for("ready")
    set_winsize(s.master, 40, 120)  # the kernel sends cell SIGWINCH
    time.sleep(0.5)
    s.write(b"go\r")
    status, out, _ = s.finish()
    assert status == 0, out
    lines = [line.strip() for line in out.splitlines()]
    assert lines[0] == "30 100", out
    assert "40 120" in lines, out


def test_tty_relays_input_to_the_command(pty_start, user):
    s = pty_start(["run", "-t", "--", "sh", "-c", 'echo ready; read l; echo "got:$l"'],
                  user=user)
    s.wait_for("ready")
    s.write(b"hello\r")
    status, out, _ = s.finish()
    assert status == 0, out
    assert "got:hello" in out, out


def test_tty_passes_the_exit_status(pty_start):
    s = pty_start(["run", "-t", "--", "sh", "-c", "exit 5"])
    status, out, _ = s.finish()
    assert status == 5, out


def test_tty_sets_term_and_only_then(pty_start, run):
    s = pty_start(["run", "-t", "--", "sh", "-c", 'echo "term=$TERM"'],
                  env={"TERM": "xterm-256color"})
    status, out, _ = s.finish()
    assert status == 0, out
    assert re.search(r"term=\S+", out), out
    r = run(["run", "--", "sh", "-c", 'echo "term=$TERM"'], env={"TERM": "xterm-256color"})
    assert r.stdout == "term=\n"


def test_ctrl_c_on_the_tty_interrupts_the_command(pty_start):
    s = pty_start(["run", "-t", "--", "sh", "-c",
                   "trap 'echo interrupted; exit 9' INT; echo ready; "
                   "while :; do sleep 0.1; done"])
    s.wait_for("ready")
    time.sleep(0.1)
    s.write(b"\x03")  # the container's terminal turns ^C into SIGINT
    status, out, _ = s.finish()
    assert "interrupted" in out, out
    assert status == 9, out


def test_callers_terminal_settings_are_restored(pty_start):
    # cell puts the caller's terminal in raw mode while relaying; it must undo that.
    s = pty_start(["run", "-t", "--", "sh", "-c", "echo ready; read x"])
    s.wait_for("ready")
    fd = os.open(s.slave_name, os.O_RDWR | os.O_NOCTTY)
    try:
        during = termios.tcgetattr(fd)[3]
        s.write(b"x\r")
        s.proc.wait(timeout=10)
        after = termios.tcgetattr(fd)[3]
    finally:
        os.close(fd)
    status, out, _ = s.finish()
    assert status == 0, out
    assert not during & termios.ICANON, "cell did not put the caller's terminal in raw mode"
    assert after & termios.ICANON and after & termios.ECHO, "terminal left in raw mode"
