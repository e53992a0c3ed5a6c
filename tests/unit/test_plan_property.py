"""Property: on random timetables and calendars no window, lead time or hand-back buffer overlaps a class.

The oracle lists every class occurrence day by day straight from the calendar's classification
and the sessions' clock times, without the planner's merging or epoch arithmetic, and checks
each window's switch span ``[to_platform_at, next_class_start)`` against it.
"""

from __future__ import annotations

import itertools
import os
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.labshift.lab.plugins.module_utils.calendar_cn import WorkingCalendar, parse_overrides
from ansible_collections.labshift.lab.plugins.module_utils.export_awx import awx_schedules, expand_rrule
from ansible_collections.labshift.lab.plugins.module_utils.exporters import plan_edges
from ansible_collections.labshift.lab.plugins.module_utils.timetable import (
    PeriodTable,
    Semester,
    Session,
    parse_period_tables,
    table_for,
)
from ansible_collections.labshift.lab.plugins.module_utils.windows import Plan, PlanParameters, plan_semester

ZONE = ZoneInfo("Asia/Shanghai")
SHIPPED_2027 = {
    "covers": [{"from": "2027-01-01", "to": "2027-01-31"}],
    "days": [{"date": "2027-01-01", "kind": "holiday"}],
}
# 60 examples per property keep the three tests under 20 s on a 2-core machine. Set
# LABSHIFT_PLAN_EXAMPLES (for example 1000) for a deeper run.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("LABSHIFT_PLAN_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def period_tables(draw: st.DrawFn) -> dict[str, Any]:
    """Two seasonal tables split at a random date, each with 8-10 periods ending by 22:10."""

    def table() -> dict[int, str]:
        cursor = draw(st.integers(6 * 60, 8 * 60))
        periods: dict[int, str] = {}
        for number in range(1, draw(st.integers(8, 10)) + 1):
            end = cursor + draw(st.integers(30, 45))
            periods[number] = f"{_clock(cursor)}-{_clock(end)}"
            cursor = end + draw(st.integers(0, 40))
        return periods

    split = date(2026, 9, 1) + timedelta(days=draw(st.integers(0, 150)))
    return {
        "early": {"from": "2026-01-01", "to": split.isoformat(), "periods": table()},
        "late": {"from": (split + timedelta(days=1)).isoformat(), "to": "2027-12-31", "periods": table()},
    }


@st.composite
def sessions(draw: st.DrawFn, first_day: date, weeks: int) -> list[Session]:
    result: list[Session] = []
    for _ in range(draw(st.integers(0, 25))):
        weekday = draw(st.integers(1, 7))
        week_set = frozenset(draw(st.sets(st.integers(1, weeks), min_size=1)))
        if draw(st.booleans()):
            first = draw(st.integers(1, 4))
            last = first + draw(st.integers(0, 3))
            result.append(Session("c", weekday, week_set, first_period=first, last_period=last))
        else:
            start = draw(st.integers(0, 23 * 60 - 1))
            end = draw(st.integers(start + 1, 23 * 60 + 59))
            # Some clock sessions carry exact dates, as sessions read from an iCalendar export do.
            dates = None
            if draw(st.booleans()):
                dates = frozenset(
                    first_day + timedelta(weeks=week - 1, days=weekday - 1) for week in week_set
                )
            result.append(
                Session(
                    "c",
                    weekday,
                    week_set,
                    start=time(start // 60, start % 60),
                    end=time(end // 60, end % 60),
                    dates=dates,
                )
            )
    return result


@st.composite
def overrides(draw: st.DrawFn, first_day: date, weeks: int) -> list[Any]:
    days: dict[date, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 6))):
        day = first_day + timedelta(days=draw(st.integers(0, 7 * weeks - 1)))
        if day == date(2027, 1, 1):
            continue  # the shipped data makes it a holiday; another kind would be a conflict error
        kind = draw(st.sampled_from(["holiday", "workday", "no_classes"]))
        entry: dict[str, Any] = {"date": day.isoformat(), "kind": kind}
        if kind == "workday" and draw(st.booleans()):
            entry["follows"] = draw(st.sampled_from(["monday", "周三", "friday", first_day.isoformat()]))
        days[day] = entry
    entries = list(days.values())
    for _ in range(draw(st.integers(0, 2))):
        day = first_day + timedelta(days=draw(st.integers(0, 7 * weeks - 1)))
        start = draw(st.integers(0, 22 * 60))
        entries.append(
            {"date": day.isoformat(), "kind": "blackout", "start": _clock(start), "end": _clock(start + 60)}
        )
    return [{"days": entries}, SHIPPED_2027]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Plan, list[tuple[datetime, datetime]], PlanParameters]:
    # Mondays from August 2026 to January 2027: make-up days, holidays, the season split and the
    # move into 2027 (shipped override data) all fall inside some semesters.
    first_day = date(2026, 8, 3) + timedelta(weeks=draw(st.integers(0, 22)))
    weeks = draw(st.integers(1, 3))
    semester = Semester("p", first_day, weeks, frozenset(draw(st.sets(st.integers(1, weeks), max_size=1))))
    tables = parse_period_tables(draw(period_tables()))
    room_sessions = draw(sessions(first_day, weeks))
    calendar = WorkingCalendar(parse_overrides(draw(overrides(first_day, weeks))))
    parameters = PlanParameters(draw(st.integers(0, 90)), draw(st.integers(0, 90)), draw(st.integers(0, 240)))
    plan = plan_semester(
        {"a": {"group": "room_a"}}, {"a": room_sessions}, semester, tables, calendar, parameters, ZONE
    )
    return plan, oracle_classes(semester, tables, room_sessions, calendar), parameters


def oracle_classes(
    semester: Semester, tables: list[PeriodTable], room_sessions: list[Session], calendar: WorkingCalendar
) -> list[tuple[datetime, datetime]]:
    """List every span the room is taught or blocked, day by day, plus the time outside the semester."""
    spans: list[tuple[datetime, datetime]] = [
        (datetime(1970, 1, 1, tzinfo=ZONE), datetime.combine(semester.first_day, time(0), ZONE)),
        (datetime.combine(semester.end_day, time(0), ZONE), datetime(2100, 1, 1, tzinfo=ZONE)),
    ]
    for day in semester.days():
        info = calendar.classify(day)
        for start, end in info.blackouts:
            end_time = (
                datetime.combine(day + timedelta(days=1), time(0), ZONE)
                if end is None
                else (datetime.combine(day, end, ZONE))
            )
            spans.append((datetime.combine(day, start, ZONE), end_time))
        if info.kind in ("holiday", "no_classes"):
            continue
        table = table_for(tables, "a", day)
        first = min(start for start, _ in table.periods.values())
        last = max(end for _, end in table.periods.values())
        teaching_day = info.kind in ("workday", "makeup")
        if info.fully_taught or (teaching_day and semester.week_of(day) in semester.exam_weeks):
            spans.append((datetime.combine(day, first, ZONE), datetime.combine(day, last, ZONE)))
            continue
        if info.timetable_date is None:
            continue
        week = semester.week_of(info.timetable_date)
        by_week = info.timetable_weekday != info.timetable_date.isoweekday()
        for item in room_sessions:
            follows = item.weekday == info.timetable_weekday and (
                week in item.weeks if by_week or item.dates is None else info.timetable_date in item.dates
            )
            dated_today = item.dates is not None and day in item.dates
            if not follows and not dated_today:
                continue
            if item.first_period is not None and item.last_period is not None:
                if item.first_period not in table.periods or item.last_period not in table.periods:
                    continue
                start_time = table.periods[item.first_period][0]
                end_time_of_day = table.periods[item.last_period][1]
            else:
                assert item.start is not None and item.end is not None
                start_time, end_time_of_day = item.start, item.end
            spans.append(
                (datetime.combine(day, start_time, ZONE), datetime.combine(day, end_time_of_day, ZONE))
            )
    return spans


@PROPERTY_SETTINGS
@given(scenarios())
def test_never_double_booked(scenario: tuple[Plan, list[tuple[datetime, datetime]], PlanParameters]) -> None:
    plan, classes, parameters = scenario
    lead = timedelta(minutes=parameters.lead_minutes)
    buffer = timedelta(minutes=parameters.handback_buffer_minutes)
    for window in plan.rooms["a"].windows:
        start = datetime.fromtimestamp(window.start, ZONE)
        end = datetime.fromtimestamp(window.end, ZONE)
        assert end - start >= timedelta(minutes=max(parameters.min_window_minutes, 1))
        switch_from, switch_until = start - lead, end + buffer
        for class_start, class_end in classes:
            assert switch_until <= class_start or class_end <= switch_from, (
                f"window {start}-{end} with lead and buffer overlaps busy {class_start}-{class_end}"
            )


@PROPERTY_SETTINGS
@given(scenarios())
def test_windows_ordered_and_disjoint(
    scenario: tuple[Plan, list[tuple[datetime, datetime]], PlanParameters],
) -> None:
    plan, _, parameters = scenario
    spans = [(w.start, w.end) for w in plan.rooms["a"].windows]
    margin = (parameters.lead_minutes + parameters.handback_buffer_minutes) * 60
    for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
        assert previous_end + margin <= next_start


@PROPERTY_SETTINGS
@given(scenarios())
def test_awx_rules_equal_edges(
    scenario: tuple[Plan, list[tuple[datetime, datetime]], PlanParameters],
) -> None:
    plan, _, _ = scenario
    edges = plan_edges(plan)
    schedules = awx_schedules(edges, ZONE, "en")
    for job in ("to_platform", "to_teaching"):
        expanded = sorted(
            moment for item in schedules if item["job"] == job for moment in expand_rrule(item["rrule"])
        )
        assert expanded == sorted(edges["a"][job])
