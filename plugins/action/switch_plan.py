"""Action plugin labshift.lab.switch_plan: choose the nodes, deadlines and holds of a switch run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError
from ansible_collections.labshift.lab.plugins.module_utils.switch import SwitchSettings, load_plan
from ansible_collections.labshift.lab.plugins.module_utils.switch_action import SwitchAction, utc_now
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import plan_run

HOST_VARIABLES = (
    "workstation_mac",
    "workstation_boot_method",
    "workstation_bmc_address",
    "workstation_node_name",
)


class ActionModule(SwitchAction):
    """Read the inventory on the controller and return the run state; nothing is changed."""

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        "direction": {"type": "str", "required": True},
        "rooms": {"type": "raw"},
        "labshift_rooms": {"type": "dict", "required": True},
        "holds": {"type": "list", "elements": "raw", "default": []},
        "deadline": {"type": "str"},
        "plan_path": {"type": "path"},
        "settings": {"type": "dict", "default": {}},
        "run_id": {"type": "str", "required": True},
        "language": {"type": "str", "default": "zh"},
        "timezone": {"type": "str", "default": "Asia/Shanghai"},
    }

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        settings = SwitchSettings.from_mapping(args["settings"])
        plan = None
        plan_path = args.get("plan_path") or ""
        if args["direction"] == "teaching" and not args.get("deadline"):
            try:
                plan = load_plan(Path(plan_path))
            except LabShiftError:
                if settings.unplanned_handback_seconds <= 0:
                    raise
                plan = {}
        groups: Mapping[str, Any] = task_vars.get("groups") or {}
        hostvars = task_vars.get("hostvars") or {}
        play_hosts = list(task_vars.get("ansible_play_hosts_all") or [])
        room_hosts = {
            host for group, members in groups.items() if group.startswith("room_") for host in members
        }
        host_values = {
            host: {name: hostvars[host].get(name) for name in HOST_VARIABLES}
            for host in play_hosts
            if host in room_hosts
        }
        state = plan_run(
            direction=args["direction"],
            rooms=args.get("rooms"),
            play_hosts=play_hosts,
            groups=groups,
            host_vars=host_values,
            labshift_rooms=args["labshift_rooms"],
            holds=args["holds"],
            deadline_override=args.get("deadline"),
            plan=plan,
            plan_path=str(plan_path),
            settings=settings,
            now=utc_now(),
            run_id=args["run_id"],
            language=language,
            timezone=args["timezone"],
        )
        return {"changed": False, "switch": state}
