"""Check the switch timer units with systemd's own tools on this machine.

The OnCalendar expressions of the timers that molecule/ops_timers installs (copied from the
planner's output) are parsed by ``systemd-analyze calendar``, and a service rendered from the
ops_timers role's template is checked with ``systemd-analyze verify``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ansible_run import run_local_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMERS_DIR = REPO_ROOT / "molecule" / "ops_timers" / "files" / "systemd"
TEMPLATE = (
    REPO_ROOT
    / "roles"
    / "ops_timers"
    / "templates"
    / "etc"
    / "systemd"
    / "system"
    / "labshift-switch.service.j2"
)
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian package systemd)"
    ),
]


def oncalendar_values(timer: Path) -> list[str]:
    return re.findall(r"^OnCalendar=(.+)$", timer.read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_fixture_timers_present() -> None:
    names = sorted(path.name for path in TIMERS_DIR.glob("*.timer"))
    assert names == [
        "labshift-a-to-platform.timer",
        "labshift-a-to-teaching.timer",
        "labshift-b-to-platform.timer",
        "labshift-b-to-teaching.timer",
    ]


@pytest.mark.parametrize("timer", sorted(TIMERS_DIR.glob("*.timer")), ids=lambda path: path.name)
def test_oncalendar_parses(timer: Path) -> None:
    values = oncalendar_values(timer)
    assert values, f"{timer.name} has no OnCalendar line"
    assert SYSTEMD_ANALYZE is not None

    completed = subprocess.run(
        [SYSTEMD_ANALYZE, "calendar", *values], capture_output=True, text=True, timeout=60, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("Normalized form:") == len(values)
    assert "Asia/Shanghai" in completed.stdout


def test_rendered_units_verify(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "playbooks").mkdir(parents=True)
    stub = project / "ansible-playbook"
    stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stub.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    shutil.copy(TIMERS_DIR / "labshift-a-to-platform.timer", units)
    playbook = tmp_path / "render.yml"
    playbook.write_text(
        f"""
- name: Render the switch service
  hosts: localhost
  gather_facts: false
  vars:
    ops_timers_user: root
    ops_timers_group: root
    ops_timers_home: {tmp_path}
    ops_timers_project_dir: {project}
    ops_timers_inventory: inventories/sandbox
    ops_timers_ansible_playbook: {stub}
    ops_timers_extra_args: ["--vault-id", "lab@prompt"]
    ops_timers_job_timeout_minutes: 90
    __ops_timers_unit: {{room: a, direction: platform, name: labshift-a-to-platform}}
  tasks:
    - name: Render
      ansible.builtin.template:
        src: {TEMPLATE}
        dest: {units}/labshift-a-to-platform.service
        mode: "0644"
""",
        encoding="utf-8",
    )
    rendered = run_local_playbook(playbook, timeout=120)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    service = (units / "labshift-a-to-platform.service").read_text(encoding="utf-8")
    assert (
        f"ExecStart={stub} -i inventories/sandbox playbooks/switch.yml -e labshift_switch_direction=platform "
        "-e labshift_switch_rooms=a --vault-id lab@prompt" in service
    )
    assert "TimeoutStartSec=90min" in service
    assert SYSTEMD_ANALYZE is not None

    verified = subprocess.run(
        [
            SYSTEMD_ANALYZE,
            "verify",
            str(units / "labshift-a-to-platform.timer"),
            str(units / "labshift-a-to-platform.service"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stderr == ""
