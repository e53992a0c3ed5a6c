"""Firmware entries in ``bcdedit /enum firmware`` output, English and Chinese Windows.

The sample outputs in tests/data/bcdedit follow bcdedit's layout with CRLF line ends; the GUIDs
are made up. No Windows machine runs here, so the WinRM calls around this parser are not tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "tests" / "data" / "bcdedit"

from ansible_collections.labshift.lab.plugins.module_utils.bcdedit import (  # noqa: E402
    find_firmware_entry,
    firmware_entries,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError  # noqa: E402


def sample(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def test_entries_of_english_output() -> None:
    entries = firmware_entries(sample("enum-firmware-en.txt"))

    assert [entry.identifier for entry in entries] == [
        "{fwbootmgr}",
        "{bootmgr}",
        "{3f1c2a4e-9b7d-11ee-8c90-0242ac120002}",
        "{3f1c2a4f-9b7d-11ee-8c90-0242ac120002}",
    ]
    assert "shimx64.efi" in entries[2].text


def test_linux_entry_in_english_output() -> None:
    guid = find_firmware_entry(sample("enum-firmware-en.txt"), "(?i)debian|ubuntu")

    assert guid == "{3f1c2a4e-9b7d-11ee-8c90-0242ac120002}"


def test_linux_entry_in_chinese_output() -> None:
    # The USB entry comes first in this output and must not be picked.
    guid = find_firmware_entry(sample("enum-firmware-zh.txt"), "(?i)debian|ubuntu")

    assert guid == "{7a0e5d12-4c3b-11ef-9a1d-00e04c680001}"


def test_boot_manager_lists_are_skipped() -> None:
    # {fwbootmgr} lists every GUID and {bootmgr} is Windows: neither is a firmware application.
    output = sample("enum-firmware-en.txt")

    assert find_firmware_entry(output, "(?i)windows") == ""
    assert find_firmware_entry(output, "displayorder") == ""


def test_no_matching_entry_returns_empty() -> None:
    assert find_firmware_entry(sample("enum-firmware-en.txt"), "(?i)fedora") == ""


def test_invalid_pattern_names_setting() -> None:
    with pytest.raises(LabShiftError) as raised:
        find_firmware_entry(sample("enum-firmware-en.txt"), "(debian")

    assert "workstation_dualboot_linux_firmware_pattern" in raised.value.message("en")
    assert "'(debian'" in raised.value.message("zh")


def test_filter_through_ansible(tmp_path: Path) -> None:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))
    expression = (
        "{{ lookup('ansible.builtin.file', '" + str(DATA / "enum-firmware-zh.txt") + "')"
        " | labshift.lab.bcd_firmware_entry('(?i)ubuntu') | to_json }}"
    )
    command = [
        str(Path(sys.executable).parent / "ansible"),
        "localhost",
        "-m",
        "ansible.builtin.debug",
        "-a",
        f"msg={expression}",
        "-o",
    ]

    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)

    assert run.returncode == 0, run.stdout + run.stderr
    message = json.loads(run.stdout.split("=>", 1)[1])["msg"]
    assert json.loads(message) == "{7a0e5d12-4c3b-11ef-9a1d-00e04c680001}"
