"""Action plugin labshift.lab.plan: validate the planner inputs, plan, and write every output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.labshift.lab.plugins.module_utils.export_systemd import SystemdSettings
from ansible_collections.labshift.lab.plugins.module_utils.exporters import render_outputs
from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    normalize_language,
    render,
)
from ansible_collections.labshift.lab.plugins.module_utils.plan_inputs import PlannerSettings, build_plan
from ansible_collections.labshift.lab.plugins.module_utils.plan_outputs import stale_outputs, write_outputs

ARGUMENT_SPEC: dict[str, Any] = {
    "rooms": {"type": "dict", "required": True},
    "timetable_files": {"type": "dict", "required": True},
    "semester": {"type": "dict", "required": True},
    "period_tables": {"type": "dict", "required": True},
    "calendar_overrides": {"type": "list", "elements": "raw", "default": []},
    "lead_minutes": {"type": "raw", "required": True},
    "handback_buffer_minutes": {"type": "raw", "required": True},
    "min_window_minutes": {"type": "raw", "required": True},
    "timezone": {"type": "str", "default": "Asia/Shanghai"},
    "language": {"type": "str", "default": "zh"},
    "base_dir": {"type": "path", "required": True},
    "output_dir": {"type": "path", "required": True},
    "systemd_working_directory": {"type": "str", "required": True},
    "systemd_ansible_playbook": {"type": "str", "default": "ansible-playbook"},
    "systemd_inventory": {"type": "str", "default": ""},
    "systemd_user": {"type": "str", "default": ""},
}


def bilingual(error: LabShiftError, language: str) -> str:
    """Render ``error`` in ``language`` first, then in the other language."""
    other = "en" if language == "zh" else "zh"
    return f"{error.message(language)}\n\n{error.message(other)}"


class ActionModule(ActionBase):
    """Plan on the controller; nothing runs on the managed hosts."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        output_dir = Path(args["output_dir"])
        result["output_dir"] = str(output_dir)
        try:
            language = normalize_language(args["language"])
        except LabShiftError as error:
            return {**result, "failed": True, "msg": bilingual(error, "zh")}

        settings = PlannerSettings(
            rooms=args["rooms"],
            timetable_files=args["timetable_files"],
            semester=args["semester"],
            period_tables=args["period_tables"],
            calendar_overrides=args["calendar_overrides"],
            lead_minutes=args["lead_minutes"],
            handback_buffer_minutes=args["handback_buffer_minutes"],
            min_window_minutes=args["min_window_minutes"],
            timezone=args["timezone"],
            language=language,
            base_dir=args["base_dir"],
        )
        systemd = SystemdSettings(
            working_directory=args["systemd_working_directory"],
            ansible_playbook=args["systemd_ansible_playbook"],
            inventory=args["systemd_inventory"],
            user=args["systemd_user"],
        )
        try:
            plan = build_plan(settings)
            outputs = render_outputs(plan, language, systemd)
        except LabShiftError as error:
            return {**result, "failed": True, "msg": bilingual(error, language)}

        check_mode = bool(self._task.check_mode)
        changed_files = write_outputs(output_dir, outputs, dry_run=check_mode)
        removed = stale_outputs(output_dir, outputs)
        if not check_mode:
            for name in removed:
                (output_dir / name).unlink()
        result.update(
            changed=bool(changed_files or removed),
            changed_files=changed_files,
            removed_files=removed,
            schedules=len(json.loads(outputs["awx-schedules.json"])),
            rooms={
                room_id: {
                    "windows": len(room.windows),
                    "minutes": sum(window.end - window.start for window in room.windows) // 60,
                }
                for room_id, room in plan.rooms.items()
            },
        )
        separator = "、" if language == "zh" else ", "
        room_counts = separator.join(
            render("plan.summary_room", language, room=room_id, windows=len(room.windows))
            for room_id, room in plan.rooms.items()
        )
        result["summary"] = render(
            "plan.summary", language, rooms=room_counts, schedules=result["schedules"], output_dir=output_dir
        )
        return result
