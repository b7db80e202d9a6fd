"""bubblewrap's --symlink TARGET LINK on `cell run` (issue 19, item 10).

What the kernel shows: readlink(2) inside gives TARGET exactly, the link is
followed, and neither the host's root nor a --rootfs DIR gets the link (or
anything else) written; the roots stay read-only where they were.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import TIMEOUT, _env
from test_oci import oci, root, wait_status  # noqa: F401 (root: a fixture)


def _tree(path):
    """Every entry under @path with what a write would change: type, mode, size, mtime, link."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [".", *dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            seen[os.path.relpath(p, path)] = (
                st.st_mode, st.st_size, st.st_mtime_ns,
                os.readlink(p) if os.path.islink(p) else None)
    return seen


def test_link_in_a_missing_dir_of_the_host_root_is_read_and_followed(sh, user, missing):
    with open("/etc/hostname") as f:
        hostname = f.read()
    opt_before = sorted(os.listdir("/opt"))
    link = f"{missing}/new/h"
    r = sh(f"readlink {link}; cat {link}; ls {missing}/new; "
           f"touch {missing}/new/y 2>&1; touch /opt/y 2>&1; touch /etc/cell-sym 2>&1; true",
           "--symlink", "/etc/hostname", link, user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "/etc/hostname"
    assert lines[1] + "\n" == hostname
    assert lines[2] == "h"
    # next to the link, in /opt, and elsewhere on the root: still read-only
    assert len(lines) == 6 and all("Read-only file system" in x for x in lines[3:]), lines
    assert sorted(os.listdir("/opt")) == opt_before
    assert not os.path.lexists("/etc/cell-sym")


def test_target_is_stored_as_given_not_resolved(sh, user, missing):
    target = "../does/./not//exist/"
    r = sh(f"readlink {missing}/l; test -e {missing}/l || echo dangling",
           "--symlink", target, f"{missing}/l", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{target}\ndangling\n"


def test_links_follow_the_command_line_order_with_tmpfs(sh, user):
    x = f"/cell-symlink-x-{os.getpid()}"
    # after the tmpfs: made in it
    r = sh(f"readlink {x}/b; grep -c ' {x} ' /proc/self/mountinfo",
           "--tmpfs", x, "--symlink", "a", f"{x}/b", user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["a", "1"]
    # before it: the tmpfs, mounted after, covers it (bwrap's order)
    r = sh(f"ls -A {x}; test -L {x}/b || echo covered",
           "--symlink", "a", f"{x}/b", "--tmpfs", x, user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "covered\n"
    assert not os.path.lexists(x)


def test_existing_link_path_fails_naming_it_unless_it_is_the_same_symlink(run, user):
    r = run(["run", "--symlink", "foo", "/etc", "--", "true"], user=user)
    assert r.returncode == 125
    assert "/etc" in r.stderr and "File exists" in r.stderr, r.stderr
    if not os.path.islink("/lib"):
        pytest.skip("/lib is no symlink on this host")
    same = os.readlink("/lib")
    r = run(["run", "--symlink", same, "/lib", "--", "readlink", "/lib"], user=user)
    assert r.returncode == 0, r.stderr
    assert r.stdout == same + "\n"
    r = run(["run", "--symlink", same + "/", "/lib", "--", "true"], user=user)
    assert r.returncode == 125 and "/lib" in r.stderr, r.stderr


@pytest.mark.parametrize("target, link, says", [
    ("", "/x", "TARGET is empty"),
    ("a", "", "LINK is empty"),
    ("a", "/", "LINK is the root"),
    ("a", "//", "LINK is the root"),
    ("a", "rel", "absolute"),
])
def test_bad_arguments_fail_naming_the_flag(run, target, link, says):
    r = run(["run", "--symlink", target, link, "--", "true"])
    assert r.returncode == 125
    assert "--symlink" in r.stderr and says in r.stderr, r.stderr


def test_one_argument_fails_naming_both(run):
    r = run(["run", "--symlink", "a"])
    assert r.returncode == 125 and "--symlink" in r.stderr and "TARGET LINK" in r.stderr


def _with_usr(rootfs):
    (rootfs / "usr" / "lib").mkdir(parents=True)
    (rootfs / "usr" / "lib" / "f").write_text("in usr/lib\n")
    os.chmod(rootfs / "usr", 0o755)
    os.chmod(rootfs / "usr" / "lib", 0o755)
    return rootfs


@pytest.mark.parametrize("read_only", [False, True], ids=["rw", "ro"])
def test_rootfs_dir_gets_the_links_and_is_not_written(run, user, rootfs, read_only):
    rootfs = _with_usr(rootfs)
    before = _tree(rootfs)
    # what the container itself writes goes to DIR as ever: only the read-only one tries
    script = ("readlink /lib64; cat /lib64/f; readlink /usr/lib/sub/g; cat /usr/lib/sub/g; "
              "ls /" + ("; touch /etc/new 2>&1; true" if read_only else ""))
    r = run(["run", "--rootfs", rootfs, *(["--read-only"] if read_only else []),
             "--symlink", "usr/lib", "/lib64", "--symlink", "../f", "/usr/lib/sub/g",
             "--", "sh", "-c", script], user=user)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["usr/lib", "in usr/lib", "../f", "in usr/lib"]
    # the root's own entries are all still there, next to the link
    assert sorted(lines[4:-1] if read_only else lines[4:]) == \
        sorted(["lib64", *(e for e in os.listdir(rootfs))])
    if read_only:
        assert "Read-only file system" in lines[-1], lines
    assert _tree(rootfs) == before


def test_rootfs_dir_existing_link_path_fails_naming_it(run, user, rootfs):
    before = _tree(rootfs)
    r = run(["run", "--rootfs", rootfs, "--symlink", "x", "/etc/passwd", "--", "true"],
            user=user)
    assert r.returncode == 125
    assert "/etc/passwd" in r.stderr and "File exists" in r.stderr, r.stderr
    assert _tree(rootfs) == before


def test_spec_writes_the_links_and_warns_that_they_are_cell_only(run):
    r = run(["spec", "-b", "-", "--tmpfs", "/x", "--symlink", "a", "/x/b",
             "--symlink", "usr/lib", "/lib64", "--", "true"])
    assert r.returncode == 0, r.stderr
    assert "annotations.run.cell.symlinks (--symlink, --dir, --file...) is cell-only" in r.stderr, \
        r.stderr
    spec = json.loads(r.stdout)
    links = json.loads(spec["annotations"]["run.cell.symlinks"])
    x = [m["destination"] for m in spec["mounts"]].index("/x")
    assert [(l["target"], l["link"]) for l in links] == [("a", "/x/b"), ("usr/lib", "/lib64")]
    assert links[0]["after"] == links[1]["after"] == x + 1


def _bundle(run, tdir, rootfs, user, out):
    b = tdir / "bundle"
    b.mkdir()
    os.chmod(b, 0o777)
    # as the user: a rootless spec from flags is the user's own `cell spec`
    r = run(["spec", "-b", b, "--rootfs", rootfs,
             "--bind", out, "/out", "--tmpfs", "/x", "--symlink", "a", "/x/b",
             "--symlink", "usr/lib", "/lib64",
             "--", "sh", "-c", "readlink /x/b > /out/res; readlink /lib64 >> /out/res; "
             "cat /lib64/f >> /out/res"],
            user=user)
    assert r.returncode == 0, r.stderr
    return b


def test_bundle_from_spec_runs_with_the_links(run, user, tdir, rootfs, root):
    rootfs = _with_usr(rootfs)
    out = tdir / "out"
    out.mkdir()
    os.chmod(out, 0o777)
    b = _bundle(run, tdir, rootfs, user, out)
    before = _tree(rootfs)
    name = f"sym-{os.getpid()}"
    r = oci(root, "run", "--bundle", b, name, user=user)
    assert r.returncode == 0, r.stderr
    assert (out / "res").read_text() == "a\nusr/lib\nin usr/lib\n"
    (out / "res").unlink()
    r = oci(root, "create", "--bundle", b, name, user=user)
    assert r.returncode == 0, r.stderr
    try:
        assert oci(root, "start", name, user=user).returncode == 0
        assert wait_status(root, name, "stopped", user=user)["status"] == "stopped"
    finally:
        oci(root, "delete", "--force", name, user=user)
    assert (out / "res").read_text() == "a\nusr/lib\nin usr/lib\n"
    assert _tree(rootfs) == before


@pytest.mark.skipif(not shutil.which("runc"), reason="needs runc")
def test_runc_makes_no_link_from_the_bundle_as_the_warning_says(run, tdir, rootfs):
    rootfs = _with_usr(rootfs)
    out = tdir / "out"
    out.mkdir()
    b = _bundle(run, tdir, rootfs, None, out)
    theirs = subprocess.run(["runc", "--root", str(tdir / "runc"), "run",
                             f"sym-runc-{os.getpid()}"], cwd=str(b),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=TIMEOUT, env=_env())
    assert theirs.returncode != 0  # `cat /lib64/f` finds no link
    assert (out / "res").read_text() == ""


def test_link_below_an_earlier_bind_is_made_in_the_bound_directory(run, user, visible_dir):
    os.chmod(visible_dir, 0o777)
    d = f"/opt/cell-symlink-b-{os.getpid()}/d"
    r = run(["run", "--bind", visible_dir, d, "--symlink", "t", f"{d}/l", "--", "true"],
            user=user)
    assert r.returncode == 0, r.stderr
    assert os.readlink(visible_dir / "l") == "t"  # bwrap's: the bind is the host's directory
    r = run(["run", "--ro-bind", visible_dir, d, "--symlink", "t", f"{d}/m", "--", "true"],
            user=user)
    assert r.returncode == 125 and f"{d}/m" in r.stderr, r.stderr
    assert "Read-only file system" in r.stderr, r.stderr
    assert not os.path.lexists(visible_dir / "m")
    assert not os.path.lexists(os.path.dirname(d))
