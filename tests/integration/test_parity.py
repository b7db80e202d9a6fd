"""Runtime parity with crun and runc (issue 17): behaviours Podman users rely on.

Each test checks what the kernel or the container's process sees, not what
cell prints. Names are unique per session (the cgroup cell-ID is host-wide).
"""
import json
import os
import subprocess

import pytest

from conftest import CELL, SANE_PATH, _env, _reset_signals, assert_cell_error
from test_oci import bundle, oci, ok, root  # noqa: F401 (fixtures)

SUFFIX = f"-{os.getpid()}"


# --- process


def _env_without_home(c):
    c["process"]["env"] = [e for e in c["process"]["env"] if not e.startswith("HOME=")]


def test_home_comes_from_the_containers_passwd_when_process_env_lacks_it(root, bundle):
    """runc and crun: HOME from /etc/passwd for process.user; an unknown uid gets /."""
    def edit(c, uid):
        _env_without_home(c)
        c["process"]["user"] = {"uid": uid, "gid": uid}
    for uid, home in ((1234, "/home/alice"), (0, "/root"), (4321, "/")):
        b = bundle(["sh", "-c", 'echo "HOME=$HOME"'], edit=lambda c: edit(c, uid))
        assert ok(oci(root, "run", "--bundle", b, f"home{uid}{SUFFIX}")) == f"HOME={home}\n"
    # one given in process.env wins
    b = bundle(["sh", "-c", 'echo "HOME=$HOME"'],
               edit=lambda c: c["process"]["env"].append("HOME=/tmp"))
    assert ok(oci(root, "run", "--bundle", b, f"homeset{SUFFIX}")) == "HOME=/tmp\n"


def test_exec_gets_home_from_the_containers_passwd(root, bundle):
    b = bundle(["sleep", "30"], edit=_env_without_home)
    cid = f"homex{SUFFIX}"
    ok(oci(root, "run", "-d", "--bundle", b, cid))
    try:
        out = ok(oci(root, "exec", "--user", "1234:1234", cid, "sh", "-c", 'echo "$HOME"'))
        assert out == "/home/alice\n"
        assert ok(oci(root, "exec", "--env", "HOME=/x", cid, "sh", "-c", 'echo "$HOME"')) \
            == "/x\n"
    finally:
        ok(oci(root, "delete", "--force", cid))


def test_a_non_root_process_can_reopen_its_stdout_pipe(root, bundle):
    """runc's fixStdioPermissions: the stdio pipes become process.user's, so
    `echo > /proc/self/fd/1` (what writing to /dev/stdout does) works as uid 1234."""
    b = bundle(["sh", "-c", "echo out > /proc/self/fd/1 && echo err > /proc/self/fd/2 && "
                "stat -L -c %u /proc/self/fd/1"],
               edit=lambda c: c["process"].update(user={"uid": 1234, "gid": 1234}))
    res = subprocess.run([CELL, "--root", str(root), "run", "--bundle", str(b),
                          f"stdio{SUFFIX}"], stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, env=_env(), cwd="/", timeout=30,
                         preexec_fn=_reset_signals)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "out\n1234\n" and res.stderr == "err\n"


def test_a_missing_cwd_is_made_for_the_process_user(root, bundle, rootfs):
    """runc and crun make process.cwd (0755, owned by the process user) inside the root."""
    b = bundle(["sh", "-c", "pwd; stat -c '%a %u:%g' /srv/new/deep /srv/new"],
               edit=lambda c: c["process"].update(cwd="/srv/new/deep",
                                                  user={"uid": 1234, "gid": 1234}))
    out = ok(oci(root, "run", "--bundle", b, f"cwd{SUFFIX}"))
    assert out == "/srv/new/deep\n755 1234:1234\n755 1234:1234\n"


def test_a_cwd_through_a_symlink_is_made_inside_the_root(root, bundle, rootfs, tdir):
    """A symlink on the way to process.cwd resolves inside the container's root:
    a link to an absolute host path makes the directory under the rootfs, never
    on the host."""
    outside = tdir / "outside"
    outside.mkdir()
    inside = rootfs / str(outside).lstrip("/")
    inside.mkdir(parents=True)
    os.symlink(str(outside), rootfs / "escape")
    b = bundle(["pwd"], edit=lambda c: c["process"].update(cwd="/escape/made"))
    # getcwd inside: the link resolved in the root
    assert ok(oci(root, "run", "--bundle", b, f"cwdlink{SUFFIX}")) == f"{outside}/made\n"
    assert not (outside / "made").exists()
    assert (inside / "made").is_dir()


@pytest.mark.parametrize("key,field", [("kernel.hostname", "hostname"),
                                       ("kernel.domainname", "domainname")])
def test_uts_sysctls_are_refused_with_the_field_that_owns_them(root, bundle, key, field):
    """runc and crun: the hostname/domainname fields own these in the uts namespace."""
    b = bundle(["cat", "/proc/sys/kernel/hostname"],
               edit=lambda c: c["linux"].update(sysctl={key: "fromsysctl"}))
    res = oci(root, "run", "--bundle", b, f"uts{field}{SUFFIX}")
    assert_cell_error(res, 125, key, f'"{field}"')
    assert "fromsysctl" not in res.stdout


def _cap_sets(text):
    return {k: int(v, 16) for k, v in (ln.split(":\t") for ln in text.splitlines()
                                      if ln.startswith("Cap"))}


def test_exec_cap_adds_to_effective_permitted_and_bounding_only(root, bundle):
    """runc exec --cap: not to the inheritable or ambient sets."""
    b = bundle(["sleep", "30"])
    cid = f"cap{SUFFIX}"
    ok(oci(root, "run", "-d", "--bundle", b, cid))
    try:
        caps = _cap_sets(ok(oci(root, "exec", "--cap", "CAP_SYS_ADMIN", cid,
                                "grep", "^Cap", "/proc/self/status")))
        bit = 1 << 21  # CAP_SYS_ADMIN
        assert caps["CapEff"] & bit and caps["CapPrm"] & bit and caps["CapBnd"] & bit
        assert not caps["CapInh"] & bit and not caps["CapAmb"] & bit
    finally:
        ok(oci(root, "delete", "--force", cid))
