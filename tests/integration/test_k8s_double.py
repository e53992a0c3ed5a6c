"""The Kubernetes API double (tests/doubles/k8s_api.py) against the clients the project uses.

These tests pin the double's behaviour to the real API's: if the double drifted, the switch tests
that rely on it would prove nothing. The kubernetes Python client and kubernetes.core modules talk
to it over HTTP on loopback.
"""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import kubernetes
import pytest

from tests.ansible_run import run_local_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.doubles.k8s_api import (  # noqa: E402
    DoubleServer,
    Machine,
    free_port,
    label_selector_matches,
    parse_magic_packet,
    running_double,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def double(tmp_path: Path) -> Iterator[tuple[DoubleServer, Any, int]]:
    wol_port = free_port(socket.SOCK_DGRAM)
    machines = [
        Machine(name="ws-1", mac="02:00:00:00:00:01", room="a", state="linux"),
        Machine(name="ws-2", mac="02:00:00:00:00:02", room="b", boot_seconds=0.2),
    ]
    kubeconfig = tmp_path / "kubeconfig"
    with running_double(kubeconfig, machines, wol_port=wol_port, leave_seconds=0.2) as server:
        client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
        yield server, client, wol_port


def create_pod(
    core: Any,
    name: str,
    node: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    grace: int = 30,
) -> None:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{name}-rs", "uid": f"uid-{name}"}
    body = {
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": annotations or {},
            "ownerReferences": [owner],
        },
        "spec": {
            "nodeName": node,
            "terminationGracePeriodSeconds": grace,
            "containers": [{"name": "main", "image": "busybox"}],
        },
    }
    core.create_namespaced_pod("default", cast(Any, body))


def test_selectors_filter_lists(double: tuple[DoubleServer, Any, int]) -> None:
    _, client, _ = double
    core: Any = kubernetes.client.CoreV1Api(client)
    create_pod(core, "p1", "ws-1", {"app": "hub", "tier": "web"})
    create_pod(core, "p2", "ws-2", {"app": "notebook"})

    by_label = core.list_namespaced_pod("default", label_selector="app in (hub, proxy),tier")
    by_field = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=ws-2")
    by_room = core.list_node(label_selector="labshift.io/room=a")

    assert [pod.metadata.name for pod in by_label.items] == ["p1"]
    assert [pod.metadata.name for pod in by_field.items] == ["p2"]
    assert [node.metadata.name for node in by_room.items] == ["ws-1"]
    assert label_selector_matches("app!=hub,!tier", {"app": "notebook"})
    assert not label_selector_matches("app notin (notebook)", {"app": "notebook"})


def test_writes_follow_api_semantics(double: tuple[DoubleServer, Any, int]) -> None:
    _, client, _ = double
    core: Any = kubernetes.client.CoreV1Api(client)
    core.patch_node("ws-1", {"metadata": {"labels": {"a": "1", "kubernetes.io/os": None}}})
    core.patch_node("ws-1", [{"op": "add", "path": "/spec/unschedulable", "value": True}])
    node = core.read_node("ws-1")
    assert node.metadata.labels["a"] == "1"
    assert "kubernetes.io/os" not in node.metadata.labels
    assert node.spec.unschedulable is True

    coordination: Any = kubernetes.client.CoordinationV1Api(client)
    lease = coordination.create_namespaced_lease(
        "default", cast(Any, {"metadata": {"name": "l"}, "spec": {}})
    )
    stale = {"metadata": {"name": "l", "resourceVersion": "1"}, "spec": {"holderIdentity": "x"}}
    with pytest.raises(kubernetes.client.ApiException) as conflict:
        coordination.replace_namespaced_lease("l", "default", cast(Any, stale))
    assert conflict.value.status == 409
    with pytest.raises(kubernetes.client.ApiException) as exists:
        coordination.create_namespaced_lease("default", cast(Any, {"metadata": {"name": "l"}}))
    assert exists.value.status == 409
    current = {"metadata": {"name": "l", "resourceVersion": lease.metadata.resource_version}, "spec": {}}
    assert coordination.replace_namespaced_lease("l", "default", cast(Any, current)).metadata.name == "l"


def test_requests_without_token_are_rejected(double: tuple[DoubleServer, Any, int]) -> None:
    server, _, _ = double
    with pytest.raises(urllib.error.HTTPError) as rejected:
        urllib.request.urlopen(f"{server.url}/api/v1/nodes", timeout=5)
    assert rejected.value.code == 401


def test_eviction_honours_disruption_budget(double: tuple[DoubleServer, Any, int]) -> None:
    _, client, _ = double
    core: Any = kubernetes.client.CoreV1Api(client)
    policy: Any = kubernetes.client.PolicyV1Api(client)
    create_pod(core, "hub-0", "ws-1", {"app": "hub"})
    create_pod(core, "hub-1", "ws-1", {"app": "hub"})
    budget = {
        "metadata": {"name": "hub"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "hub"}}},
    }
    policy.create_namespaced_pod_disruption_budget("default", cast(Any, budget))
    eviction = {"metadata": {"name": "hub-0", "namespace": "default"}}

    core.create_namespaced_pod_eviction("hub-0", "default", cast(Any, eviction))
    status = policy.read_namespaced_pod_disruption_budget("hub", "default").status
    with pytest.raises(kubernetes.client.ApiException) as blocked:
        core.create_namespaced_pod_eviction(
            "hub-1", "default", cast(Any, dict(eviction, metadata={"name": "hub-1"}))
        )

    assert status.disruptions_allowed == 0
    assert blocked.value.status == 429
    body = json.loads(blocked.value.body or "{}")
    assert body["reason"] == "TooManyRequests"
    assert "disruption budget hub" in body["details"]["causes"][0]["message"]


def test_pod_ignoring_sigterm_stays_terminating(double: tuple[DoubleServer, Any, int]) -> None:
    _, client, _ = double
    core: Any = kubernetes.client.CoreV1Api(client)
    create_pod(core, "polite", "ws-1", {"app": "x"})
    create_pod(core, "stubborn", "ws-1", {"app": "x"}, {"double.labshift.io/ignore-sigterm": "true"}, grace=2)

    core.delete_namespaced_pod("polite", "default")
    core.delete_namespaced_pod("stubborn", "default")
    time.sleep(0.8)
    middle = {
        pod.metadata.name: pod.metadata.deletion_timestamp
        for pod in core.list_namespaced_pod("default").items
    }
    time.sleep(2.0)
    end = [pod.metadata.name for pod in core.list_namespaced_pod("default").items]

    assert list(middle) == ["stubborn"]
    assert middle["stubborn"] is not None
    assert end == []


def test_force_delete_removes_at_once(double: tuple[DoubleServer, Any, int]) -> None:
    server, client, _ = double
    core: Any = kubernetes.client.CoreV1Api(client)
    with server.state.lock:
        server.state.set_machine_state("ws-1", "off")
    create_pod(core, "orphan", "ws-1", {"app": "x"})
    core.delete_namespaced_pod("orphan", "default")
    time.sleep(0.5)
    assert [pod.metadata.name for pod in core.list_namespaced_pod("default").items] == ["orphan"]

    core.delete_namespaced_pod("orphan", "default", grace_period_seconds=0)

    assert core.list_namespaced_pod("default").items == []


def test_wol_boots_machine_and_kubelet_follows_power(double: tuple[DoubleServer, Any, int]) -> None:
    server, client, wol_port = double
    core: Any = kubernetes.client.CoreV1Api(client)
    magic = b"\xff" * 6 + bytes.fromhex("020000000002") * 16
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"\xff" * 6 + b"\x02" * 90, ("127.0.0.1", wol_port))
        sender.sendto(magic, ("127.0.0.1", wol_port))
    time.sleep(0.8)
    ready = {node.metadata.name: node.status.conditions[0].status for node in core.list_node().items}

    assert [packet.valid for packet in server.state.wol_packets] == [False, True]
    assert server.state.wol_packets[1].machine == "ws-2"
    assert ready == {"ws-1": "True", "ws-2": "True"}
    assert parse_magic_packet(magic + b"\x01\x02\x03\x04") == "02:00:00:00:00:02"
    assert parse_magic_packet(magic[:-1]) is None

    core.delete_node("ws-1")
    time.sleep(0.4)
    assert "ws-1" in [node.metadata.name for node in core.list_node().items], "a running kubelet re-registers"
    with server.state.lock:
        server.state.set_machine_state("ws-1", "teaching")
    time.sleep(0.6)
    conditions = core.read_node("ws-1").status.conditions or []
    assert [condition.status for condition in conditions] == ["Unknown"]


def test_kubernetes_core_modules_work(double: tuple[DoubleServer, Any, int], tmp_path: Path) -> None:
    server, client, _ = double
    core: Any = kubernetes.client.CoreV1Api(client)
    create_pod(core, "notebook", "ws-1", {"app": "notebook"})
    kubeconfig = tmp_path / "kubeconfig"
    playbook = tmp_path / "k8s.yml"
    playbook.write_text(
        f"""
- name: Talk to the double with kubernetes.core
  hosts: localhost
  gather_facts: false
  tasks:
    - name: List the nodes of room a
      kubernetes.core.k8s_info:
        kubeconfig: {kubeconfig}
        kind: Node
        label_selectors: ["labshift.io/room=a"]
      register: nodes
    - name: Drain ws-1 through the eviction API
      kubernetes.core.k8s_drain:
        kubeconfig: {kubeconfig}
        name: ws-1
        state: drain
        delete_options:
          wait_timeout: 10
    - name: Save the node names
      ansible.builtin.copy:
        content: "{{{{ nodes.resources | map(attribute='metadata.name') | list | to_json }}}}"
        dest: {tmp_path / "nodes.json"}
        mode: "0600"
""",
        encoding="utf-8",
    )
    result = run_local_playbook(playbook, timeout=120)

    assert result.returncode == 0, result.stdout[-2000:]
    assert json.loads((tmp_path / "nodes.json").read_text(encoding="utf-8")) == ["ws-1"]
    spec = core.read_node("ws-1").spec
    assert spec is not None
    assert spec.unschedulable is True
    assert core.list_namespaced_pod("default").items == []
    assert server.state.request_count > 0
