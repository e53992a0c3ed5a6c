"""Platform windows: when each room is free of classes, and the switch edges around it.

Definitions, in real elapsed time (so they hold across DST changes in zones that have them):

* busy time: a class (its periods' clock span), a fully taught make-up day or exam-week day
  (first period start to last period end), or a blackout. Everything before the semester's
  first day or after its last week is unknown, so it counts as busy too;
* gap: a maximal span ``[gap_start, next_class_start)`` between busy times;
* window ``[start, end)``: ``start = gap_start + lead`` and ``end = next_class_start - buffer``,
  kept only if ``end - start >= min_window``;
* ``to_platform_at = start - lead = gap_start``: the switch-to-platform job fires, and the
  workstations power on and join the cluster before ``start``;
* ``to_teaching_at = handback_deadline = end``: platform use ends and the switch-to-teaching job
  fires; draining and rebooting into teaching have ``buffer`` minutes before ``next_class_start``.

So ``[to_platform_at, next_class_start)`` never overlaps a busy span: no window, lead time or
hand-back buffer overlaps a class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.labshift.lab.plugins.module_utils.calendar_cn import DayInfo, WorkingCalendar
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register
from ansible_collections.labshift.lab.plugins.module_utils.timetable import (
    PeriodTable,
    Semester,
    Session,
    table_for,
)

register(
    {
        "plan.parameter_invalid": {
            "zh": "{name} 的值 {value!r} 无效：请写 0 到 {maximum} 之间的整数分钟数。",
            "en": "{name} value {value!r} is invalid: write a whole number of minutes from 0 to {maximum}.",
        },
        "plan.timezone_invalid": {
            "zh": "labshift_timezone 的值 {value!r} 不是 IANA 时区名：请写例如 Asia/Shanghai。",
            "en": "labshift_timezone value {value!r} is not an IANA zone name: write for example "
            "Asia/Shanghai.",
        },
        "plan.room_unknown": {
            "zh": "plan.json 中没有房间 {room}：已有房间 {rooms}。请重新运行 playbooks/plan.yml。",
            "en": "Room {room} is not in plan.json (rooms: {rooms}): run playbooks/plan.yml again.",
        },
        "plan.naive_time": {
            "zh": "时间 {value} 没有时区：请传入带时区的时间。",
            "en": "Time {value} has no time zone: pass an aware datetime.",
        },
    }
)

PLAN_SCHEMA_VERSION = 1
BUSY_KINDS = ("class", "exam", "makeup", "blackout", "outside_semester")
MAX_PARAMETER_MINUTES = 24 * 60


@dataclass(frozen=True)
class PlanParameters:
    """Switch-over timing in minutes."""

    lead_minutes: int
    handback_buffer_minutes: int
    min_window_minutes: int


@dataclass(frozen=True)
class Busy:
    """A span the platform must not use, as epoch seconds, with its reason."""

    start: int
    end: int
    kind: str
    label: str = ""


@dataclass(frozen=True)
class Window:
    """A platform window ``[start, end)`` and the gap around it, as epoch seconds."""

    start: int
    end: int
    gap_start: int
    next_class_start: int
    next_busy_kind: str


@dataclass
class RoomPlan:
    """Windows and merged busy spans of one room."""

    room: str
    group: str
    names: Mapping[str, str]
    windows: list[Window] = field(default_factory=list)
    busy: list[Busy] = field(default_factory=list)


@dataclass
class Plan:
    """The result of planning one semester."""

    semester: Semester
    zone: ZoneInfo
    parameters: PlanParameters
    rooms: dict[str, RoomPlan]
    days: list[DayInfo]


def load_zone(name: Any) -> ZoneInfo:
    """Return the ZoneInfo for ``labshift_timezone``; an unknown name is a LabShiftError."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise LabShiftError("plan.timezone_invalid", value=name) from None


def parse_parameters(lead: Any, buffer: Any, min_window: Any) -> PlanParameters:
    """Validate the three planning parameters (whole minutes)."""
    values: list[int] = []
    for name, value in (
        ("labshift_switch_lead_minutes", lead),
        ("labshift_switch_handback_buffer_minutes", buffer),
        ("labshift_switch_min_window_minutes", min_window),
    ):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARAMETER_MINUTES:
            raise LabShiftError(
                "plan.parameter_invalid", name=name, value=value, maximum=MAX_PARAMETER_MINUTES
            )
        values.append(value)
    return PlanParameters(*values)


def _epoch(day: date, clock: time | None, zone: ZoneInfo) -> int:
    """Return epoch seconds of local ``day`` at ``clock``; None is the following midnight."""
    if clock is None:
        return int(datetime.combine(day + timedelta(days=1), time(0), zone).timestamp())
    return int(datetime.combine(day, clock, zone).timestamp())


def _day_busy(
    room: str,
    info: DayInfo,
    semester: Semester,
    tables: Sequence[PeriodTable],
    sessions_by_weekday: Mapping[int, Sequence[Session]],
    zone: ZoneInfo,
) -> list[Busy]:
    day = info.day
    busy: list[Busy] = []
    for start_clock, end_clock in info.blackouts:
        busy.append(Busy(_epoch(day, start_clock, zone), _epoch(day, end_clock, zone), "blackout", info.name))

    if info.kind in ("holiday", "no_classes"):
        return busy

    table = table_for(tables, room, day)
    first_start, last_end = table.day_span
    teaching_day = info.kind in ("workday", "makeup")
    if info.fully_taught:
        busy.append(Busy(_epoch(day, first_start, zone), _epoch(day, last_end, zone), "makeup", info.name))
        return busy
    if teaching_day and semester.week_of(day) in semester.exam_weeks:
        busy.append(Busy(_epoch(day, first_start, zone), _epoch(day, last_end, zone), "exam", ""))
        return busy

    if info.timetable_weekday is None or info.timetable_date is None:
        return busy
    timetable_date = info.timetable_date
    week = semester.week_of(timetable_date)
    # A make-up day that follows a weekday of its own week runs that weekday's sessions of the week,
    # so exact iCalendar dates cannot match it and the week decides.
    by_week = info.timetable_weekday != timetable_date.isoweekday()
    running = [
        session
        for session in sessions_by_weekday.get(info.timetable_weekday, ())
        if (week in session.weeks if by_week or session.dates is None else timetable_date in session.dates)
    ]
    # Classes an iCalendar export dates on this very day run as well, which matters on make-up
    # days that follow another day's timetable.
    chosen = {id(session) for session in running}
    running += [
        session
        for session in sessions_by_weekday.get(day.isoweekday(), ())
        if session.dates is not None and day in session.dates and id(session) not in chosen
    ]
    for session in running:
        start_clock, end_clock = session.clock_times(table, day)
        end_epoch = _epoch(day, None if end_clock == time(0) else end_clock, zone)
        busy.append(Busy(_epoch(day, start_clock, zone), end_epoch, "class", session.course))
    return busy


def _merge(busy: list[Busy]) -> list[Busy]:
    """Merge overlapping or touching spans; the merged kind and label come from the first span."""
    merged: list[Busy] = []
    for item in sorted(busy, key=lambda span: (span.start, span.end)):
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            if item.end > last.end:
                merged[-1] = Busy(last.start, item.end, last.kind, last.label)
            continue
        merged.append(item)
    return merged


def compute_windows(
    busy: list[Busy], plan_start: int, plan_end: int, parameters: PlanParameters
) -> list[Window]:
    """Turn merged busy spans inside [plan_start, plan_end) into platform windows."""
    lead = parameters.lead_minutes * 60
    buffer = parameters.handback_buffer_minutes * 60
    min_window = parameters.min_window_minutes * 60
    windows: list[Window] = []
    cursor = plan_start
    boundaries = [*busy, Busy(plan_end, plan_end, "outside_semester")]
    for span in boundaries:
        gap_start, gap_end = cursor, min(span.start, plan_end)
        start, end = gap_start + lead, gap_end - buffer
        if gap_end > gap_start and end - start >= max(min_window, 1):
            windows.append(Window(start, end, gap_start, gap_end, span.kind))
        cursor = max(cursor, span.end)
        if cursor >= plan_end:
            break
    return windows


def plan_semester(
    rooms: Mapping[str, Mapping[str, Any]],
    timetables: Mapping[str, Sequence[Session]],
    semester: Semester,
    tables: Sequence[PeriodTable],
    calendar: WorkingCalendar,
    parameters: PlanParameters,
    zone: ZoneInfo,
) -> Plan:
    """Plan every room's platform windows for the semester.

    Raises LabShiftError when a day of the semester has no holiday data, no period table, or a
    session names a period its day's table lacks.
    """
    days = list(semester.days())
    calendar.check_covered(days)
    infos = [calendar.classify(day) for day in days]
    plan_start = _epoch(semester.first_day, time(0), zone)
    plan_end = _epoch(semester.end_day, time(0), zone)

    room_plans: dict[str, RoomPlan] = {}
    for room, spec in rooms.items():
        by_weekday: dict[int, list[Session]] = {}
        for session in timetables.get(room, ()):
            by_weekday.setdefault(session.weekday, []).append(session)
        busy: list[Busy] = []
        for info in infos:
            busy.extend(_day_busy(room, info, semester, tables, by_weekday, zone))
        merged = _merge(busy)
        room_plans[room] = RoomPlan(
            room=room,
            group=str(spec.get("group", f"room_{room}")),
            names=dict(spec.get("name") or {}),
            windows=compute_windows(merged, plan_start, plan_end, parameters),
            busy=merged,
        )
    return Plan(semester=semester, zone=zone, parameters=parameters, rooms=room_plans, days=infos)


# ---------------------------------------------------------------------------------------------
# Reading plan.json at run time (the switch jobs use these)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _room_windows(plan: Mapping[str, Any], room: str) -> list[Mapping[str, Any]]:
    rooms = plan.get("rooms", {})
    if room not in rooms:
        raise LabShiftError("plan.room_unknown", room=room, rooms=", ".join(sorted(rooms)))
    windows: list[Mapping[str, Any]] = rooms[room]["windows"]
    return windows


def window_at(plan: Mapping[str, Any], room: str, now: datetime) -> Mapping[str, Any] | None:
    """Return the plan.json window whose ``[to_platform_at, next_class_start)`` contains ``now``."""
    if now.tzinfo is None:
        raise LabShiftError("plan.naive_time", value=now.isoformat())
    for window in _room_windows(plan, room):
        if _parse_time(window["to_platform_at"]) <= now < _parse_time(window["next_class_start"]):
            return window
    return None


def deadline_for(plan: Mapping[str, Any], room: str, now: datetime) -> datetime | None:
    """Return the hand-back deadline for ``room`` at ``now``: next class start minus the buffer.

    ``plan`` is the parsed plan.json. Returns None when ``now`` lies in no window's switch span
    (the room is in teaching time). The result is the window's ``handback_deadline`` (its end).
    """
    window = window_at(plan, room, now)
    if window is None:
        return None
    return _parse_time(window["handback_deadline"])


def next_class_start(plan: Mapping[str, Any], room: str, now: datetime) -> datetime | None:
    """Return the start of the first busy span at or after ``now`` that ends a window, or None."""
    if now.tzinfo is None:
        raise LabShiftError("plan.naive_time", value=now.isoformat())
    for window in _room_windows(plan, room):
        start = _parse_time(window["next_class_start"])
        if start >= now:
            return start
    return None
