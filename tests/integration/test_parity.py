"""Runtime parity with crun and runc (issue 17): behaviours Podman users rely on.

Each test checks what the kernel or the container's process sees, not what
cell prints. Names are unique per session (the cgroup cell-ID is host-wide).
"""
import json
import os
import subprocess

import pytest

from conftest import CELL, _env, _reset_signals, _user_prefix, assert_cell_error
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


@pytest.mark.rootless
@pytest.mark.celltest
def test_rootless_stdio_pipe_made_by_the_caller_is_given_to_the_process_user():
    """Rootless (--subids: the caller is root inside, 1000 a subordinate id): the
    pipe the caller made is owned by an id the user namespace maps, so it goes to
    uid 1000, which can then reopen it; a pipe of an unmapped owner stays as it is
    without failing the start."""
    script = (f"{CELL} run --subids --user 1000:1000 -- sh -c "
              "'echo out > /proc/self/fd/1 && stat -L -c %u /proc/self/fd/1' | cat")
    res = subprocess.run(_user_prefix("celltest") + ["sh", "-c", script],
                         capture_output=True, text=True, env=_env(), cwd="/", timeout=30,
                         preexec_fn=_reset_signals)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "out\n1000\n", res.stderr
    # stdout: pytest's pipe (host root's, unmapped there): not changed, no failure
    res = subprocess.run(_user_prefix("celltest") + [CELL, "run", "--subids", "--user",
                                                     "1000:1000", "--", "echo", "ran"],
                         capture_output=True, text=True, env=_env(), cwd="/", timeout=30,
                         preexec_fn=_reset_signals)
    assert res.returncode == 0 and res.stdout == "ran\n", res.stderr


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


# linux.memoryPolicy: the policy as get_mempolicy(2) reports it from inside.
GET_MEMPOLICY = """
import ctypes, platform
nr = {"x86_64": 239, "aarch64": 236}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
mode, mask = ctypes.c_int(), (ctypes.c_ulong * 16)()
if libc.syscall(nr, ctypes.byref(mode), mask, ctypes.c_ulong(1024), ctypes.c_ulong(0),
                ctypes.c_ulong(0)) < 0:
    raise OSError(ctypes.get_errno(), "get_mempolicy")
print(mode.value & 0xff, mode.value >> 13, mask[0])
"""
MPOL = {"MPOL_DEFAULT": 0, "MPOL_PREFERRED": 1, "MPOL_BIND": 2}


def _with_host_python(rootfs, c):
    """The host's /usr (python3) read-only in the busybox rootfs; no seccomp
    profile (Docker's allows get_mempolicy only with CAP_SYS_NICE)."""
    (rootfs / "usr").mkdir(exist_ok=True)
    for lib in ("lib", "lib64"):
        if os.path.exists(f"/usr/{lib}") and not os.path.lexists(rootfs / lib):
            os.symlink(f"usr/{lib}", rootfs / lib)
    c["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                        "options": ["rbind", "ro"]})
    c["linux"].pop("seccomp", None)
    c["process"]["args"] = ["/usr/bin/python3", "-c", GET_MEMPOLICY]


def _node0_online():
    try:
        with open("/sys/devices/system/node/online") as f:
            return int(f.read().split(",")[0].split("-")[0]) == 0
    except FileNotFoundError:
        return True  # no NUMA in this kernel: node 0 only


@pytest.mark.parametrize("policy,want", [
    ({"mode": "MPOL_BIND", "nodes": "0"}, (MPOL["MPOL_BIND"], 0, 1)),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]},
     (MPOL["MPOL_BIND"], 4, 1)),
    ({"mode": "MPOL_PREFERRED", "nodes": "0"}, (MPOL["MPOL_PREFERRED"], 0, 1)),
])
def test_memory_policy_is_the_processs_policy_inside(root, bundle, rootfs, policy, want):
    """runtime-spec 1.3 linux.memoryPolicy: set_mempolicy(2) for the container's process."""
    if not os.path.exists("/usr/bin/python3") or not _node0_online():
        pytest.skip("needs the host's python3 and NUMA node 0 online")

    def edit(c):
        _with_host_python(rootfs, c)
        c["linux"]["memoryPolicy"] = policy
    b = bundle([], edit=edit)
    out = ok(oci(root, "run", "--bundle", b, f"mpol{want[0]}{want[1]}{SUFFIX}"))
    assert tuple(int(x) for x in out.split()) == want


@pytest.mark.parametrize("policy,needles", [
    ({"mode": "MPOL_BIND", "nodes": "7"}, ("linux.memoryPolicy.nodes", "7")),
    ({"mode": "MPOL_BIND"}, ("linux.memoryPolicy.nodes",)),
    ({"mode": "MPOL_LOCAL", "nodes": "0"}, ("linux.memoryPolicy.nodes",)),
    ({"mode": "MPOL_NOPE"}, ("linux.memoryPolicy.mode", "MPOL_NOPE")),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NOPE"]},
     ("linux.memoryPolicy.flags", "MPOL_F_NOPE")),
    ({"mode": "MPOL_BIND", "nodes": "0",
      "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]},
     ("linux.memoryPolicy.flags",)),
])
def test_a_bad_memory_policy_is_refused_naming_the_field(root, bundle, policy, needles):
    if os.path.exists("/sys/devices/system/node/node7"):
        pytest.skip("this host has a NUMA node 7")
    b = bundle(["true"], edit=lambda c: c["linux"].update(memoryPolicy=policy))
    assert_cell_error(oci(root, "run", "--bundle", b, f"mpolbad{SUFFIX}"), 125, *needles)


def test_features_list_the_memory_policy_modes_and_flags():
    out = subprocess.run([CELL, "features"], capture_output=True, text=True, check=True).stdout
    mp = json.loads(out)["linux"]["memoryPolicy"]
    assert {"MPOL_DEFAULT", "MPOL_BIND", "MPOL_PREFERRED", "MPOL_INTERLEAVE",
            "MPOL_LOCAL"} <= set(mp["modes"])
    assert "MPOL_F_STATIC_NODES" in mp["flags"]
