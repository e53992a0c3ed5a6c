"""Filter plugin labshift.lab.plan_windows: plan a semester and return the plan.json document."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.exporters import plan_to_dict
from ansible_collections.labshift.lab.plugins.module_utils.plan_inputs import PlannerSettings, build_plan

DOCUMENTATION = r"""
name: plan_windows
short_description: Compute each room's platform windows for a semester
version_added: 0.1.0
description:
  - Reads the rooms' timetables (WakeUp 课程表 CSV, native YAML or iCalendar), the period tables, the
    semester and the working calendar, and returns the plan.json document (windows, switch edges,
    busy spans, special days). It writes no file; use the labshift.lab.plan module for the outputs.
  - Relative file paths start from O(base_dir); override file names are also searched in the
    collection's C(files/calendar/).
positional: timetable_files, semester, period_tables
options:
  _input:
    description: C(labshift_rooms).
    type: dict
    required: true
  timetable_files:
    description: C(labshift_timetable_files), room id to a file or a list of files.
    type: dict
    required: true
  semester:
    description: C(labshift_semester).
    type: dict
    required: true
  period_tables:
    description: C(labshift_period_tables).
    type: dict
    required: true
  calendar_overrides:
    description: C(labshift_calendar_overrides).
    type: list
    elements: raw
    default: []
  lead_minutes:
    description: C(labshift_switch_lead_minutes).
    type: int
    default: 30
  handback_buffer_minutes:
    description: C(labshift_switch_handback_buffer_minutes).
    type: int
    default: 20
  min_window_minutes:
    description: C(labshift_switch_min_window_minutes).
    type: int
    default: 60
  timezone:
    description: C(labshift_timezone).
    type: str
    default: Asia/Shanghai
  base_dir:
    description: Directory relative paths start from, normally C(inventory_dir).
    type: path
    default: .
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Count the windows of room a
  ansible.builtin.debug:
    msg: >-
      {{ (labshift_rooms | labshift.lab.plan_windows(labshift_timetable_files, labshift_semester,
          labshift_period_tables, calendar_overrides=labshift_calendar_overrides,
          base_dir=inventory_dir)).rooms.a.windows | length }}
"""

RETURN = r"""
_value:
  description: The plan.json document; its JSON schema is files/schemas/plan.json.
  type: dict
"""


@filter_errors()
def plan_windows(
    rooms: Mapping[str, Any],
    timetable_files: Mapping[str, Any],
    semester: Mapping[str, Any],
    period_tables: Mapping[str, Any],
    calendar_overrides: Sequence[Any] | None = None,
    lead_minutes: int = 30,
    handback_buffer_minutes: int = 20,
    min_window_minutes: int = 60,
    timezone: str = "Asia/Shanghai",
    base_dir: str = ".",
    language: str = "zh",
) -> dict[str, Any]:
    """Plan the semester and return the plan.json document."""
    settings = PlannerSettings(
        rooms=rooms,
        timetable_files=timetable_files,
        semester=semester,
        period_tables=period_tables,
        calendar_overrides=calendar_overrides or [],
        lead_minutes=lead_minutes,
        handback_buffer_minutes=handback_buffer_minutes,
        min_window_minutes=min_window_minutes,
        timezone=timezone,
        language=language,
        base_dir=base_dir,
    )
    return plan_to_dict(build_plan(settings))


class FilterModule:
    """labshift.lab.plan_windows."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"plan_windows": plan_windows}
