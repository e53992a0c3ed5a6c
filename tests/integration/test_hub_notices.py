"""Room-closing notices against a real JupyterHub on loopback (tests/real_hub.py).

JupyterHub, configurable-http-proxy, the jupyterhub-announcement service and the users' Jupyter
servers are the real programs. Kubernetes is the API double (tests/doubles/k8s_api.py): its pods
carry the annotations KubeSpawner sets, pointing at the users whose servers run on the hub.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from ansible_collections.labshift.lab.plugins.module_utils.hub_notice import (  # noqa: E402
    NOTICE_MARKER,
    HubClient,
    HubError,
    UserServer,
)
from tests.doubles.k8s_api import DoubleServer, Machine, free_port, running_double  # noqa: E402
from tests.real_hub import RealHub, running_hub  # noqa: E402

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
NOTICE = "LabShift-room-closing.txt"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealHub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as real_hub:
        real_hub.start_servers(["alice", "bob", "dave"])
        real_hub.create_user("carol")
        yield real_hub


def user_pod(name: str, node: str, user: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"component": "singleuser-server"},
            "annotations": {"hub.jupyter.org/username": user},
        },
        "spec": {"nodeName": node},
    }


def write_inventory(directory: Path, kubeconfig: Path, double_url: str, hub_url: str, token: str) -> Path:
    machines = {"room_a": ["ws-a01", "ws-a02"], "room_b": ["ws-b01"]}
    hosts = {
        "all": {
            "children": {
                "workstations": {
                    "children": {
                        group: {"hosts": {name: {"workstation_mac": "02:1a:b5:00:00:01"} for name in names}}
                        for group, names in machines.items()
                    }
                }
            }
        }
    }
    sandbox = yaml.safe_load(
        (REPO_ROOT / "inventories/sandbox/group_vars/all/switch.yml").read_text(encoding="utf-8")
    )
    settings: dict[str, Any] = {
        **sandbox,
        "labshift_language": "en",
        "labshift_timezone": "Asia/Shanghai",
        "labshift_output_dir": str(directory / "output"),
        "labshift_rooms": {
            "a": {"group": "room_a", "name": {"zh": "A 机房", "en": "Room A"}},
            "b": {"group": "room_b", "name": {"zh": "B 机房", "en": "Room B"}},
        },
        "labshift_switch_kubeconfig": str(kubeconfig),
        "labshift_switch_grace_minutes": 0.02,
        "labshift_switch_handback_reserve_minutes": 0.25,
        "labshift_switch_leave_min_minutes": 0.05,
        "labshift_switch_poll_seconds": 0.2,
        "labshift_switch_teaching_boot": "none",
        "labshift_switch_sandbox_machines_url": f"{double_url}/labshift-double/machines",
        "labshift_switch_hub_url": hub_url,
        "labshift_switch_hub_token": token,
        "labshift_switch_report_dir": str(directory / "output" / "switch"),
    }
    inventory = directory / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8"
    )
    return inventory


def run_teaching(inventory: Path, deadline: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default")
    command = [
        str(ANSIBLE_PLAYBOOK),
        "-i",
        str(inventory),
        str(REPO_ROOT / "playbooks" / "switch.yml"),
        "-e",
        "labshift_switch_direction=teaching",
        "-e",
        "labshift_switch_rooms=a",
        "-e",
        f"labshift_switch_deadline={deadline}",
    ]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=240
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[DoubleServer, Path]]:
    machines = [
        Machine(name=name, mac="02:1a:b5:00:00:01", room=name[3], state="linux", boot_seconds=0.2)
        for name in ("ws-a01", "ws-a02", "ws-b01")
    ]
    kubeconfig = tmp_path / "kubeconfig"
    with running_double(kubeconfig, machines, wol_port=free_port(), leave_seconds=0.2) as server:
        yield server, kubeconfig


def test_handback_notifies_the_users_of_the_room(
    hub: RealHub, cluster: tuple[DoubleServer, Path], tmp_path: Path
) -> None:
    server, kubeconfig = cluster
    # bob keeps a file of the notice's name that he wrote himself.
    (hub.home("bob") / NOTICE).write_text("bob's own notes\n", encoding="utf-8")
    with server.state.lock:
        for name, node, user in (
            ("jupyter-alice", "ws-a01", "alice"),
            ("jupyter-bob", "ws-a02", "bob"),
            ("jupyter-carol", "ws-a02", "carol"),  # a pod whose hub server is not running
            ("jupyter-dave", "ws-b01", "dave"),  # room b is not handed back in this run
        ):
            server.state.put_new("pods", "default", user_pod(name, node, user))
    deadline = (datetime.now(UTC) + timedelta(seconds=40)).isoformat(timespec="seconds")
    inventory = write_inventory(tmp_path, kubeconfig, server.url, hub.url, hub.switch_token)

    run = run_teaching(inventory, deadline)

    assert run.returncode == 0, run.stdout[-4000:]
    latest = html.unescape(hub.latest_announcement())
    assert "Room A returns to teaching" in latest
    assert "A 机房即将恢复上课使用：" in latest, "full-width punctuation must survive the sanitizer"
    assert "Room B" not in latest
    alice_notice = (hub.home("alice") / NOTICE).read_text(encoding="utf-8")
    assert alice_notice.startswith(NOTICE_MARKER)
    assert "Room A returns to teaching" in alice_notice
    assert "Save your work before" in alice_notice
    assert "A 机房" in alice_notice
    assert (hub.home("bob") / NOTICE).read_text(encoding="utf-8") == "bob's own notes\n"
    assert not (hub.home("dave") / NOTICE).exists()
    assert not (hub.home("carol") / NOTICE).exists()

    report = json.loads((tmp_path / "output/switch/latest-teaching.json").read_text(encoding="utf-8"))
    assert report["hub"]["announced"] is True
    notices = report["hub"]["server_notices"]
    assert notices["ws-a01"] == ["alice: written"]
    bob, carol = notices["ws-a02"]
    assert bob.startswith("bob: ")
    assert "left untouched" in bob
    assert carol.startswith("carol: ")
    assert "not running" in carol
    text = (tmp_path / "output/switch/latest-teaching.txt").read_text(encoding="utf-8")
    assert "1 user servers got the notice, 2 did not" in text
    assert {node["outcome"] for node in report["nodes"] if node["room"] == "a"} == {"switched"}


def test_notices_not_repeated_on_rerun(hub: RealHub) -> None:
    client = HubClient(hub.url, hub.switch_token)
    notice = "A 机房：2027-03-01 10:00（UTC+08:00）关闭。\nRoom A closes at 2027-03-01 10:00 (UTC+08:00)."
    before = len(hub.announcements())

    assert client.announce("/services/announcement/", notice) is True
    assert client.announce("/services/announcement/", notice) is False
    assert len(hub.announcements()) == before + 1

    alice = UserServer(user="alice", server="", node="ws-a01")
    assert client.write_notice(alice, "repeat-notice.txt", notice) == "written"
    assert client.write_notice(alice, "repeat-notice.txt", notice) == "unchanged"
    assert "2027-03-01 10:00" in (hub.home("alice") / "repeat-notice.txt").read_text(encoding="utf-8")


def test_announce_without_admin_role_fails_clearly(hub: RealHub) -> None:
    status, token = hub.api("POST", "hub/api/users/dave/tokens", {"scopes": ["access:servers!user=dave"]})
    assert status == 201, token
    client = HubClient(hub.url, token["token"])

    with pytest.raises(HubError) as raised:
        client.announce("/services/announcement/", "Room A closes at 10:00")

    assert "admin role" in raised.value.message("en")
    assert "labshift_switch_hub_token" in raised.value.message("zh")


def test_announce_to_unreachable_hub_raises_hub_error() -> None:
    client = HubClient(f"http://127.0.0.1:{free_port()}/", "no-token", timeout=2)

    with pytest.raises(HubError) as raised:
        client.announce("/services/announcement/", "Room A closes at 10:00")

    assert "127.0.0.1" in raised.value.message("en")
