"""Render a Plan into its outputs: plan.json, AWX schedules, systemd units, calendar.ics, index.html.

``render_outputs`` returns file name (relative to the plan output directory) to text, so the
caller can validate everything before it writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.export_awx import awx_schedules, room_label
from ansible_collections.labshift.lab.plugins.module_utils.export_html import render_html
from ansible_collections.labshift.lab.plugins.module_utils.export_ics import (
    calendar_title,
    render_ics,
    room_display_name,
)
from ansible_collections.labshift.lab.plugins.module_utils.export_systemd import SystemdSettings, unit_files
from ansible_collections.labshift.lab.plugins.module_utils.windows import PLAN_SCHEMA_VERSION, Plan

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
PLAN_SCHEMA_PATH = COLLECTION_ROOT / "files" / "schemas" / "plan.json"

_SYSTEMD_DESCRIPTIONS = {
    "zh": {
        "to_platform": "LabShift：{room} 切换到 AI 平台",
        "to_teaching": "LabShift：{room} 切换回教学",
    },
    "en": {
        "to_platform": "LabShift {room}: switch to the AI platform",
        "to_teaching": "LabShift {room}: switch back to teaching",
    },
}


def iso(epoch: int, plan: Plan) -> str:
    """Format epoch seconds as ISO 8601 local time with its UTC offset."""
    return datetime.fromtimestamp(epoch, plan.zone).isoformat()


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Build the plan.json document (schema in files/schemas/plan.json)."""
    lead = plan.parameters.lead_minutes * 60
    rooms: dict[str, Any] = {}
    for room_id, room in plan.rooms.items():
        rooms[room_id] = {
            "group": room.group,
            "name": dict(room.names),
            "windows": [
                {
                    "start": iso(window.start, plan),
                    "end": iso(window.end, plan),
                    "minutes": (window.end - window.start) // 60,
                    "to_platform_at": iso(window.start - lead, plan),
                    "to_teaching_at": iso(window.end, plan),
                    "handback_deadline": iso(window.end, plan),
                    "next_class_start": iso(window.next_class_start, plan),
                    "next_busy_kind": window.next_busy_kind,
                }
                for window in room.windows
            ],
            "busy": [
                {"start": iso(span.start, plan), "end": iso(span.end, plan), "kind": span.kind}
                for span in room.busy
            ],
        }
    semester = plan.semester
    return {
        "schema_version": PLAN_SCHEMA_VERSION,
        "timezone": plan.zone.key,
        "semester": {
            "name": semester.name,
            "first_day": semester.first_day.isoformat(),
            "last_day": (semester.end_day - timedelta(days=1)).isoformat(),
            "weeks": semester.weeks,
            "exam_weeks": sorted(semester.exam_weeks),
        },
        "parameters": {
            "lead_minutes": plan.parameters.lead_minutes,
            "handback_buffer_minutes": plan.parameters.handback_buffer_minutes,
            "min_window_minutes": plan.parameters.min_window_minutes,
        },
        "special_days": [
            {
                "date": info.day.isoformat(),
                "kind": info.kind,
                "name": info.name,
                "follows": info.timetable_date.isoformat()
                if info.kind == "makeup" and info.timetable_date is not None and not info.fully_taught
                else None,
                "fully_taught": info.fully_taught,
                "blackouts": len(info.blackouts),
            }
            for info in plan.days
            if info.kind not in ("workday", "weekend") or info.blackouts or info.name
        ],
        "rooms": rooms,
    }


def plan_edges(plan: Plan) -> dict[str, dict[str, list[datetime]]]:
    """Return room to job to the switch edge times (to_platform_at, to_teaching_at)."""
    lead = plan.parameters.lead_minutes * 60
    edges: dict[str, dict[str, list[datetime]]] = {}
    for room_id, room in plan.rooms.items():
        edges[room_id] = {
            "to_platform": [
                datetime.fromtimestamp(window.start - lead, plan.zone) for window in room.windows
            ],
            "to_teaching": [datetime.fromtimestamp(window.end, plan.zone) for window in room.windows],
        }
    return edges


def render_outputs(
    plan: Plan,
    language: str,
    systemd: SystemdSettings,
    calendar_name: str | None = None,
) -> dict[str, str]:
    """Render every output file as text, keyed by its path under the plan directory."""
    document = plan_to_dict(plan)
    edges = plan_edges(plan)
    names = {room_id: dict(room.names) for room_id, room in plan.rooms.items()}
    labels = {room_id: room_label(room_id, room_names, language) for room_id, room_names in names.items()}
    outputs: dict[str, str] = {
        "plan.json": json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        "awx-schedules.json": json.dumps(
            awx_schedules(edges, plan.zone, language, names), ensure_ascii=False, indent=2
        )
        + "\n",
        "calendar.ics": render_ics(plan, language, calendar_name),
        "index.html": render_html(plan, language),
    }
    # One calendar per room as well, for students who follow a single room.
    for room_id, room in plan.rooms.items():
        room_name = room_display_name(dict(room.names), room_id, language)
        title = f"{calendar_name or calendar_title(language)} · {room_name}"
        outputs[f"calendar-{room_id}.ics"] = render_ics(plan, language, title, rooms=[room_id])
    for name, text in unit_files(edges, plan.zone, systemd, _SYSTEMD_DESCRIPTIONS[language], labels).items():
        outputs[f"systemd/{name}"] = text
    return outputs


def load_plan_schema() -> Mapping[str, Any]:
    """Return the JSON schema of plan.json shipped in files/schemas/."""
    schema: Mapping[str, Any] = json.loads(PLAN_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema
