"""playbooks/awx.yml against the AWX REST API double (tests/doubles/awx_api.py, a test double, not AWX).

A run against a real AWX uses the same playbook with labshift_awx_host pointing at it; set
LABSHIFT_AWX_HOST, LABSHIFT_AWX_USERNAME and LABSHIFT_AWX_PASSWORD to run test_real_awx_ping.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN = REPO_ROOT / "tests" / "data" / "awx" / "awx-schedules.json"
PASSWORD = "double-admin-pw"
SSH_KEY_TEXT = "-----BEGIN OPENSSH PRIVATE KEY-----\ntest\n-----END OPENSSH PRIVATE KEY-----\n"

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class AwxDouble:
    """A running AWX API double process and a small JSON client for it."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def get(self, path: str) -> Any:
        request = urllib.request.Request(self.base + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def list_all(self, resource: str, query: str = "") -> list[dict[str, Any]]:
        page = self.get(f"/api/v2/{resource}/?page_size=200{query}")
        assert page["next"] is None
        results: list[dict[str, Any]] = page["results"]
        return results


@pytest.fixture
def awx() -> Iterator[AwxDouble]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "tests/doubles/awx_api.py"),
            "--port",
            str(port),
            "--project-dir",
            str(REPO_ROOT),
        ],
        env=dict(os.environ, AWX_DOUBLE_PASSWORD=PASSWORD),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("ready")
    yield AwxDouble(port)
    process.terminate()
    process.wait(timeout=10)


def run_awx_playbook(
    tmp_path: Path, awx: AwxDouble, plan: list[dict[str, Any]], **overrides: Any
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "plan").mkdir(exist_ok=True)
    (tmp_path / "plan" / "awx-schedules.json").write_text(
        json.dumps(plan, ensure_ascii=False), encoding="utf-8"
    )
    extra = {
        "labshift_awx_host": awx.base,
        "labshift_output_dir": str(tmp_path),
        "labshift_language": "en",
        "vault_awx_admin_password": PASSWORD,
        "vault_awx_machine_ssh_key": SSH_KEY_TEXT,
        "vault_awx_vault_password": "vault-pw",
        "vault_awx_kubernetes_bearer_token": "bearer-token",
        "ansible_python_interpreter": sys.executable,
        **overrides,
    }
    extra_file = tmp_path / "extra.yml"
    extra_file.write_text(yaml.safe_dump(extra), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(REPO_ROOT / "inventories" / "sandbox"),
            str(REPO_ROOT / "playbooks" / "awx.yml"),
            "-e",
            f"@{extra_file}",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def recap_changed(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("localhost") and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    raise AssertionError(f"no play recap in output:\n{output}")


def load_plan() -> list[dict[str, Any]]:
    plan: list[dict[str, Any]] = json.loads(PLAN.read_text(encoding="utf-8"))
    return plan


def check_created_objects(awx: AwxDouble, plan: list[dict[str, Any]]) -> None:
    templates = {item["name"]: item for item in awx.list_all("job_templates")}
    assert sorted(templates) == [
        "LabShift room a: switch to platform",
        "LabShift room a: switch to teaching",
        "LabShift room b: switch to platform",
        "LabShift room b: switch to teaching",
    ]
    room_a_platform = templates["LabShift room a: switch to platform"]
    assert room_a_platform["limit"] == "room_a"
    assert room_a_platform["playbook"] == "playbooks/switch.yml"
    assert json.loads(room_a_platform["extra_vars"]) == {
        "labshift_switch_direction": "platform",
        "labshift_switch_rooms": "a",
    }
    linked = awx.list_all(f"job_templates/{room_a_platform['id']}/credentials")
    assert sorted(cred["name"] for cred in linked) == [
        "LabShift Kubernetes",
        "LabShift machine",
        "LabShift vault",
    ]
    credentials = {item["name"]: item for item in awx.list_all("credentials")}
    assert credentials["LabShift machine"]["inputs"]["ssh_key_data"] == "$encrypted$"
    assert credentials["LabShift vault"]["inputs"]["vault_id"] == "sandbox"
    sources = awx.list_all("inventory_sources")
    assert [(source["source"], source["source_path"]) for source in sources] == [
        ("scm", "inventories/sandbox")
    ]

    titles = {"to_platform": "switch to platform", "to_teaching": "switch to teaching"}
    expected = sorted(
        (item["name"], item["rrule"], f"LabShift room {item['room']}: {titles[item['job']]}") for item in plan
    )
    actual = sorted(
        (item["name"], item["rrule"], item["summary_fields"]["unified_job_template"]["name"])
        for item in awx.list_all("schedules")
    )
    assert actual == expected


def test_awx_playbook_lifecycle(tmp_path: Path, awx: AwxDouble) -> None:
    plan = load_plan()

    first = run_awx_playbook(tmp_path, awx, plan)
    assert first.returncode == 0, first.stdout + first.stderr
    check_created_objects(awx, plan)
    old_ids = {item["name"]: item["id"] for item in awx.list_all("schedules")}

    second = run_awx_playbook(tmp_path, awx, plan)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap_changed(second.stdout) == 0

    # A new semester for room a only: one schedule dropped, one changed, one added; room b leaves.
    new_plan = [dict(item) for item in plan if item["room"] == "a"][1:]
    new_plan[0]["rrule"] = (
        "DTSTART;TZID=Asia/Shanghai:20270301T080000 "
        "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;UNTIL=20270630T000000Z"
    )
    new_plan.append(
        {
            "room": "a",
            "job": "to_teaching",
            "name": "labshift-a-to-teaching-900",
            "rrule": "DTSTART;TZID=Asia/Shanghai:20270302T073000 "
            "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;UNTIL=20270630T000000Z",
            "description": "spring semester",
        }
    )
    third = run_awx_playbook(tmp_path, awx, new_plan, labshift_rooms={"a": {"group": "room_a"}})

    assert third.returncode == 0, third.stdout + third.stderr
    schedules = {item["name"]: item for item in awx.list_all("schedules")}
    assert sorted(schedules) == sorted(item["name"] for item in new_plan)
    changed = schedules[new_plan[0]["name"]]
    assert changed["rrule"] == new_plan[0]["rrule"]
    assert changed["id"] == old_ids[new_plan[0]["name"]]
    assert changed["timezone"] == "Asia/Shanghai"
    template_names = sorted(item["name"] for item in awx.list_all("job_templates"))
    assert template_names == ["LabShift room a: switch to platform", "LabShift room a: switch to teaching"]


def test_bad_rrule_changes_nothing(tmp_path: Path, awx: AwxDouble) -> None:
    plan = load_plan()
    plan[1] = dict(plan[1], rrule="DTSTART:20260907T080000 RRULE:FREQ=WEEKLY;BYDAY=MO")

    completed = run_awx_playbook(tmp_path, awx, plan)

    assert completed.returncode != 0
    assert "DTSTART needs a TZID" in completed.stdout
    assert "INTERVAL is required" in completed.stdout
    assert awx.list_all("organizations") == []
    assert awx.list_all("schedules") == []


def test_missing_secret_changes_nothing(tmp_path: Path, awx: AwxDouble) -> None:
    completed = run_awx_playbook(tmp_path, awx, load_plan(), vault_awx_kubernetes_bearer_token="")

    assert completed.returncode != 0
    assert "vault_awx_kubernetes_bearer_token" in completed.stdout
    assert awx.list_all("organizations") == []


def test_double_rejects_what_awx_rejects(awx: AwxDouble) -> None:
    template = {"name": "t", "project": 999, "playbook": "playbooks/switch.yml"}
    request = urllib.request.Request(
        awx.base + "/api/v2/job_templates/",
        data=json.dumps(template).encode(),
        headers={**awx.headers, "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert "project" in json.loads(raised.value.read())


@pytest.mark.skipif(not os.environ.get("LABSHIFT_AWX_HOST"), reason="LABSHIFT_AWX_HOST names no real AWX")
def test_real_awx_ping() -> None:
    host = os.environ["LABSHIFT_AWX_HOST"].rstrip("/")
    with urllib.request.urlopen(f"{host}/api/v2/ping/", timeout=10) as response:
        ping = json.loads(response.read())
    assert "version" in ping


def test_double_pages_and_filters(awx: AwxDouble) -> None:
    for index in range(5):
        request = urllib.request.Request(
            awx.base + "/api/v2/organizations/",
            data=json.dumps({"name": f"org-{index}"}).encode(),
            headers={**awx.headers, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201

    first = awx.get("/api/v2/organizations/?page_size=2")
    assert first["count"] == 5
    assert [item["name"] for item in first["results"]] == ["org-0", "org-1"]
    names = [item["name"] for item in first["results"]]
    next_page = first["next"]
    while next_page is not None:
        page = awx.get(next_page)
        names.extend(item["name"] for item in page["results"])
        next_page = page["next"]
    assert names == [f"org-{index}" for index in range(5)]

    by_name = awx.get("/api/v2/organizations/?name=org-3")
    assert [item["name"] for item in by_name["results"]] == ["org-3"]
    either = awx.get(f"/api/v2/organizations/?or__id={by_name['results'][0]['id']}&or__name=org-1")
    assert sorted(item["name"] for item in either["results"]) == ["org-1", "org-3"]
