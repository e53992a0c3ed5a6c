"""The switch jobs' Kubernetes calls against a real cluster, when KUBECONFIG names one.

Skipped otherwise. The tests read nodes, pods and disruption budgets and create and delete one
Lease in the ``default`` namespace. They never cordon, drain or delete a node.
"""

from __future__ import annotations

import os
import uuid

import pytest

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi
from ansible_collections.labshift.lab.plugins.module_utils.k8s_nodes import check_disruption, node_snapshot
from ansible_collections.labshift.lab.plugins.module_utils.switch_lock import acquire, lease_name, release

KUBECONFIG = os.environ.get("KUBECONFIG", "")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.real_cluster,
    pytest.mark.skipif(
        not KUBECONFIG, reason="KUBECONFIG is not set, so there is no real cluster to test against"
    ),
]


@pytest.fixture
def api() -> KubeApi:
    return KubeApi(KUBECONFIG.split(os.pathsep)[0])


def test_real_cluster_node_snapshot(api: KubeApi) -> None:
    views = api.list_nodes()
    snapshot = node_snapshot(api, list(views))

    assert views, "a cluster has at least one node"
    for name, node in snapshot.items():
        assert node["registered"], name
        assert node["ready"] in ("True", "False", "Unknown")


def test_real_cluster_disruption_check(api: KubeApi) -> None:
    findings = check_disruption(api, list(api.list_nodes()))

    for finding in findings:
        assert finding["disruptions_allowed"] < len(finding["pods"])
        assert "/" in finding["budget"]


def test_real_cluster_lease_lock(api: KubeApi) -> None:
    room = f"pytest-{uuid.uuid4().hex[:8]}"
    try:
        first = acquire(api, "default", room, "pytest-run-1", lease_seconds=60, wait_seconds=0)
        second = acquire(api, "default", room, "pytest-run-2", lease_seconds=60, wait_seconds=0)

        assert first.acquired
        assert not second.acquired
        assert second.holder == "pytest-run-1"
        assert release(api, "default", room, "pytest-run-1")
        assert api.read_lease("default", lease_name(room)) is None
    finally:
        api.delete_lease("default", lease_name(room))
