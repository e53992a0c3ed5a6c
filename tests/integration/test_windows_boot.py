"""workstation_dualboot's boot_platform.yml against a double of the Windows side.

``tests/doubles/windows_host`` contains a double of ``ansible.windows.win_command`` that responds as
bcdedit and shutdown.exe do and records each command. It comes first on the collections path here.
The WinRM transport and a real Windows are not exercised: no Windows host runs on this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOUBLE = REPO_ROOT / "tests" / "doubles" / "windows_host"
SAMPLES = REPO_ROOT / "tests" / "data" / "bcdedit"

pytestmark = pytest.mark.integration

PLAYBOOK = """
- name: Ask a running Windows machine to boot Linux once
  hosts: ws-a01
  gather_facts: false
  tasks:
    - name: Run the platform entry point
      ansible.builtin.include_role:
        name: workstation_dualboot
        tasks_from: boot_platform.yml
"""


def run_boot_platform(
    tmp_path: Path, sample: str, *extra: str
) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
    shutil.copy(SAMPLES / sample, tmp_path / "bcdedit-enum-firmware.txt")
    playbook = tmp_path / "boot.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=f"{DOUBLE}:{REPO_ROOT / 'collections'}",
        ANSIBLE_ROLES_PATH=str(REPO_ROOT / "roles"),
        WINDOWS_DOUBLE_DIR=str(tmp_path),
    )
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "ws-a01,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        "labshift_language=en",
        *extra,
        str(playbook),
    ]
    run = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    log = tmp_path / "commands.jsonl"
    commands = (
        [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    )
    return run, commands


def test_chinese_windows_boots_ubuntu_once(tmp_path: Path) -> None:
    run, commands = run_boot_platform(tmp_path, "enum-firmware-zh.txt")

    assert run.returncode == 0, run.stdout + run.stderr
    assert [entry["command"] for entry in commands] == [
        "bcdedit /enum firmware",
        "bcdedit /set {fwbootmgr} bootsequence {7a0e5d12-4c3b-11ef-9a1d-00e04c680001}",
        'shutdown.exe /r /t 5 /c "LabShift platform switch-over"',
    ]
    assert all(entry["rc"] == 0 for entry in commands)


def test_power_off_instead_of_restart(tmp_path: Path) -> None:
    run, commands = run_boot_platform(
        tmp_path, "enum-firmware-en.txt", "-e", "workstation_dualboot_power_action=poweroff"
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert commands[1]["command"].endswith("{3f1c2a4e-9b7d-11ee-8c90-0242ac120002}")
    assert commands[2]["command"].startswith("shutdown.exe /s ")


def test_missing_linux_entry_changes_nothing(tmp_path: Path) -> None:
    run, commands = run_boot_platform(
        tmp_path, "enum-firmware-en.txt", "-e", "workstation_dualboot_linux_firmware_pattern=(?i)fedora"
    )

    assert run.returncode != 0
    assert "ws-a01 has no firmware boot entry matching" in run.stdout
    assert [entry["command"] for entry in commands] == ["bcdedit /enum firmware"]
