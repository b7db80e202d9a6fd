"""OCI runtime-spec rules an outside conformance suite checks (issue 16): no
namespaces means the runtime's own, mounts[] in their listed order, the hooks'
state and failure rules, rootfsPropagation "unbindable", ociVersion as SemVer.

Each test checks what the kernel or the hook sees, not what cell prints.
"""
import json
import os

import pytest

from conftest import assert_cell_error, mountinfo
from test_oci import bundle, cgroup_dirs, hook, oci, ok, root  # noqa: F401 (fixtures)


# ------------------------------------------------------------ mounts order


def test_mounts_appear_in_mountinfo_in_the_order_config_json_lists_them(root, bundle, tdir):
    """config.md: "The runtime MUST mount entries in the listed order"; mountinfo
    lists a namespace's mounts in the order they were made (by mount id since
    Linux 6.8), so a bind made ahead of its turn shows up before / and /proc."""
    src = tdir / "src"
    src.mkdir()
    (src / "mark").write_text("bound\n")
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/mnt/a", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
        {"destination": "/mnt/a/b", "type": "bind", "source": str(src), "options": ["bind"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "mode=755"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid"]},
        {"destination": "/mnt/c", "type": "bind", "source": str(src), "options": ["rbind", "ro"]},
    ]
    b = bundle(["sh", "-c", "cat /mnt/a/b/mark && cat /proc/self/mountinfo"],
               edit=lambda c: c.update(mounts=mounts))
    out = ok(oci(root, "run", "--bundle", b, "order1"))
    assert out.startswith("bound\n")
    points = [m["mountpoint"] for m in mountinfo(out)]
    assert points[0] == "/", points
    listed = [m["destination"] for m in mounts]
    # the first appearance of each listed destination, in mountinfo's order
    seen = [p for i, p in enumerate(points) if p in listed and p not in points[:i]]
    assert seen == listed, points
