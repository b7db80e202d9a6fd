"""
Escapes from a container (issue 18 items 2 and 8, issue 11: the default seccomp profile), each tried from inside and checked where the kernel
shows the result: the errno a syscall returns, /proc/self/status, a host file
left unchanged. Each runs as root and as nobody (rootless).
"""
import json
import os
import platform
import subprocess

import pytest

from conftest import CELL, TIMEOUT, _env, _user_prefix


# --- issue 18 item 8 / item 2 / issue 11 seccomp: the default profile ---------------------

X86_64 = platform.machine() == "x86_64"
EPERM, ENOSPC, ENOSYS = 1, 28, 38

# The x86_64 numbers of the calls the default profile must refuse, with
# arguments under which each would succeed (or fail with another errno than
# EPERM) when nothing filters it: the contrast the tests check first.
PROBES = {
    # io_uring_setup(1, NULL): EFAULT unfiltered
    "io_uring_setup": (425, [1, 0]),
    # userfaultfd(O_CLOEXEC | UFFD_USER_MODE_ONLY): allowed unprivileged since 5.11
    "userfaultfd": (323, [0o2000000 | 1]),
    # keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
    "keyctl": (250, [0, -3 & 0xffffffff, 0]),
    # perf_event_open(NULL, -1, -1, -1, 0): EFAULT unfiltered
    "perf_event_open": (298, [0, 0, -1 & 0xffffffffffffffff, -1 & 0xffffffffffffffff, 0]),
    # mount("none", "/tmp", "tmpfs", 0, NULL)
    "mount": (165, None),
    # bpf(BPF_PROG_LOAD, NULL, 0): EFAULT/EINVAL unfiltered
    "bpf": (321, [5, 0, 0]),
    # unshare(CLONE_NEWUSER), last: the probes after it would run in the new namespace
    "unshare_user": (272, [0x10000000]),
}

PROBE = r"""
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
probes = json.loads(sys.argv[1])
out = {}
for name, (nr, args) in probes.items():
    if args is None:  # mount: string arguments
        args = [ctypes.c_char_p(b"none"), ctypes.c_char_p(b"/tmp"), ctypes.c_char_p(b"tmpfs"),
                ctypes.c_ulong(0), ctypes.c_void_p(0)]
    else:
        args = [ctypes.c_ulong(a) for a in args]
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *args)
    out[name] = ctypes.get_errno() if r < 0 else 0
status = open("/proc/self/status").read()
out["Seccomp"] = int(status.split("Seccomp:")[1].split()[0])
print(json.dumps(out))
"""


def probe(run, *flags, user=None):
    r = run(["run", *flags, "--", "python3", "-c", PROBE, json.dumps(PROBES)], user=user)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture
def x86_64():
    if not X86_64:
        pytest.skip("the probes use x86_64 syscall numbers")


def test_default_run_is_filtered_and_unconfined_is_not(run, user):
    inside = run(["run", "--", "grep", "^Seccomp:", "/proc/self/status"], user=user)
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout.split() == ["Seccomp:", "2"]
    inside = run(["run", "--seccomp", "unconfined", "--", "grep", "^Seccomp:",
                  "/proc/self/status"], user=user)
    assert inside.stdout.split() == ["Seccomp:", "0"]


def test_default_profile_refuses_kernel_attack_surface_with_eperm(run, user, x86_64):
    filtered = probe(run, user=user)
    open_ = probe(run, "--seccomp", "unconfined", user=user)
    assert filtered["Seccomp"] == 2 and open_["Seccomp"] == 0
    for name in PROBES:
        assert filtered[name] == EPERM, (name, filtered, open_)
    # Unfiltered, the kernel itself lets these through (or fails them for
    # another reason): the EPERM above is the filter's.
    # (bpf is EPERM either way: unprivileged_bpf_disabled)
    for name in ("io_uring_setup", "userfaultfd", "keyctl", "perf_event_open"):
        assert open_[name] != EPERM, (name, open_)
    if user == "nobody":  # root in its own user namespace: mount works there; a nested
        # user namespace is refused by max_user_namespaces (the mount lock's), not EPERM
        assert open_["mount"] == 0 and open_["unshare_user"] == ENOSPC, open_


def test_clone3_is_enosys_so_glibc_falls_back_to_clone(run, user, x86_64):
    script = ("import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
              "r = libc.syscall(435, 0, 0); print(ctypes.get_errno() if r < 0 else 0)")
    r = run(["run", "--", "python3", "-c", script], user=user)
    assert r.returncode == 0 and r.stdout.split() == [str(ENOSYS)], r
    # and fork (clone without namespace flags) works: a shell pipeline
    r = run(["run", "--", "sh", "-c", "echo a | cat"], user=user)
    assert r.returncode == 0 and r.stdout == "a\n", r


def test_syscalls_newer_than_the_profile_fail_with_enosys(run, user, x86_64):
    # 1000: no syscall has it yet; a deny-by-default filter must say ENOSYS, not EPERM
    script = ("import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
              "r = libc.syscall(1000, 0); print(ctypes.get_errno())")
    script += "; print(open('/proc/self/status').read().split('Seccomp:')[1].split()[0])"
    r = run(["run", "--", "python3", "-c", script], user=user)
    assert r.returncode == 0 and r.stdout.split() == [str(ENOSYS), "2"], r


def test_namespace_and_mount_tools_fail_inside_a_default_run(run, user):
    r = run(["run", "--", "sh", "-c",
             "unshare -Urm true; echo unshare=$?; mount -t tmpfs none /tmp; echo mount=$?"],
            user=user)
    assert r.returncode == 0, r.stderr
    assert "unshare=1" in r.stdout and "mount=" in r.stdout and "mount=0" not in r.stdout, r


# The v1 limits attack of issue 18 item 2: unshare(USER|NS|CGROUP), mount the
# memory hierarchy in the new user namespace, lift the container's own limit.
LIMITS_ATTACK = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWCGROUP = 0x10000000, 0x20000, 0x02000000
r = libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP)
print("unshare", ctypes.get_errno() if r < 0 else 0, flush=True)
if r == 0:
    os.makedirs("/tmp/m", exist_ok=True)
    r = libc.mount(b"cgroup", b"/tmp/m", b"cgroup", 0, b"memory")
    print("mount", ctypes.get_errno() if r < 0 else 0, flush=True)
    try:
        with open("/tmp/m/memory.limit_in_bytes", "w") as f:
            f.write("-1")
        print("lifted", flush=True)
    except OSError as e:
        print("write", e.errno, flush=True)
print("done", flush=True)
sys.stdin.read()
"""


def test_v1_memory_limit_cannot_be_lifted_from_a_new_user_namespace(start, tdir):
    name = f"escape-v1mem-{os.getpid()}"  # unique: another test session may run at once
    limit_file = f"/sys/fs/cgroup/memory/cell-{name}/memory.limit_in_bytes"
    if not os.path.isdir("/sys/fs/cgroup/memory"):
        pytest.skip("no v1 memory hierarchy")
    c = start(["run", "--name", name, "--memory", "64m", "--",
               "python3", "-c", LIMITS_ATTACK])
    c.wait_for("done")
    with open(limit_file) as f:
        limit = int(f.read())
    status, out, err = c.finish()
    assert status == 0, err
    assert limit == 64 << 20, out  # the host's file: not lifted
    assert "unshare 1" in out, out  # stopped at the unshare, with EPERM


# --- issue 11 seccomp: bundles and profile files ------------------------------------------


def spec_bundle(tdir, user, *flags):
    """`cell spec FLAGS` into tdir/b as @user; the parsed config.json."""
    b = tdir / "b"
    b.mkdir()
    os.chmod(tdir, 0o755)
    os.chmod(b, 0o777)
    r = subprocess.run(_user_prefix(user) + [CELL, "spec", "--bundle", str(b), *flags],
                       capture_output=True, text=True, timeout=TIMEOUT, env=_env(), cwd="/")
    assert r.returncode == 0, r.stderr
    with open(b / "config.json") as f:
        return json.load(f)


def test_cell_spec_bundle_carries_the_profile_and_runs_filtered(run, tdir, user, x86_64):
    spec = spec_bundle(tdir, user, "--", "python3", "-c", PROBE, json.dumps(PROBES))
    seccomp = spec["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ERRNO"
    names = {n for rule in seccomp["syscalls"] for n in rule["names"]}
    assert "read" in names and "io_uring_setup" not in names and "keyctl" not in names
    assert spec["ociVersion"] == "1.0.2"
    state = tdir / "state"
    state.mkdir()
    os.chmod(state, 0o777)
    r = run(["--root", str(state), "run", "--bundle", str(tdir / "b"), "escape-bundle"],
            user=user)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["Seccomp"] == 2
    for name in PROBES:
        assert out[name] == EPERM, (name, out)


def test_runc_default_spec_carries_the_profile(tdir):
    spec = spec_bundle(tdir, None)
    names = {n for rule in spec["linux"]["seccomp"]["syscalls"] for n in rule["names"]}
    assert "execve" in names and "mount" not in names and "chroot" not in names


DOCKER_PROFILE = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18,
         "comment": "EXDEV, to tell it from the default"},
        {"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30,
         "includes": {"caps": ["CAP_SYS_CHROOT"]}},
        {"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
         "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
    ],
}


def test_docker_format_profile_file_loads_with_caps_resolved(run, tdir, user):
    profile = dict(DOCKER_PROFILE, defaultAction="SCMP_ACT_ALLOW")
    del profile["defaultErrnoRet"]
    path = tdir / "profile.json"
    path.write_text(json.dumps(profile))
    os.chmod(tdir, 0o755)
    os.chmod(path, 0o644)
    script = ("import os\nfor f, a in ((os.mkdir, '/tmp/x'), (os.chroot, '/')):\n"
              " try: f(a); print(0)\n except OSError as e: print(e.errno)\n"
              "print(open('/proc/self/status').read().split('Seccomp:')[1].split()[0])")
    r = run(["run", "--seccomp", str(path), "--", "python3", "-c", script], user=user)
    assert r.returncode == 0, r.stderr
    # root: docker's default set has CAP_SYS_CHROOT; rootless resolves the same set
    assert r.stdout.split() == ["18", "30", "2"], r.stdout
    r = run(["run", "--cap-drop", "SYS_CHROOT", "--seccomp", str(path), "--",
             "python3", "-c", script], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["18", "22", "2"], r.stdout


def test_bad_profile_file_is_refused_naming_it(run, tdir):
    path = tdir / "bad.json"
    path.write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], '
                    '"action": "SCMP_ACT_ALLOW", "includes": {"caps": "CAP_KILL"}}]}')
    r = run(["run", "--seccomp", str(path), "--", "true"])
    assert r.returncode == 125
    assert f"{path}: syscalls[0].includes.caps" in r.stderr, r.stderr
