"""State of one switch run, passed from task to task of playbooks/switch.yml as a plain dict.

``plan_run`` builds it from the inventory; each later step (lock, nodes, announce, report) reads it
and returns an updated copy. Keeping the whole state in one JSON-safe dict lets a step be re-run on
its own and lets the report show every decision.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError
from ansible_collections.labshift.lab.plugins.module_utils.switch import (
    DIRECTIONS,
    HandbackTimeline,
    NodeResult,
    Outcome,
    SwitchSettings,
    check_direction,
    format_time,
    handback_timeline,
    hold_reason,
    parse_holds,
    parse_time,
    resolve_deadline,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_lock import try_acquire

RunState = dict[str, Any]


def parse_rooms(value: Any) -> list[str]:
    """Accept a list of room ids or a comma-separated string (as AWX extra variables pass it)."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def plan_run(
    *,
    direction: Any,
    rooms: Any,
    play_hosts: Sequence[str],
    groups: Mapping[str, Sequence[str]],
    host_vars: Mapping[str, Mapping[str, Any]],
    labshift_rooms: Mapping[str, Mapping[str, Any]],
    holds: Any,
    deadline_override: Any,
    plan: Mapping[str, Any] | None,
    plan_path: str,
    settings: SwitchSettings,
    now: datetime,
    run_id: str,
    language: str,
    timezone: str = "UTC",
) -> RunState:
    """Decide which nodes this run switches, by which deadline, and which are held.

    Rooms come from ``rooms`` when given, else from the room groups of ``play_hosts`` (the play's
    hosts after ``--limit``). Every input is checked before anything changes.
    """
    direction = check_direction(direction)
    requested_rooms = parse_rooms(rooms)
    room_of_group = {
        str(spec.get("group", f"room_{room}")): str(room) for room, spec in labshift_rooms.items()
    }
    for room in requested_rooms:
        if room not in labshift_rooms:
            raise LabShiftError(
                "switch.room.unknown", room=room, known=", ".join(sorted(labshift_rooms)) or "-"
            )
    play_set = set(play_hosts)
    hosts: dict[str, dict[str, Any]] = {}
    for group, room in sorted(room_of_group.items(), key=lambda item: item[1]):
        if requested_rooms and room not in requested_rooms:
            continue
        for host in groups.get(group, []):
            if host not in play_set:
                continue
            values = host_vars.get(host, {})
            hosts[host] = {
                "room": room,
                "node": str(values.get("workstation_node_name") or host),
                "mac": str(values.get("workstation_mac") or ""),
                "boot_method": str(values.get("workstation_boot_method") or "wol"),
                "bmc_address": str(values.get("workstation_bmc_address") or ""),
            }
    if not hosts:
        raise LabShiftError("switch.hosts.empty")

    parsed_holds = parse_holds(holds)
    plan_data = plan if plan is not None else {}
    room_states: dict[str, dict[str, Any]] = {}
    for room in sorted({spec["room"] for spec in hosts.values()}):
        deadline = resolve_deadline(direction, now, settings, room, deadline_override, plan_data, plan_path)
        spec = labshift_rooms.get(room, {})
        names = spec.get("name") or {}
        room_state: dict[str, Any] = {
            "group": str(spec.get("group", f"room_{room}")),
            "name": {"zh": str(names.get("zh", room)), "en": str(names.get("en", room))},
            "deadline": format_time(deadline),
            "locked": False,
            "lock_holder": "",
        }
        if direction == "teaching":
            room_state["timeline"] = handback_timeline(now, deadline, settings).to_dict()
        room_states[room] = room_state

    results: dict[str, dict[str, Any]] = {}
    for host, spec in sorted(hosts.items()):
        result = NodeResult(node=spec["node"], room=spec["room"])
        reason = hold_reason(parsed_holds, spec["node"], spec["room"], now)
        if reason is None and spec["node"] != host:
            reason = hold_reason(parsed_holds, host, spec["room"], now)
        if reason is not None:
            result.finish(Outcome.HELD, "switch.reason.held", now, reason=reason)
        results[spec["node"]] = result.to_dict()

    return {
        "run_id": run_id,
        "direction": direction,
        "language": language,
        "timezone": timezone,
        "started_at": format_time(now),
        "settings": {key: getattr(settings, key) for key in SwitchSettings.__dataclass_fields__},
        "rooms": room_states,
        "hosts": hosts,
        "results": results,
        "power_on": {"wol": {}, "ipmi": []},
        "targets": [],
        "findings": [],
    }


def load_state(value: Any) -> RunState:
    """Check that ``value`` is a run state made by plan_run and return a deep copy."""
    if not isinstance(value, Mapping) or value.get("direction") not in DIRECTIONS or "results" not in value:
        raise LabShiftError(
            "switch.setting.invalid",
            name="switch",
            value=str(value)[:80],
            expected="the 'switch' value returned by labshift.lab.switch_plan",
        )
    return copy.deepcopy(dict(value))


def settings_of(state: Mapping[str, Any]) -> SwitchSettings:
    return SwitchSettings.from_mapping(state.get("settings") or {})


def results_of(state: Mapping[str, Any]) -> dict[str, NodeResult]:
    return {name: NodeResult.from_dict(data) for name, data in (state.get("results") or {}).items()}


def store_results(state: RunState, results: Mapping[str, NodeResult]) -> RunState:
    state["results"] = {name: result.to_dict() for name, result in sorted(results.items())}
    return state


def timeline_of(state: Mapping[str, Any], room: str) -> HandbackTimeline:
    data = state["rooms"][room]["timeline"]
    return HandbackTimeline(**{key: parse_time(value) for key, value in data.items()})


def local_time(state: Mapping[str, Any], moment: datetime) -> str:
    """Format ``moment`` to the minute in the lab's time zone, with its UTC offset, as users read
    it in notices. The offset replaces the zone abbreviation, which is ambiguous (CST)."""
    local = moment.astimezone(ZoneInfo(str(state.get("timezone") or "UTC")))
    offset = int((local.utcoffset() or timedelta()).total_seconds() // 60)
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{local:%Y-%m-%d %H:%M} (UTC{sign}{hours:02d}:{minutes:02d})"


def host_of_node(state: Mapping[str, Any]) -> dict[str, str]:
    return {spec["node"]: host for host, spec in (state.get("hosts") or {}).items()}


def lock_renewer(api: KubeApi, state: Mapping[str, Any], clock: Any) -> Any:
    """Return a function that renews the Leases of the rooms this run holds."""
    settings = settings_of(state)
    rooms = [room for room, spec in state["rooms"].items() if spec.get("locked")]
    last_renewal: list[datetime] = []

    def renew() -> None:
        now = clock()
        # Renewing three times per lease period keeps the lock while sparing API calls.
        if last_renewal and (now - last_renewal[0]).total_seconds() < settings.lease_seconds / 3:
            return
        for room in rooms:
            # NOTE: a failed renewal is not raised. It only happens when this controller stalled
            # for longer than the lease, and then another run may already own the room.
            try_acquire(api, settings.lock_namespace, room, state["run_id"], settings.lease_seconds, now)
        last_renewal[:] = [now]

    return renew
