"""Node operations of the switch jobs, batched per run and concurrent per node.

Each loop lists nodes or pods once per poll for all target nodes, so the number of API calls per
node does not grow with the room size. Every wait ends at a deadline passed in by the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import (
    KubeApi,
    KubeApiError,
    NodeView,
    PodView,
    label_selector_matches,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch import (
    CLOSES_AT_ANNOTATION,
    DRAIN_STARTED_ANNOTATION,
    HOLD_ANNOTATION,
    MODE_LABEL,
    NOTICE_ANNOTATION,
    ROOM_LABEL,
    HandbackTimeline,
    NodeResult,
    Outcome,
    SwitchSettings,
    parse_time,
)


@dataclass
class Runtime:
    """Clock, sleep and lock renewal, injected so tests can drive time."""

    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    renew: Callable[[], None]

    @classmethod
    def real(cls, renew: Callable[[], None] | None = None) -> Runtime:
        return cls(clock=lambda: datetime.now(UTC), sleep=time.sleep, renew=renew or (lambda: None))

    def wait_until(self, moment: datetime, poll_seconds: float) -> None:
        """Sleep until ``moment``, renewing the lock at every poll."""
        while True:
            remaining = (moment - self.clock()).total_seconds()
            if remaining <= 0:
                return
            self.renew()
            self.sleep(min(poll_seconds, remaining))


def _run_all(workers: int, function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    if not items:
        return []
    if len(items) == 1:
        return [function(items[0])]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(function, items))


def apply_annotation_holds(
    views: Mapping[str, NodeView], results: Mapping[str, NodeResult], now: datetime
) -> None:
    """Mark nodes whose Node object carries the hold annotation as held."""
    for name, result in results.items():
        view = views.get(name)
        if view is not None and view.annotations.get(HOLD_ANNOTATION) and result.outcome == Outcome.SKIPPED:
            result.finish(Outcome.HELD, "switch.reason.held", now, reason=view.annotations[HOLD_ANNOTATION])


def active(results: Mapping[str, NodeResult]) -> list[str]:
    """Return the nodes still to work on: not held, not locked out and not finished."""
    return sorted(
        name
        for name, result in results.items()
        if result.outcome == Outcome.SKIPPED and result.reason_key == "switch.reason.not_attempted"
    )


# --- switch to platform --------------------------------------------------------------------------


def join_nodes(
    api: KubeApi,
    results: Mapping[str, NodeResult],
    deadline: datetime,
    settings: SwitchSettings,
    runtime: Runtime,
    run_started: datetime | None = None,
) -> None:
    """Wait for each node to be Ready, then uncordon it and label it as platform.

    Nodes that are not Ready at ``deadline`` are reported as failed; the others are switched as
    soon as they arrive. The join time in each result counts from ``run_started`` (the start of
    the run, before power-on) when given.
    """
    started = run_started or runtime.clock()
    views = api.list_nodes()
    apply_annotation_holds(views, results, runtime.clock())
    pending = set(active(results))
    while pending:
        ready = sorted(name for name in pending if name in views and views[name].ready == "True")

        def make_platform(name: str, views: Mapping[str, NodeView] = views) -> tuple[str, bool]:
            view = views[name]
            if view.labels.get(MODE_LABEL) == "platform" and not view.unschedulable:
                return name, False
            api.patch_node(
                name,
                {
                    "spec": {"unschedulable": False},
                    "metadata": {
                        "labels": {MODE_LABEL: "platform", ROOM_LABEL: results[name].room},
                        "annotations": {DRAIN_STARTED_ANNOTATION: None, CLOSES_AT_ANNOTATION: None},
                    },
                },
            )
            return name, True

        for name, changed in _run_all(settings.workers, make_platform, ready):
            now = runtime.clock()
            if changed:
                results[name].finish(
                    Outcome.SWITCHED, "switch.reason.joined", now, seconds=(now - started).total_seconds()
                )
            else:
                results[name].finish(Outcome.SWITCHED, "switch.reason.already_platform", now)
            pending.discard(name)
        if not pending or runtime.clock() >= deadline:
            break
        runtime.renew()
        runtime.sleep(min(settings.poll_seconds, max((deadline - runtime.clock()).total_seconds(), 0.01)))
        views = api.list_nodes()
    now = runtime.clock()
    shown = deadline.isoformat(timespec="seconds")
    for name in sorted(pending):
        view = views.get(name)
        if view is None:
            results[name].finish(Outcome.FAILED, "switch.reason.never_registered", now, deadline=shown)
        else:
            results[name].finish(
                Outcome.FAILED,
                "switch.reason.not_ready",
                now,
                deadline=shown,
                detail=view.ready_message or view.ready,
            )


# --- switch to teaching --------------------------------------------------------------------------


def pods_to_drain(pods: Iterable[PodView], nodes: Iterable[str]) -> dict[str, list[PodView]]:
    """Group the pods that draining removes by node; DaemonSet and mirror pods stay, as with
    ``kubectl drain --ignore-daemonsets``, because the reboot ends them anyway."""
    targets = set(nodes)
    grouped: dict[str, list[PodView]] = {node: [] for node in targets}
    for pod in pods:
        if pod.node in targets and not pod.daemonset and not pod.mirror:
            grouped[pod.node].append(pod)
    return grouped


def check_disruption(api: KubeApi, nodes: Sequence[str]) -> list[dict[str, Any]]:
    """Report the PodDisruptionBudgets that would block evicting the pods on ``nodes``."""
    grouped = pods_to_drain(api.list_pods(), nodes)
    pods = [pod for node_pods in grouped.values() for pod in node_pods]
    findings: list[dict[str, Any]] = []
    for pdb in api.list_disruption_budgets():
        metadata = pdb.get("metadata") or {}
        selector = (pdb.get("spec") or {}).get("selector") or {}
        covered = [
            pod
            for pod in pods
            if pod.namespace == metadata.get("namespace") and label_selector_matches(selector, pod.labels)
        ]
        allowed = int((pdb.get("status") or {}).get("disruptionsAllowed") or 0)
        if covered and allowed < len(covered):
            findings.append(
                {
                    "budget": f"{metadata.get('namespace')}/{metadata.get('name')}",
                    "disruptions_allowed": allowed,
                    "pods": sorted(pod.key for pod in covered),
                    "nodes": sorted({pod.node for pod in covered}),
                }
            )
    return findings


def cordon_nodes(
    api: KubeApi,
    results: Mapping[str, NodeResult],
    views: Mapping[str, NodeView],
    timeline: HandbackTimeline,
    settings: SwitchSettings,
    runtime: Runtime,
) -> list[str]:
    """Cordon and mark the registered target nodes; returns the nodes that are in the cluster."""
    present = [name for name in active(results) if name in views]

    def cordon(name: str) -> None:
        view = views[name]
        started = view.annotations.get(DRAIN_STARTED_ANNOTATION) or timeline.started.isoformat(
            timespec="seconds"
        )
        api.patch_node(
            name,
            {
                "spec": {"unschedulable": True},
                "metadata": {
                    "labels": {MODE_LABEL: "teaching"},
                    "annotations": {
                        DRAIN_STARTED_ANNOTATION: started,
                        CLOSES_AT_ANNOTATION: timeline.force_at.isoformat(timespec="seconds"),
                    },
                },
            },
        )

    _run_all(settings.workers, cordon, present)
    return present


def drain_started_at(views: Mapping[str, NodeView], nodes: Iterable[str]) -> datetime | None:
    """Return the earliest recorded drain start among ``nodes``, so a re-run keeps the grace period."""
    moments = [
        parse_time(views[name].annotations[DRAIN_STARTED_ANNOTATION])
        for name in nodes
        if name in views and views[name].annotations.get(DRAIN_STARTED_ANNOTATION)
    ]
    return min(moments) if moments else None


def notify_pods(
    api: KubeApi, nodes: Sequence[str], notice: str, closes_at: str, settings: SwitchSettings
) -> int:
    """Annotate every user pod on ``nodes`` with the closing time and notice; returns the count."""
    pods = [pod for node_pods in pods_to_drain(api.list_pods(), nodes).values() for pod in node_pods]
    annotations = {CLOSES_AT_ANNOTATION: closes_at, NOTICE_ANNOTATION: notice}
    _run_all(settings.workers, lambda pod: api.annotate_pod(pod, annotations), pods)
    return len(pods)


def drain_nodes(
    api: KubeApi,
    results: Mapping[str, NodeResult],
    nodes: Sequence[str],
    timeline: HandbackTimeline,
    settings: SwitchSettings,
    runtime: Runtime,
) -> dict[str, list[str]]:
    """Evict the pods on ``nodes`` from ``timeline.evict_at``, respecting disruption budgets, and
    delete what is left at ``timeline.force_at`` with a zero grace period.

    Returns the pods still present per node after the hard deadline (normally none).
    """
    runtime.wait_until(timeline.evict_at, settings.poll_seconds)
    evicted: set[str] = set()
    while True:
        grouped = pods_to_drain(api.list_pods(), nodes)
        remaining = [pod for node_pods in grouped.values() for pod in node_pods]
        if not remaining or runtime.clock() >= timeline.force_at:
            break
        to_evict = [pod for pod in remaining if not pod.terminating]

        def evict(pod: PodView) -> tuple[PodView, str | None]:
            try:
                api.evict_pod(pod)
            except KubeApiError as error:
                if error.status == 404:
                    return pod, None
                causes = (error.body.get("details") or {}).get("causes") or []
                detail = "; ".join(str(cause.get("message")) for cause in causes) or str(
                    error.params["message"]
                )
                return pod, f"{pod.key}: {detail}"
            return pod, None

        for pod, blocked in _run_all(settings.workers, evict, to_evict):
            result = results[pod.node]
            if blocked is None:
                if pod.key not in evicted:
                    evicted.add(pod.key)
                    result.evicted += 1
            elif blocked not in result.blocked_by:
                result.blocked_by.append(blocked)
        runtime.renew()
        left = (timeline.force_at - runtime.clock()).total_seconds()
        runtime.sleep(min(settings.poll_seconds, max(left, 0.01)))

    # The hard deadline: whatever is left goes now, so the node is free no matter what.
    grouped = pods_to_drain(api.list_pods(), nodes)
    leftover = [pod for node_pods in grouped.values() for pod in node_pods]

    def force(pod: PodView) -> PodView:
        api.delete_pod(pod, grace_seconds=0)
        return pod

    for pod in _run_all(settings.workers, force, leftover):
        results[pod.node].forced += 1
    grouped = pods_to_drain(api.list_pods(), nodes)
    return {node: [pod.key for pod in pods] for node, pods in grouped.items() if pods}


def confirm_left(
    api: KubeApi,
    results: Mapping[str, NodeResult],
    timeline: HandbackTimeline,
    settings: SwitchSettings,
    runtime: Runtime,
    unreachable: Mapping[str, str],
    stuck_pods: Mapping[str, list[str]],
) -> None:
    """Wait until each node stops reporting Ready (its kubelet is gone), then delete the Node object.

    A node is switched when it left by the deadline and late when it left after it. It failed when
    it is still Ready at ``timeline.leave_until``, when pods were left on it, or when the reboot
    step could not reach it (its real state is then unknown even if the Node looks gone).
    """
    pending = set(active(results))
    shown = timeline.deadline.isoformat(timespec="seconds")
    while pending:
        views = api.list_nodes()
        gone = sorted(name for name in pending if name not in views or views[name].ready != "True")

        def remove(name: str, views: Mapping[str, NodeView] = views) -> str:
            if settings.delete_node_objects and name in views:
                api.delete_node(name)
            return name

        for name in _run_all(settings.workers, remove, gone):
            now = runtime.clock()
            result = results[name]
            pending.discard(name)
            if name in unreachable:
                ready = views[name].ready if name in views else "-"
                result.finish(
                    Outcome.FAILED, "switch.reason.unreachable", now, error=unreachable[name], ready=ready
                )
            elif stuck_pods.get(name):
                result.finish(
                    Outcome.FAILED, "switch.reason.drain_incomplete", now, pods=", ".join(stuck_pods[name])
                )
            elif now <= timeline.deadline:
                result.finish(
                    Outcome.SWITCHED,
                    "switch.reason.handed_back",
                    now,
                    evicted=result.evicted,
                    forced=result.forced,
                )
            else:
                result.finish(
                    Outcome.LATE,
                    "switch.reason.handed_back_late",
                    now,
                    deadline=shown,
                    evicted=result.evicted,
                    forced=result.forced,
                )
        if not pending or runtime.clock() >= timeline.leave_until:
            break
        runtime.renew()
        left = (timeline.leave_until - runtime.clock()).total_seconds()
        runtime.sleep(min(settings.poll_seconds, max(left, 0.01)))
    now = runtime.clock()
    for name in sorted(pending):
        if name in unreachable:
            results[name].finish(
                Outcome.FAILED, "switch.reason.unreachable", now, error=unreachable[name], ready="True"
            )
        else:
            results[name].finish(Outcome.FAILED, "switch.reason.still_in_cluster", now, deadline=shown)


def node_snapshot(api: KubeApi, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Return Ready, mode and hold of each named node, for planning power-on and for reports."""
    views = api.list_nodes()
    snapshot: dict[str, dict[str, Any]] = {}
    for name in names:
        view = views.get(name)
        snapshot[name] = {
            "registered": view is not None,
            "ready": view.ready if view else "",
            "mode": view.labels.get(MODE_LABEL, "") if view else "",
            "unschedulable": view.unschedulable if view else False,
            "hold": view.annotations.get(HOLD_ANNOTATION, "") if view else "",
        }
    return snapshot
