"""playbooks/plan.yml through ansible-playbook on the example and sandbox inventories.

The play runs on the controller only (connection local), so no test host is needed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.labshift.lab.plugins.module_utils.export_awx import check_awx_rrule
from ansible_collections.labshift.lab.plugins.module_utils.plan_outputs import validate_plan_document

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
OUTPUT_FILES = {
    "plan.json",
    "awx-schedules.json",
    "calendar.ics",
    "index.html",
    "systemd/labshift-a-to-platform.timer",
    "systemd/labshift-a-to-platform.service",
    "systemd/labshift-b-to-teaching.timer",
    "systemd/labshift-b-to-teaching.service",
}

pytestmark = pytest.mark.integration


def run_plan(inventory: Path, output_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(inventory),
            "playbooks/plan.yml",
            "-e",
            f"labshift_output_dir={output_dir}",
            *extra,
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def recap_changed(output: str) -> int:
    match = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", output)
    assert match is not None, output
    return int(match.group(1))


def test_example_plan_written_and_idempotent(tmp_path: Path) -> None:
    first = run_plan(REPO / "inventories" / "example", tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap_changed(first.stdout) == 1
    plan_dir = tmp_path / "plan"
    written = {str(path.relative_to(plan_dir)) for path in plan_dir.rglob("*") if path.is_file()}
    assert written >= OUTPUT_FILES
    document = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    validate_plan_document(document)
    schedules = json.loads((plan_dir / "awx-schedules.json").read_text(encoding="utf-8"))
    assert {item["job"] for item in schedules} == {"to_platform", "to_teaching"}
    assert all(check_awx_rrule(item["rrule"]) == [] for item in schedules)
    service = (plan_dir / "systemd" / "labshift-a-to-platform.service").read_text(encoding="utf-8")
    assert f"WorkingDirectory={REPO}" in service
    assert "-e labshift_switch_direction=platform -e labshift_switch_rooms=a" in service
    assert '<html lang="zh-CN">' in (plan_dir / "index.html").read_text(encoding="utf-8")
    assert "开放时段：机房 a " in first.stdout

    second = run_plan(REPO / "inventories" / "example", tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap_changed(second.stdout) == 0


def test_check_mode_writes_nothing(tmp_path: Path) -> None:
    result = run_plan(REPO / "inventories" / "example", tmp_path, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap_changed(result.stdout) == 1
    assert not (tmp_path / "plan").exists()


def test_sandbox_plan_in_english(tmp_path: Path) -> None:
    result = run_plan(REPO / "inventories" / "sandbox", tmp_path, "-e", "labshift_language=en")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "plan" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert "Sandbox Room A" in page
    calendar = (tmp_path / "plan" / "calendar.ics").read_text(encoding="utf-8")
    assert "SUMMARY:Sandbox Room B: AI platform open" in calendar
    assert "Platform windows: room a " in result.stdout


def test_bad_input_fails_bilingual_and_writes_nothing(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "example", inventory)
    csv = inventory / "files" / "timetable-a.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("2-16双", "2-16 双周x")
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "output"
    result = run_plan(inventory, output)
    assert result.returncode != 0
    combined = result.stdout + result.stderr
    assert "timetable-a.csv:4" in combined
    assert "周数" in combined
    assert "weeks" in combined
    assert not output.exists()


def test_filters_in_a_playbook(tmp_path: Path) -> None:
    playbook = tmp_path / "filters.yml"
    playbook.write_text(
        """---
- name: Use the planner filters
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Plan with the filter
      ansible.builtin.set_fact:
        __plan: "{{ labshift_rooms | labshift.lab.plan_windows(labshift_timetable_files, labshift_semester,
                    labshift_period_tables, calendar_overrides=labshift_calendar_overrides,
                    base_dir=inventory_dir | default(ansible_inventory_sources[0])) }}"
    - name: Read the deadline of room a at 12:30 on the first day
      ansible.builtin.debug:
        msg: "deadline={{ __plan | labshift.lab.plan_deadline('a', now='2026-09-07T12:30:00+08:00') }}"
""",
        encoding="utf-8",
    )
    environment = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(REPO / "inventories" / "example"), str(playbook)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "deadline=2026-09-07T16:00:00+08:00" in result.stdout
