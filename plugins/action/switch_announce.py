"""Action plugin labshift.lab.switch_announce: tell JupyterHub users that their room closes."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, ClassVar

from ansible_collections.labshift.lab.plugins.module_utils.hub_notice import (
    HubClient,
    HubError,
    UserServer,
    notice_summary,
    servers_on_nodes,
)
from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi, NodeView
from ansible_collections.labshift.lab.plugins.module_utils.k8s_nodes import (
    active,
    drain_started_at,
    pods_to_drain,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import render
from ansible_collections.labshift.lab.plugins.module_utils.switch import (
    HandbackTimeline,
    bilingual_notice,
    handback_timeline,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_action import (
    KUBE_ARGUMENTS,
    SwitchAction,
    bilingual,
    utc_now,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import (
    RunState,
    load_state,
    local_time,
    results_of,
    settings_of,
    timeline_of,
)


class ActionModule(SwitchAction):
    """Post one hub announcement for all rooms of the run and a notice file in each user server."""

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        "switch": {"type": "dict", "required": True},
        "hub_url": {"type": "str", "default": ""},
        "api_token": {"type": "str", "default": "", "no_log": True},
        "announcement_prefix": {"type": "str", "default": "/services/announcement/"},
        "notice_name": {"type": "str", "default": "LabShift-room-closing.txt"},
        "notify_servers": {"type": "bool", "default": True},
        "budget_seconds": {"type": "float", "default": 60.0},
        "timeout": {"type": "int", "default": 10},
        "validate_certs": {"type": "bool", "default": True},
        **KUBE_ARGUMENTS,
    }

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        state = load_state(args["switch"])
        live = bool(args["hub_url"]) and not self.check_mode
        api = self.kube(args, settings_of(state).workers) if live else None
        views = api.list_nodes() if api is not None else None
        notices = {}
        for room, spec in sorted(state["rooms"].items()):
            timeline = self.notice_timeline(views, state, room)
            notices[room] = bilingual_notice(
                spec["name"], local_time(state, timeline.evict_at), local_time(state, timeline.force_at)
            )
        announcement = "\n".join(notices.values())
        result: dict[str, Any] = {"changed": False, "announcement": announcement, "switch": state}
        if not args["hub_url"]:
            result["skipped_reason"] = "hub_url is empty, so no announcement was sent"
            return result
        if api is None:
            return result
        hub = HubClient(args["hub_url"], args["api_token"], args["timeout"], args["validate_certs"])
        warnings: list[str] = []
        try:
            result["changed"] = hub.announce(args["announcement_prefix"], announcement)
            state["announced"] = True
        except HubError as error:
            # A failed notice must not delay the hand-back: warn and go on.
            warnings.append(bilingual(error, language))
        if args["notify_servers"]:
            outcomes = self.notify_servers(hub, api, args, state, notices, language)
            state["server_notices"] = notice_summary(outcomes)
            result["changed"] = result["changed"] or "written" in outcomes.values()
            warnings.extend(
                f"{server.node}: {outcome}"
                for server, outcome in sorted(outcomes.items())
                if outcome not in ("written", "unchanged")
            )
        for warning in warnings:
            self._display.warning(warning)
        if warnings:
            state["announce_error"] = "; ".join(warnings)
            result["announce_error"] = state["announce_error"]
        return result

    @staticmethod
    def notice_timeline(views: Mapping[str, NodeView] | None, state: RunState, room: str) -> HandbackTimeline:
        """Return the room's hand-back times as the drain step will compute them.

        A re-run after a crash keeps the grace period that the first run started (the nodes'
        drain-start annotation), so the notice must not promise a later save-by time than that.
        """
        planned = timeline_of(state, room)
        if views is None:
            return planned
        room_results = {name: result for name, result in results_of(state).items() if result.room == room}
        started = drain_started_at(views, active(room_results))
        return handback_timeline(utc_now(), planned.deadline, settings_of(state), started)

    def notify_servers(
        self,
        hub: HubClient,
        api: KubeApi,
        args: Mapping[str, Any],
        state: RunState,
        notices: Mapping[str, str],
        language: str,
    ) -> dict[UserServer, str]:
        """Write each room's notice into the user servers on its nodes, within the time budget."""
        results = results_of(state)
        nodes = active(results)
        servers = servers_on_nodes(
            pod for pods in pods_to_drain(api.list_pods(), nodes).values() for pod in pods
        )
        outcomes: dict[UserServer, str] = {}

        def write(server: UserServer) -> str:
            try:
                return hub.write_notice(server, args["notice_name"], notices[results[server.node].room])
            except HubError as error:
                return error.message(language)

        pool = ThreadPoolExecutor(max_workers=max(1, min(settings_of(state).workers, len(servers) or 1)))
        futures = {pool.submit(write, server): server for server in servers}
        done, pending = wait(futures, timeout=args["budget_seconds"])
        pool.shutdown(wait=False, cancel_futures=True)
        for future in done:
            outcomes[futures[future]] = future.result()
        for future in pending:
            outcomes[futures[future]] = render("hub.server.timeout", language, seconds=args["budget_seconds"])
        return outcomes
