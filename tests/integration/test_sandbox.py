"""Integration test of the sandbox lab: real systemd containers reached over SSH on loopback ports.

The test creates the default sandbox with playbooks/sandbox.yml. It logs in to every host with the
ssh client as the inventory describes it: generated key, recorded host key, host key checking on.
It checks that systemd is PID 1 and has booted, runs sandbox.yml again expecting no change, and
destroys the sandbox with playbooks/sandbox_destroy.yml. A sandbox that already existed before
the test is left in place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
BASE_IMAGE = "labshift/debian12-systemd:1"
LABEL = "io.labshift.sandbox=true"

pytestmark = [pytest.mark.integration, pytest.mark.docker]


def docker_available() -> str | None:
    """Return why the Docker sandbox cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "the docker client is not installed (scripts/install.sh installs docker.io)"
    info = subprocess.run(["docker", "info"], capture_output=True, check=False)
    if info.returncode != 0:
        return "the Docker engine is not running (start it with scripts/start-docker.sh)"
    image = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True, check=False)
    if image.returncode != 0:
        return f"the base image {BASE_IMAGE} is missing (build it with files/sandbox/build-base-image.sh)"
    return None


def sandbox_containers() -> list[str]:
    listed = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(name for name in listed.stdout.split() if name.startswith("labshift-sandbox-"))


def run_playbook(playbook: str) -> tuple[int, dict[str, Any]]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            # Replaces the profile_tasks callback of ansible.cfg, whose timings would break the JSON output.
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
        }
    )
    completed = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "inventories/sandbox", f"playbooks/{playbook}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr
    return completed.returncode, json.loads(completed.stdout)


def summed(output: dict[str, Any], field: str) -> int:
    return sum(stats[field] for stats in output["stats"].values())


def ssh_hosts() -> dict[str, dict[str, Any]]:
    """Return every host of the static sandbox inventory that Ansible reaches over SSH."""
    data = yaml.safe_load((REPO / "inventories" / "sandbox" / "hosts.yml").read_text(encoding="utf-8"))
    hosts: dict[str, dict[str, Any]] = {}

    def collect(group: dict[str, Any]) -> None:
        for name, variables in (group.get("hosts") or {}).items():
            if (variables or {}).get("ansible_connection") != "local":
                hosts[name] = variables
        for child in (group.get("children") or {}).values():
            collect(child or {})

    collect(data["all"])
    return hosts


def ssh_run(state_dir: Path, variables: dict[str, Any], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "ssh",
            "-i", str(state_dir / "id_ed25519"),
            "-o", f"UserKnownHostsFile={state_dir / 'known_hosts'}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=20",
            "-p", str(variables["ansible_port"]),
            f"labshift@{variables['ansible_host']}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_sandbox_create_check_destroy() -> None:
    reason = docker_available()
    if reason is not None:
        pytest.skip(reason)
    existed_before = bool(sandbox_containers())

    code, first = run_playbook("sandbox.yml")
    assert code == 0, json.dumps(first["stats"])
    assert summed(first, "failures") == 0
    assert summed(first, "unreachable") == 0

    rendered = yaml.safe_load(
        (REPO / "output" / "sandbox" / "inventory" / "hosts.yml").read_text(encoding="utf-8")
    )
    static = yaml.safe_load((REPO / "inventories" / "sandbox" / "hosts.yml").read_text(encoding="utf-8"))
    assert rendered == static

    hosts = ssh_hosts()
    assert len(hosts) == 9
    state_dir = Path.home() / ".local" / "state" / "labshift" / "sandbox"
    for name, variables in hosts.items():
        result = ssh_run(
            state_dir, variables, "hostname; cat /proc/1/comm; systemctl is-system-running; sudo -n id -u"
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"
        hostname, init, state, root_uid = result.stdout.split()
        assert hostname == name
        assert init == "systemd"
        assert state in ("running", "degraded"), f"{name} is {state}"
        assert root_uid == "0"
    assert f"labshift-sandbox-{sorted(hosts)[0]}" in sandbox_containers()

    code, second = run_playbook("sandbox.yml")
    assert code == 0
    assert summed(second, "changed") == 0

    if existed_before:
        pytest.skip("a sandbox existed before this test, so it is left in place and destroy is not tested")
    code, destroyed = run_playbook("sandbox_destroy.yml")
    assert code == 0, json.dumps(destroyed["stats"])
    assert sandbox_containers() == []
    assert not (REPO / "output" / "sandbox" / "inventory").exists()
