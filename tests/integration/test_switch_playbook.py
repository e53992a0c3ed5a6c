"""playbooks/switch.yml through ansible-playbook against the Kubernetes API double.

The double (tests/doubles/k8s_api.py) serves the Kubernetes API and the jupyterhub-announcement
endpoint on loopback and receives the Wake-on-LAN packets on a loopback UDP port, so no packet
reaches a real network. The workstations are inventory entries only: with
labshift_switch_teaching_boot=none, no task connects to them.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.doubles.k8s_api import DoubleServer, Machine, free_port, running_double  # noqa: E402

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"

pytestmark = pytest.mark.integration

WORKSTATIONS = {
    "room_a": {"ws-a01": "02:1a:b5:00:0a:01", "ws-a02": "02:1a:b5:00:0a:02"},
    "room_b": {"ws-b01": "02:1a:b5:00:0b:01", "ws-b02": "02:1a:b5:00:0b:02"},
}


def write_inventory(directory: Path, kubeconfig: Path, server: DoubleServer, wol_port: int) -> Path:
    hosts = {
        "all": {
            "children": {
                "workstations": {
                    "children": {
                        group: {"hosts": {name: {"workstation_mac": mac} for name, mac in members.items()}}
                        for group, members in WORKSTATIONS.items()
                    }
                }
            }
        }
    }
    settings: dict[str, Any] = {
        "labshift_language": "en",
        "labshift_timezone": "Asia/Shanghai",
        "labshift_output_dir": str(directory / "output"),
        "labshift_rooms": {
            "a": {"group": "room_a", "name": {"zh": "A 机房", "en": "Room A"}},
            "b": {"group": "room_b", "name": {"zh": "B 机房", "en": "Room B"}},
        },
        "labshift_switch_kubeconfig": str(kubeconfig),
        "labshift_switch_kubeconfig_context": "",
        "labshift_switch_wol_broadcast": "127.0.0.1",
        "labshift_switch_wol_port": wol_port,
        "labshift_switch_wol_repeat": 1,
        "labshift_switch_ipmi_username": "",
        "labshift_switch_ipmi_password": "",
        "labshift_switch_join_timeout_minutes": 0.1,
        "labshift_switch_grace_minutes": 0.02,
        "labshift_switch_handback_reserve_minutes": 0.25,
        "labshift_switch_leave_min_minutes": 0.05,
        "labshift_switch_poll_seconds": 0.2,
        "labshift_switch_delete_node_objects": True,
        "labshift_switch_workers": 8,
        "labshift_switch_lock_namespace": "labshift-system",
        "labshift_switch_lease_seconds": 30,
        "labshift_switch_lock_wait_seconds": 0,
        "labshift_switch_holds": [],
        "labshift_switch_teaching_boot": "none",
        "labshift_switch_platform_reboot_running": False,
        "labshift_switch_windows_connection": "winrm",
        "labshift_switch_windows_port": 5986,
        "labshift_switch_connect_timeout": 2,
        "labshift_switch_sandbox_machines_url": f"{server.url}/labshift-double/machines",
        "labshift_switch_hub_url": server.url,
        "labshift_switch_hub_token": server.hub_token,
        "labshift_switch_hub_announcement_prefix": "/services/announcement/",
        "labshift_switch_report_dir": str(directory / "output" / "switch"),
    }
    inventory = directory / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return inventory


def run_switch(inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default")
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(REPO_ROOT / "playbooks" / "switch.yml"), *extra],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def latest_report(inventory: Path, direction: str) -> dict[str, Any]:
    path = inventory.parent / "output" / "switch" / f"latest-{direction}.json"
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {node["node"]: node["outcome"] for node in report["nodes"]}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[DoubleServer, Path]]:
    wol_port = free_port()
    behaviours = {"ws-b02": "never_wakes", "ws-a02": "unreachable"}
    machines = [
        Machine(
            name=name,
            mac=mac,
            room=group.removeprefix("room_"),
            behaviour=behaviours.get(name, "normal"),
            state="linux" if name == "ws-a02" else "off",
            boot_seconds=0.5,
        )
        for group, members in WORKSTATIONS.items()
        for name, mac in members.items()
    ]
    kubeconfig = tmp_path / "kubeconfig"
    with running_double(kubeconfig, machines, wol_port=wol_port, leave_seconds=0.2) as server:
        yield server, write_inventory(tmp_path, kubeconfig, server, wol_port)


def test_switch_platform_then_teaching(sandbox: tuple[DoubleServer, Path]) -> None:
    server, inventory = sandbox

    platform = run_switch(
        inventory, "-e", "labshift_switch_direction=platform", "-e", "labshift_switch_rooms=a,b"
    )

    assert platform.returncode == 0, platform.stdout[-3000:]
    report = latest_report(inventory, "platform")
    assert outcomes(report) == {
        "ws-a01": "switched",
        "ws-a02": "switched",
        "ws-b01": "switched",
        "ws-b02": "failed",
    }
    failed = next(node for node in report["nodes"] if node["node"] == "ws-b02")
    assert failed["reason_key"] == "switch.reason.never_registered"
    packets = {packet.mac: packet for packet in server.state.wol_packets}
    # ws-a02 was already running and Ready, so it gets no magic packet.
    assert "02:1a:b5:00:0a:02" not in packets
    for name, mac in {
        "ws-a01": "02:1a:b5:00:0a:01",
        "ws-b01": "02:1a:b5:00:0b:01",
        "ws-b02": "02:1a:b5:00:0b:02",
    }.items():
        expected = b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) * 16
        assert packets[mac].payload_hex == expected.hex(), name
        assert packets[mac].source.startswith("127.0.0.1:")

    deadline = (datetime.now(UTC) + timedelta(seconds=50)).isoformat(timespec="seconds")
    with server.state.lock:
        server.state.put_new(
            "pods",
            "default",
            {
                "metadata": {"name": "notebook-alice", "labels": {"app": "notebook"}},
                "spec": {"nodeName": "ws-a01", "terminationGracePeriodSeconds": 30},
            },
        )
        server.state.put_new(
            "pods",
            "default",
            {
                "metadata": {"name": "hub-0", "labels": {"app": "hub"}},
                "spec": {"nodeName": "ws-b01"},
            },
        )
        server.state.put_new(
            "poddisruptionbudgets",
            "default",
            {
                "metadata": {"name": "hub"},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "hub"}}},
            },
        )
    holds = json.dumps({"labshift_switch_holds": [{"node": "ws-b02", "reason": "GPU fan repair"}]})

    teaching = run_switch(
        inventory,
        "-e",
        "labshift_switch_direction=teaching",
        "-e",
        f"labshift_switch_deadline={deadline}",
        "-e",
        holds,
    )

    assert teaching.returncode != 0, "ws-a02 stays in Linux, so the run must fail"
    assert "ws-a02" in teaching.stdout
    report = latest_report(inventory, "teaching")
    assert outcomes(report) == {
        "ws-a01": "switched",
        "ws-a02": "failed",
        "ws-b01": "switched",
        "ws-b02": "held",
    }
    assert report["handback_failed"] == ["ws-a02"]
    assert report["findings"][0]["budget"] == "default/hub"
    by_node = {node["node"]: node for node in report["nodes"]}
    assert by_node["ws-b01"]["forced"] == 1
    assert by_node["ws-a01"]["evicted"] == 1
    assert "GPU fan repair" in by_node["ws-b02"]["reason"]["en"]
    for node in report["nodes"]:
        if node["finished_at"] and node["outcome"] != "held":
            assert datetime.fromisoformat(node["finished_at"]) <= datetime.fromisoformat(
                deadline
            ) + timedelta(seconds=2)
    assert len(server.state.announcements) == 1
    announcement = html.unescape(server.state.announcements[0]["announcement"])
    assert "Room A returns to teaching" in announcement
    assert "B 机房" in announcement
    assert ("nodes", "", "ws-a01") not in server.state.objects, "a node that left is deleted"
    text = (inventory.parent / "output" / "switch" / "latest-teaching.txt").read_text(encoding="utf-8")
    assert "1 failed" in text


def test_switch_rejects_unknown_room(sandbox: tuple[DoubleServer, Path]) -> None:
    server, inventory = sandbox

    result = run_switch(
        inventory, "-e", "labshift_switch_direction=platform", "-e", "labshift_switch_rooms=z"
    )

    assert result.returncode != 0
    assert "room 'z' is not in labshift_rooms" in result.stdout
    assert server.state.wol_packets == []
    assert server.state.list("leases", None) == []


def test_switch_plans_when_plan_missing(sandbox: tuple[DoubleServer, Path]) -> None:
    # An AWX job starts in a fresh checkout without output/: switch.yml must plan the semester.
    server, inventory = sandbox
    shutil.copytree(REPO_ROOT / "inventories" / "sandbox" / "files", inventory / "files")
    shutil.copy(
        REPO_ROOT / "inventories" / "sandbox" / "group_vars" / "all" / "timetable.yml",
        inventory / "group_vars" / "all" / "timetable.yml",
    )
    plan_file = inventory.parent / "output" / "plan" / "plan.json"
    assert not plan_file.exists()

    result = run_switch(
        inventory, "-e", "labshift_switch_direction=platform", "-e", "labshift_switch_rooms=a"
    )

    assert "TASK [Plan | write the semester plan and its outputs]" in result.stdout
    assert plan_file.is_file()
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    assert set(plan["rooms"]) == {"a", "b"}
    assert server.state.wol_packets != []


def test_switch_check_mode_changes_nothing(sandbox: tuple[DoubleServer, Path]) -> None:
    server, inventory = sandbox

    result = run_switch(inventory, "--check", "-e", "labshift_switch_direction=platform")

    assert result.returncode == 0, result.stdout[-3000:]
    assert "not attempted" in result.stdout
    assert server.state.wol_packets == []
    assert server.state.list("leases", None) == []
    assert [machine.state for machine in server.state.machines.values()] == ["off", "linux", "off", "off"]
    assert not (inventory.parent / "output" / "switch").exists()


def test_switch_skips_room_locked_by_other_run(sandbox: tuple[DoubleServer, Path]) -> None:
    server, inventory = sandbox
    renewed = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with server.state.lock:
        server.state.ensure_namespace("labshift-system")
        server.state.put_new(
            "leases",
            "labshift-system",
            {
                "metadata": {"name": "labshift-switch-a"},
                "spec": {"holderIdentity": "awx-job-41", "leaseDurationSeconds": 300, "renewTime": renewed},
            },
        )

    result = run_switch(inventory, "-e", "labshift_switch_direction=platform")

    assert result.returncode != 0
    assert "awx-job-41" in result.stdout
    report = latest_report(inventory, "platform")
    by_node = {node["node"]: node for node in report["nodes"]}
    assert by_node["ws-a01"]["outcome"] == "skipped"
    assert by_node["ws-a01"]["reason_key"] == "switch.reason.locked"
    assert by_node["ws-b01"]["outcome"] == "switched"
    assert [
        packet.mac for packet in server.state.wol_packets if packet.mac.startswith("02:1a:b5:00:0a")
    ] == []
    lease = server.state.get("leases", "labshift-system", "labshift-switch-a")
    assert lease["spec"]["holderIdentity"] == "awx-job-41"
    assert ("leases", "labshift-system", "labshift-switch-b") not in server.state.objects


def test_switch_rerun_after_crash_completes(sandbox: tuple[DoubleServer, Path]) -> None:
    server, inventory = sandbox
    with server.state.lock:
        for name in ("ws-a01", "ws-b01"):
            server.state.set_machine_state(name, "linux")
    time.sleep(1.0)
    deadline = (datetime.now(UTC) + timedelta(seconds=90)).isoformat(timespec="seconds")
    arguments = [
        "-e",
        "labshift_switch_direction=teaching",
        "-e",
        "labshift_switch_rooms=a,b",
        "-e",
        f"labshift_switch_deadline={deadline}",
        "-e",
        "labshift_switch_grace_minutes=0.25",
        "-e",
        "labshift_switch_lease_seconds=4",
        "-e",
        "labshift_switch_lock_wait_seconds=20",
        "--limit",
        "ws-a01,ws-b01",
    ]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))
    command = [
        str(ANSIBLE_PLAYBOOK),
        "-i",
        str(inventory),
        str(REPO_ROOT / "playbooks" / "switch.yml"),
        *arguments,
    ]

    # The first run dies (SIGKILL to its whole process group) once it has cordoned the nodes.
    first = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(600):
            with server.state.lock:
                nodes = [server.state.objects.get(("nodes", "", name)) for name in ("ws-a01", "ws-b01")]
            if all(node and node.get("spec", {}).get("unschedulable") for node in nodes):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the first run never cordoned the nodes")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert server.state.get("leases", "labshift-system", "labshift-switch-a")["spec"]["holderIdentity"]

    second = run_switch(inventory, *arguments)

    assert second.returncode == 0, second.stdout[-3000:]
    report = latest_report(inventory, "teaching")
    assert outcomes(report) == {"ws-a01": "switched", "ws-b01": "switched"}
    for node in report["nodes"]:
        assert datetime.fromisoformat(node["finished_at"]) <= datetime.fromisoformat(deadline)
    assert server.state.list("leases", "labshift-system") == []
