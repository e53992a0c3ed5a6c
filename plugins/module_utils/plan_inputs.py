"""Validate the inventory's planner settings and run the planner: the entry point of the plugins.

``build_plan`` checks every input (rooms, timetable files, semester, period tables, calendar
overrides, parameters, zone) and reports all problems it finds together, before any output is
rendered or written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.calendar_cn import (
    CalendarOverrides,
    WorkingCalendar,
    parse_overrides,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    normalize_language,
    register,
)
from ansible_collections.labshift.lab.plugins.module_utils.timetable import (
    PeriodTable,
    Semester,
    Session,
    load_timetable,
    parse_period_tables,
    parse_semester,
    table_for,
)
from ansible_collections.labshift.lab.plugins.module_utils.windows import (
    Plan,
    load_zone,
    parse_parameters,
    plan_semester,
)

register(
    {
        "plan.rooms_invalid": {
            "zh": "labshift_rooms 无效：{detail}。格式：{{a: {{group: room_a, name: {{zh: ..., en: ..."
            "}}}}}}。",
            "en": "labshift_rooms is invalid: {detail}. Format: {{a: {{group: room_a, name: {{zh: ..., en:"
            " ...}}}}}}.",
        },
        "plan.timetable_missing": {
            "zh": "房间 {room} 没有课程表：请在 labshift_timetable_files 中为它指定文件。",
            "en": "Room {room} has no timetable: name its file in labshift_timetable_files.",
        },
        "plan.timetable_room_unknown": {
            "zh": "labshift_timetable_files 中的房间 {room} 不在 labshift_rooms 中（已有：{rooms}）。",
            "en": "Room {room} of labshift_timetable_files is not in labshift_rooms (rooms: {rooms}).",
        },
    }
)

# Shipped override data (files/calendar/) is found after the inventory directory.
SHIPPED_CALENDAR_DIR = Path(__file__).resolve().parents[2] / "files" / "calendar"


@dataclass(frozen=True)
class PlannerSettings:
    """The inventory variables the planner reads, as given (validated by ``build_plan``)."""

    rooms: Mapping[str, Any]
    timetable_files: Mapping[str, Any]
    semester: Mapping[str, Any]
    period_tables: Mapping[str, Any]
    calendar_overrides: Sequence[Any] | None
    lead_minutes: Any
    handback_buffer_minutes: Any
    min_window_minutes: Any
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    base_dir: str = "."


def _collect(errors: list[LabShiftError], error: LabShiftError) -> None:
    if isinstance(error, LabShiftErrors):
        errors.extend(error.errors)
    else:
        errors.append(error)


def _validate_rooms(rooms: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(rooms, Mapping) or not rooms:
        raise LabShiftError("plan.rooms_invalid", detail="not a non-empty mapping")
    validated: dict[str, Mapping[str, Any]] = {}
    for room_id, spec in rooms.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("group"), str):
            raise LabShiftError("plan.rooms_invalid", detail=f"room {room_id!r} has no group")
        validated[str(room_id)] = spec
    return validated


def build_plan(settings: PlannerSettings) -> Plan:
    """Validate all planner settings and plan the semester; raise LabShiftErrors listing every problem."""
    errors: list[LabShiftError] = []
    base = Path(settings.base_dir)

    def attempt(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except LabShiftError as error:
            _collect(errors, error)
            return None

    normalize_language(settings.language)
    zone = attempt(load_zone, settings.timezone)
    rooms = attempt(_validate_rooms, settings.rooms) or {}
    semester: Semester | None = attempt(parse_semester, settings.semester)
    tables: list[PeriodTable] | None = attempt(parse_period_tables, settings.period_tables)
    parameters = attempt(
        parse_parameters, settings.lead_minutes, settings.handback_buffer_minutes, settings.min_window_minutes
    )
    overrides: CalendarOverrides | None = attempt(
        parse_overrides, settings.calendar_overrides, [base, SHIPPED_CALENDAR_DIR]
    )

    files = settings.timetable_files if isinstance(settings.timetable_files, Mapping) else {}
    for room in files:
        if rooms and str(room) not in rooms:
            errors.append(
                LabShiftError("plan.timetable_room_unknown", room=room, rooms=", ".join(sorted(rooms)))
            )
    timetables: dict[str, list[Session]] = {}
    for room in rooms:
        entry = files.get(room)
        if entry in (None, "", []):
            errors.append(LabShiftError("plan.timetable_missing", room=room))
            continue
        if semester is None or zone is None:
            continue
        paths = [entry] if isinstance(entry, str) else list(entry)
        sessions: list[Session] = []
        for item in paths:
            path = Path(str(item))
            loaded = attempt(
                load_timetable, path if path.is_absolute() else base / path, room, semester, zone
            )
            sessions.extend(loaded or [])
        timetables[room] = sessions

    if not errors and semester is not None and tables is not None:
        _check_periods(errors, rooms, timetables, semester, tables)
    if errors:
        raise errors[0] if len(errors) == 1 else LabShiftErrors(errors)
    # No error was collected, so every input parsed.
    assert zone is not None
    assert semester is not None
    assert tables is not None
    assert parameters is not None
    return plan_semester(rooms, timetables, semester, tables, WorkingCalendar(overrides), parameters, zone)


def _check_periods(
    errors: list[LabShiftError],
    rooms: Mapping[str, Any],
    timetables: Mapping[str, list[Session]],
    semester: Semester,
    tables: Sequence[PeriodTable],
) -> None:
    """Check that each day has one period table and each session's periods exist in it."""
    for room in rooms:
        seen: set[tuple[str, str]] = set()
        for day in semester.days():
            try:
                table = table_for(tables, room, day)
            except LabShiftError as error:
                errors.append(error)
                return
            for session in timetables.get(room, []):
                if session.weekday != day.isoweekday() or (session.source, table.name) in seen:
                    continue
                seen.add((session.source, table.name))
                try:
                    session.clock_times(table, day)
                except LabShiftError as error:
                    errors.append(error)
