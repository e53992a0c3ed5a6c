"""Fault cases of the switch jobs against the Kubernetes API double (a double, not Kubernetes).

Each test drives the same functions the action plugins call, with timings in seconds instead of
minutes, and checks that the hand-back deadline holds and that the per-node result reports what
happened. The double serves the real Kubernetes HTTP API on loopback (tests/doubles/k8s_api.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi  # noqa: E402
from ansible_collections.labshift.lab.plugins.module_utils.k8s_nodes import (  # noqa: E402
    Runtime,
    active,
    check_disruption,
    confirm_left,
    cordon_nodes,
    drain_nodes,
    drain_started_at,
    join_nodes,
    notify_pods,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch import (  # noqa: E402
    CLOSES_AT_ANNOTATION,
    MODE_LABEL,
    HandbackTimeline,
    NodeResult,
    Outcome,
    SwitchSettings,
    handback_failures,
    handback_timeline,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_lock import (  # noqa: E402
    acquire,
    lease_name,
    release,
)
from tests.doubles.k8s_api import DoubleServer, Machine, running_double  # noqa: E402

pytestmark = pytest.mark.integration

SETTINGS = SwitchSettings(
    grace_seconds=0.5,
    handback_reserve_seconds=1.5,
    join_timeout_seconds=3.0,
    leave_min_seconds=1.0,
    poll_seconds=0.1,
    lease_seconds=2.0,
    lock_wait_seconds=0.0,
    workers=8,
)
# Slack for thread scheduling on a loaded 2-core machine; deadlines are checked against it.
SLACK = timedelta(seconds=1.5)


@dataclass
class Lab:
    server: DoubleServer
    api: KubeApi

    def create_pod(
        self,
        name: str,
        node: str,
        labels: dict[str, str] | None = None,
        ignore_sigterm: bool = False,
        grace: int = 30,
    ) -> None:
        annotations = {"double.labshift.io/ignore-sigterm": "true"} if ignore_sigterm else {}
        self.api.core.create_namespaced_pod(
            "default",
            cast(
                Any,
                {
                    "metadata": {
                        "name": name,
                        "labels": labels or {"app": "notebook"},
                        "annotations": annotations,
                    },
                    "spec": {
                        "nodeName": node,
                        "terminationGracePeriodSeconds": grace,
                        "containers": [{"name": "main", "image": "jupyter/minimal-notebook"}],
                    },
                },
            ),
        )

    def pod_names(self) -> list[str]:
        return sorted(pod.name for pod in self.api.list_pods())


def machines(*specs: tuple[str, str, str]) -> list[Machine]:
    return [
        Machine(
            name=name,
            mac=f"02:00:00:00:00:{index:02x}",
            room="a",
            state=state,
            behaviour=behaviour,
            boot_seconds=0.3,
        )
        for index, (name, state, behaviour) in enumerate(specs, start=1)
    ]


LabFactory = Callable[[list[Machine]], Lab]


@pytest.fixture
def lab_factory(tmp_path: Path) -> Iterator[LabFactory]:
    labs: list[Lab] = []
    contexts = []

    def make(machine_list: list[Machine]) -> Lab:
        context = running_double(tmp_path / f"kubeconfig-{len(labs)}", machine_list, leave_seconds=0.2)
        server = context.__enter__()
        contexts.append(context)
        lab = Lab(server, KubeApi(str(tmp_path / f"kubeconfig-{len(labs)}"), pool_size=8))
        labs.append(lab)
        return lab

    yield make
    for context in contexts:
        context.__exit__(None, None, None)


def results_for(names: list[str]) -> dict[str, NodeResult]:
    return {name: NodeResult(node=name, room="a") for name in names}


def run_handback(
    lab: Lab,
    results: dict[str, NodeResult],
    timeline: HandbackTimeline,
    leave_machines: list[str],
    unreachable: dict[str, str] | None = None,
) -> None:
    """Cordon, drain, let the machines in ``leave_machines`` boot the teaching system, confirm."""
    runtime = Runtime.real()
    views = lab.api.list_nodes()
    present = cordon_nodes(lab.api, results, views, timeline, SETTINGS, runtime)
    stuck = drain_nodes(lab.api, results, present, timeline, SETTINGS, runtime)
    with lab.server.state.lock:
        for name in leave_machines:
            lab.server.state.set_machine_state(name, "teaching")
    confirm_left(lab.api, results, timeline, SETTINGS, runtime, unreachable or {}, stuck)


def test_join_reports_node_that_never_wakes(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "booting", "normal"), ("ws-2", "off", "never_wakes")))
    with lab.server.state.lock:
        lab.server.state.set_machine_state("ws-1", "linux")
    results = results_for(["ws-1", "ws-2"])
    started = datetime.now(UTC)
    deadline = started + timedelta(seconds=2)

    join_nodes(lab.api, results, deadline, SETTINGS, Runtime.real())

    assert datetime.now(UTC) <= deadline + SLACK
    assert results["ws-1"].outcome == Outcome.SWITCHED
    assert results["ws-2"].outcome == Outcome.FAILED
    assert results["ws-2"].reason_key == "switch.reason.never_registered"
    node = lab.api.list_nodes()["ws-1"]
    assert node.labels[MODE_LABEL] == "platform"
    assert node.unschedulable is False


def test_join_reports_node_never_ready(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal"), ("ws-2", "linux", "never_ready")))
    time.sleep(0.3)
    results = results_for(["ws-1", "ws-2"])
    deadline = datetime.now(UTC) + timedelta(seconds=1.5)

    join_nodes(lab.api, results, deadline, SETTINGS, Runtime.real())

    assert datetime.now(UTC) <= deadline + SLACK
    assert results["ws-1"].outcome == Outcome.SWITCHED
    assert results["ws-2"].outcome == Outcome.FAILED
    assert results["ws-2"].reason_key == "switch.reason.not_ready"
    assert "cni plugin not initialized" in results["ws-2"].reason("en")
    assert lab.api.list_nodes()["ws-2"].labels.get(MODE_LABEL) != "platform"


def test_drain_blocked_by_disruption_budget(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal")))
    time.sleep(0.3)
    lab.create_pod("hub-0", "ws-1", {"app": "hub"})
    lab.create_pod("notebook-alice", "ws-1")
    budget = {
        "metadata": {"name": "hub"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "hub"}}},
    }
    lab.api.policy.create_namespaced_pod_disruption_budget("default", cast(Any, budget))
    findings = check_disruption(lab.api, ["ws-1"])
    assert [finding["budget"] for finding in findings] == ["default/hub"]
    assert findings[0]["pods"] == ["default/hub-0"]

    results = results_for(["ws-1"])
    now = datetime.now(UTC)
    timeline = handback_timeline(now, now + timedelta(seconds=3.5), SETTINGS)
    run_handback(lab, results, timeline, ["ws-1"])

    result = results["ws-1"]
    assert result.outcome == Outcome.SWITCHED
    assert result.evicted == 1
    assert result.forced == 1
    assert any("disruption budget hub" in blocked for blocked in result.blocked_by)
    assert lab.pod_names() == []
    assert datetime.now(UTC) <= timeline.deadline + SLACK
    assert "ws-1" not in lab.api.list_nodes()


def test_pod_ignoring_sigterm_is_force_deleted(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal")))
    time.sleep(0.3)
    lab.create_pod("stubborn", "ws-1", ignore_sigterm=True, grace=600)
    results = results_for(["ws-1"])
    now = datetime.now(UTC)
    timeline = handback_timeline(now, now + timedelta(seconds=3), SETTINGS)

    runtime = Runtime.real()
    present = cordon_nodes(lab.api, results, lab.api.list_nodes(), timeline, SETTINGS, runtime)
    time.sleep(0.6)
    lab.api.evict_pod(next(pod for pod in lab.api.list_pods() if pod.name == "stubborn"))
    time.sleep(0.5)
    terminating = [pod for pod in lab.api.list_pods() if pod.name == "stubborn"]
    assert terminating and terminating[0].terminating, (
        "the pod must stay Terminating while it ignores SIGTERM"
    )

    stuck = drain_nodes(lab.api, results, present, timeline, SETTINGS, runtime)

    assert stuck == {}
    assert results["ws-1"].forced == 1
    assert lab.pod_names() == []
    assert datetime.now(UTC) <= timeline.force_at + SLACK


def test_unreachable_node_fails_handback_in_time(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal"), ("ws-2", "linux", "unreachable")))
    time.sleep(0.3)
    lab.create_pod("notebook-bob", "ws-2")
    results = results_for(["ws-1", "ws-2"])
    now = datetime.now(UTC)
    timeline = handback_timeline(now, now + timedelta(seconds=3), SETTINGS)

    run_handback(lab, results, timeline, ["ws-1", "ws-2"], unreachable={"ws-2": "ssh: connect timed out"})

    assert datetime.now(UTC) <= timeline.leave_until + SLACK
    assert results["ws-1"].outcome == Outcome.SWITCHED
    assert results["ws-2"].outcome == Outcome.FAILED
    assert results["ws-2"].reason_key == "switch.reason.unreachable"
    assert "ssh: connect timed out" in results["ws-2"].reason("en")
    assert [result.node for result in handback_failures("teaching", list(results.values()))] == ["ws-2"]


def test_machine_that_keeps_running_linux_fails(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal")))
    time.sleep(0.3)
    results = results_for(["ws-1"])
    now = datetime.now(UTC)
    timeline = handback_timeline(now, now + timedelta(seconds=2), SETTINGS)

    run_handback(lab, results, timeline, leave_machines=[])

    assert results["ws-1"].outcome == Outcome.FAILED
    assert results["ws-1"].reason_key == "switch.reason.still_in_cluster"
    assert datetime.now(UTC) <= timeline.leave_until + SLACK


def test_overlapping_runs_exclude_each_other(lab_factory: LabFactory) -> None:
    lab = lab_factory([])
    lab.api.ensure_namespace("labshift-system")
    first = acquire(lab.api, "labshift-system", "a", "run-1", lease_seconds=30, wait_seconds=0)
    second = acquire(
        lab.api, "labshift-system", "a", "run-2", lease_seconds=30, wait_seconds=0.5, poll_seconds=0.1
    )
    other_room = acquire(lab.api, "labshift-system", "b", "run-2", lease_seconds=30, wait_seconds=0)

    assert first.acquired
    assert not second.acquired
    assert second.holder == "run-1"
    assert other_room.acquired
    assert release(lab.api, "labshift-system", "a", "run-2") is False
    assert release(lab.api, "labshift-system", "a", "run-1") is True
    assert lab.api.read_lease("labshift-system", lease_name("a")) is None
    assert acquire(lab.api, "labshift-system", "a", "run-2", lease_seconds=30, wait_seconds=0).acquired


def test_rerun_after_crash_completes_handback(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal"), ("ws-2", "linux", "normal")))
    time.sleep(0.3)
    lab.create_pod("notebook-carol", "ws-1")
    lab.create_pod("notebook-dave", "ws-2")
    lab.api.ensure_namespace("labshift-system")
    deadline = datetime.now(UTC) + timedelta(seconds=6)

    # The first run takes the lock, cordons ws-1 only, then its controller dies.
    crashed = acquire(lab.api, "labshift-system", "a", "crashed-run", SETTINGS.lease_seconds, 0)
    assert crashed.acquired
    first_start = datetime.now(UTC)
    first_results = results_for(["ws-1"])
    timeline = handback_timeline(first_start, deadline, SETTINGS)
    cordon_nodes(lab.api, first_results, lab.api.list_nodes(), timeline, SETTINGS, Runtime.real())
    time.sleep(0.3)

    # The re-run waits for the expired Lease, keeps the first grace period and finishes both nodes.
    lock = acquire(
        lab.api, "labshift-system", "a", "rerun", SETTINGS.lease_seconds, wait_seconds=4, poll_seconds=0.1
    )
    assert lock.acquired
    views = lab.api.list_nodes()
    assert views["ws-1"].unschedulable
    assert views["ws-1"].annotations[CLOSES_AT_ANNOTATION]
    started = drain_started_at(views, ["ws-1", "ws-2"])
    assert started is not None
    assert abs((started - first_start).total_seconds()) < 1.5
    results = results_for(["ws-1", "ws-2"])
    rerun_timeline = handback_timeline(datetime.now(UTC), deadline, SETTINGS, started)
    assert rerun_timeline.evict_at <= datetime.now(UTC) + timedelta(seconds=0.1)
    run_handback(lab, results, rerun_timeline, ["ws-1", "ws-2"])

    assert [results[name].outcome for name in ("ws-1", "ws-2")] == [Outcome.SWITCHED, Outcome.SWITCHED]
    assert active(results) == []
    assert lab.pod_names() == []
    assert lab.api.list_nodes() == {}
    assert datetime.now(UTC) <= deadline + SLACK


def test_notice_reaches_user_pods_only(lab_factory: LabFactory) -> None:
    lab = lab_factory(machines(("ws-1", "linux", "normal")))
    time.sleep(0.3)
    lab.create_pod("notebook-erin", "ws-1")
    with lab.server.state.lock:
        lab.server.state.put_new(
            "pods",
            "kube-system",
            {
                "metadata": {
                    "name": "nvidia-device-plugin-ws-1",
                    "ownerReferences": [{"kind": "DaemonSet", "name": "nvidia-device-plugin", "uid": "u1"}],
                },
                "spec": {"nodeName": "ws-1"},
            },
        )

    count = notify_pods(lab.api, ["ws-1"], "Room A closes at 19:55", "2026-03-02T19:55:00+08:00", SETTINGS)

    pods = {key[2]: pod for key, pod in lab.server.state.objects.items() if key[0] == "pods"}
    assert count == 1
    user_annotations = pods["notebook-erin"]["metadata"]["annotations"]
    assert user_annotations[CLOSES_AT_ANNOTATION] == "2026-03-02T19:55:00+08:00"
    assert user_annotations["labshift.io/notice"] == "Room A closes at 19:55"
    assert CLOSES_AT_ANNOTATION not in (
        pods["nvidia-device-plugin-ws-1"]["metadata"].get("annotations") or {}
    )
