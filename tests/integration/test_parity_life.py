"""Lifecycle and cgroup behaviours where crun is right (issue 17).

Each test pins down what an outside runtime suite found cell doing differently
from crun: checked through what the kernel and the host show (cgroup files,
/proc, files a hook wrote), not through cell's own output.
"""
import json
import os
import time

import pytest

from conftest import assert_cell_error
from test_oci import bundle, cgroup_dirs, oci, ok, root, state  # noqa: F401

SUFFIX = str(os.getpid())


def cid(name):
    """A container id unique to this test session (others run tests at the same time)."""
    return f"{name}-{SUFFIX}"


# ------------------------------------------------------------ --config


@pytest.mark.parametrize("command", ["run", "create"])
def test_config_names_the_bundles_config_file_relative_to_the_bundle(root, bundle, tdir,
                                                                      command):
    out = tdir / "ran"
    b = bundle(["sh", "-c", f"echo from-other > /mnt/ran"],
               edit=lambda c: c["mounts"].append(
                   {"destination": "/mnt", "type": "bind", "source": str(tdir),
                    "options": ["rbind"]}))
    os.rename(b / "config.json", b / "other.json")
    c = cid("cfg")
    if command == "run":
        ok(oci(root, "run", "--config", "other.json", "--bundle", b, c))
    else:
        ok(oci(root, "create", "-f", "other.json", "--bundle", b, c))
        ok(oci(root, "start", c))
        deadline = time.monotonic() + 5
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        ok(oci(root, "delete", "--force", c))
    assert out.read_text() == "from-other\n"
    # a name that is not there is an error naming it
    assert_cell_error(oci(root, command, "--config=nothere.json", "--bundle", b, c), 125,
                      "nothere.json")
