"""Action plugin labshift.lab.switch_nodes: the Kubernetes side of a switch run, batched per run."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi
from ansible_collections.labshift.lab.plugins.module_utils.k8s_nodes import (
    Runtime,
    active,
    apply_annotation_holds,
    check_disruption,
    confirm_left,
    cordon_nodes,
    drain_nodes,
    drain_started_at,
    join_nodes,
    node_snapshot,
    notify_pods,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch import (
    NodeResult,
    bilingual_notice,
    handback_timeline,
    parse_time,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_action import (
    KUBE_ARGUMENTS,
    SwitchAction,
    utc_now,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import (
    RunState,
    host_of_node,
    load_state,
    local_time,
    lock_renewer,
    results_of,
    settings_of,
    store_results,
    timeline_of,
)


def unreachable_hosts(state: RunState, hostvars: Mapping[str, Any], reach_var: str) -> dict[str, str]:
    """Map node names to the error of hosts that the reboot step could not reach or reboot."""
    errors: dict[str, str] = {}
    for node, host in host_of_node(state).items():
        if host not in hostvars:
            continue
        outcome = hostvars[host].get(reach_var)
        if isinstance(outcome, Mapping) and (outcome.get("unreachable") or outcome.get("failed")):
            errors[node] = str(outcome.get("msg") or "unreachable")[:200]
    return errors


class ActionModule(SwitchAction):
    """Inspect, join, drain or confirm that nodes left, for all rooms of the run at once."""

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        **KUBE_ARGUMENTS,
        "switch": {"type": "dict", "required": True},
        "action": {"type": "str", "required": True, "choices": ["inspect", "join", "drain", "leave"]},
        "reach_var": {"type": "str", "default": "__switch_reach"},
    }

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        state = load_state(args["switch"])
        settings = settings_of(state)
        api = self.kube(args, settings.workers)
        results = results_of(state)
        runtime = Runtime.real(lock_renewer(api, state, utc_now))
        action = args["action"]
        if action == "inspect":
            return self.inspect(api, state, results)
        if self.check_mode:
            return {"changed": False, "switch": state, "skipped_reason": "check mode changes no node"}
        if action == "join":
            deadline = max(parse_time(spec["deadline"]) for spec in state["rooms"].values())
            join_nodes(api, results, deadline, settings, runtime, parse_time(state["started_at"]))
        elif action == "drain":
            self.drain(api, state, results, runtime)
        else:
            reach_errors = unreachable_hosts(state, task_vars.get("hostvars") or {}, args["reach_var"])
            stuck = state.get("stuck_pods") or {}
            self.per_room(
                state,
                results,
                lambda room, nodes: confirm_left(
                    api, nodes, timeline_of(state, room), settings, runtime, reach_errors, stuck
                ),
            )
        return {"changed": True, "switch": store_results(state, results)}

    @staticmethod
    def per_room(state: RunState, results: Mapping[str, NodeResult], work: Any) -> None:
        """Run ``work(room, room_results)`` for every room at once; rooms have their own deadlines."""
        rooms = sorted(state["rooms"])
        by_room = {room: {name: r for name, r in results.items() if r.room == room} for room in rooms}
        with ThreadPoolExecutor(max_workers=max(1, len(rooms))) as pool:
            for future in [pool.submit(work, room, by_room[room]) for room in rooms]:
                future.result()

    def inspect(self, api: KubeApi, state: RunState, results: dict[str, NodeResult]) -> dict[str, Any]:
        apply_annotation_holds(api.list_nodes(), results, utc_now())
        names = active(results)
        snapshot = node_snapshot(api, names)
        hosts = host_of_node(state)
        targets: list[str] = []
        wol: dict[str, list[dict[str, str]]] = {}
        ipmi: list[dict[str, str]] = []
        for name in names:
            node = snapshot[name]
            host = hosts.get(name, name)
            spec = state["hosts"].get(host, {})
            if state["direction"] == "platform":
                if node["ready"] == "True" and node["mode"] == "platform" and not node["unschedulable"]:
                    continue
                targets.append(host)
                if node["ready"] == "True":
                    continue
                if spec.get("boot_method") == "ipmi":
                    ipmi.append({"host": host, "address": spec.get("bmc_address", "")})
                elif spec.get("mac"):
                    wol.setdefault(spec["room"], []).append({"host": host, "mac": spec["mac"]})
            else:
                targets.append(host)
        state["targets"] = sorted(targets)
        state["power_on"] = {"wol": wol, "ipmi": ipmi}
        state["nodes"] = snapshot
        if state["direction"] == "teaching":
            state["findings"] = check_disruption(api, names)
        return {"changed": False, "switch": store_results(state, results)}

    def drain(self, api: KubeApi, state: RunState, results: dict[str, NodeResult], runtime: Runtime) -> None:
        settings = settings_of(state)
        stuck: dict[str, list[str]] = {}

        def drain_room(room: str, room_results: Mapping[str, NodeResult]) -> None:
            views = api.list_nodes()
            spec = state["rooms"][room]
            planned = timeline_of(state, room)
            # A re-run keeps the grace period that the first run started.
            started = drain_started_at(views, active(room_results))
            timeline = handback_timeline(runtime.clock(), planned.deadline, settings, started)
            spec["timeline"] = timeline.to_dict()
            present = cordon_nodes(api, room_results, views, timeline, settings, runtime)
            notice = bilingual_notice(
                spec["name"], local_time(state, timeline.evict_at), local_time(state, timeline.force_at)
            )
            closes_at = timeline.force_at.isoformat(timespec="seconds")
            spec["notified_pods"] = notify_pods(api, present, notice, closes_at, settings)
            stuck.update(drain_nodes(api, room_results, present, timeline, settings, runtime))

        self.per_room(state, results, drain_room)
        state["stuck_pods"] = stuck
