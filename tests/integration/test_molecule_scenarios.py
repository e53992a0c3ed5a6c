"""Run every molecule scenario under molecule/ as one pytest test each.

Each scenario runs its full test sequence (create, converge, idempotence, verify, destroy) on
systemd containers from the sandbox base image, so molecule results count in the pytest summary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(path.parent.name for path in (REPO_ROOT / "molecule").glob("*/molecule.yml"))

pytestmark = [pytest.mark.docker, pytest.mark.integration]


def docker_available() -> bool:
    """Return True when a Docker engine responds to `docker info`."""
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return result.returncode == 0


@pytest.mark.skipif(not SCENARIOS, reason="no molecule scenario under molecule/")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str) -> None:
    if not docker_available():
        pytest.fail("the Docker engine is not running: start it with scripts/start-docker.sh")
    environment = dict(os.environ)
    environment["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
    environment.setdefault("MOLECULE_NO_LOG", "false")
    result = subprocess.run(
        ["molecule", "test", "--scenario-name", scenario],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    output = result.stdout[-20000:] + result.stderr[-8000:]
    assert result.returncode == 0, f"molecule scenario {scenario} failed:\n{output}"
