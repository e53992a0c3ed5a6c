"""Platform windows: hand-written cases for edges, midnight, seasons, make-up days and deadlines."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.labshift.lab.plugins.module_utils.calendar_cn import WorkingCalendar, parse_overrides
from ansible_collections.labshift.lab.plugins.module_utils.exporters import plan_to_dict
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError
from ansible_collections.labshift.lab.plugins.module_utils.timetable import (
    Semester,
    Session,
    parse_period_tables,
)
from ansible_collections.labshift.lab.plugins.module_utils.windows import (
    Plan,
    PlanParameters,
    deadline_for,
    next_class_start,
    parse_parameters,
    plan_semester,
    window_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOMS = {"a": {"group": "room_a", "name": {"zh": "A 机房", "en": "Room A"}}}
TABLES = parse_period_tables(
    {
        "summer": {
            "from": "2026-05-01",
            "to": "2026-09-30",
            "periods": {
                1: "08:00-08:45",
                2: "08:55-09:40",
                5: "14:30-15:15",
                6: "15:25-16:10",
                11: "21:20-22:05",
            },
        },
        "winter": {
            "from": "2026-10-01",
            "to": "2027-04-30",
            "periods": {
                1: "08:00-08:45",
                2: "08:55-09:40",
                5: "14:00-14:45",
                6: "14:55-15:40",
                11: "20:50-21:35",
            },
        },
    }
)
PARAMETERS = PlanParameters(lead_minutes=30, handback_buffer_minutes=20, min_window_minutes=60)


def session(weekday: int, first: int, last: int, weeks: set[int] | None = None) -> Session:
    return Session("课", weekday, frozenset(weeks or set(range(1, 21))), first_period=first, last_period=last)


def clock_session(weekday: int, start: str, end: str, weeks: set[int] | None = None) -> Session:
    return Session(
        "课",
        weekday,
        frozenset(weeks or set(range(1, 21))),
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
    )


def make_plan(
    sessions: list[Session],
    first_day: date,
    weeks: int = 1,
    overrides: list[Any] | None = None,
    parameters: PlanParameters = PARAMETERS,
    exam_weeks: frozenset[int] = frozenset(),
    zone: ZoneInfo = SHANGHAI,
) -> Plan:
    semester = Semester("t", first_day, weeks, exam_weeks)
    calendar = WorkingCalendar(parse_overrides(overrides or []))
    return plan_semester(ROOMS, {"a": sessions}, semester, TABLES, calendar, parameters, zone)


def local(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def windows(plan: Plan) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.fromtimestamp(w.start, plan.zone), datetime.fromtimestamp(w.end, plan.zone))
        for w in plan.rooms["a"].windows
    ]


def busy_on(plan: Plan, day: date) -> list[tuple[time, time, str]]:
    spans = []
    for span in plan.rooms["a"].busy:
        start = datetime.fromtimestamp(span.start, plan.zone)
        end = datetime.fromtimestamp(span.end, plan.zone)
        if start.date() == day:
            spans.append((start.time(), end.time(), span.kind))
    return spans


def test_single_class_week_crosses_midnight() -> None:
    # Week of Monday 2 November 2026: no holidays. One class Monday 08:00-09:40 (periods 1-2).
    plan = make_plan([session(1, 1, 2)], date(2026, 11, 2))
    assert windows(plan) == [
        (local("2026-11-02T00:30"), local("2026-11-02T07:40")),
        (local("2026-11-02T10:10"), local("2026-11-08T23:40")),
    ]
    first, second = plan.rooms["a"].windows
    assert first.next_busy_kind == "class"
    assert second.next_busy_kind == "outside_semester"


def test_min_window_boundary() -> None:
    # Gap 09:40-11:30 is 110 minutes: 110 - 30 - 20 = 60, exactly the minimum, so it is kept.
    kept = make_plan([session(1, 1, 2), clock_session(1, "11:30", "23:00")], date(2026, 11, 2))
    assert (local("2026-11-02T10:10"), local("2026-11-02T11:10")) in windows(kept)
    # A 109-minute gap leaves 59 minutes: dropped.
    dropped = make_plan([session(1, 1, 2), clock_session(1, "11:29", "23:00")], date(2026, 11, 2))
    assert all(start.date() != date(2026, 11, 2) or start.hour != 10 for start, _ in windows(dropped))


def test_summer_and_winter_tables() -> None:
    # Tuesday 29 September uses the summer table (14:30), Tuesday 13 October the winter one (14:00).
    plan = make_plan([session(2, 5, 6)], date(2026, 9, 28), weeks=3)
    assert busy_on(plan, date(2026, 9, 29)) == [(time(14, 30), time(16, 10), "class")]
    assert busy_on(plan, date(2026, 10, 13)) == [(time(14, 0), time(15, 40), "class")]
    assert busy_on(plan, date(2026, 10, 6)) == []  # National Day holiday


def test_holiday_week_is_one_window() -> None:
    # Weekdays 28 Sep - 2 Oct have an evening class; 1-7 October are holidays.
    plan = make_plan([session(day, 11, 11) for day in range(1, 6)], date(2026, 9, 28), weeks=2)
    spans = windows(plan)
    assert (local("2026-09-30T22:35"), local("2026-10-08T20:30")) in spans


def test_unnamed_makeup_day_fully_taught() -> None:
    # Sunday 20 September 2026 is a make-up workday; the school did not name its timetable.
    plan = make_plan([], date(2026, 9, 14))
    assert busy_on(plan, date(2026, 9, 20)) == [(time(8, 0), time(22, 5), "makeup")]
    assert (local("2026-09-20T22:35"), local("2026-09-20T23:40")) in windows(plan)


def test_makeup_day_follows_named_date() -> None:
    # Saturday 10 October runs the timetable of Friday 2 October (week 1 of this semester).
    overrides = [{"days": [{"date": "2026-10-10", "kind": "workday", "follows": "2026-10-02"}]}]
    friday_only_week1 = session(5, 1, 2, {1})
    plan = make_plan([friday_only_week1], date(2026, 9, 28), weeks=2, overrides=overrides)
    assert busy_on(plan, date(2026, 10, 10)) == [(time(8, 0), time(9, 40), "class")]
    assert busy_on(plan, date(2026, 10, 9)) == []  # week 2 Friday: the session is week 1 only


def test_weekend_session_on_makeup_day_does_not_run() -> None:
    # A Saturday class does not run on a Saturday make-up day that follows Friday.
    overrides = [{"days": [{"date": "2026-10-10", "kind": "workday", "follows": "friday"}]}]
    plan = make_plan([session(6, 1, 2)], date(2026, 10, 5), overrides=overrides)
    assert busy_on(plan, date(2026, 10, 10)) == []


def test_exam_week_blocks_teaching_days() -> None:
    plan = make_plan([session(1, 1, 2)], date(2026, 11, 2), weeks=2, exam_weeks=frozenset({2}))
    assert busy_on(plan, date(2026, 11, 9)) == [(time(8, 0), time(21, 35), "exam")]
    assert busy_on(plan, date(2026, 11, 14)) == []  # Saturday of the exam week


def test_blackout_and_no_classes() -> None:
    overrides = [
        {
            "days": [
                {"date": "2026-11-03", "kind": "no_classes"},
                {"date": "2026-11-04", "kind": "blackout", "start": "12:00", "end": "18:00"},
            ]
        }
    ]
    plan = make_plan([session(2, 1, 2), session(3, 1, 2)], date(2026, 11, 2), overrides=overrides)
    assert busy_on(plan, date(2026, 11, 3)) == []
    assert sorted(busy_on(plan, date(2026, 11, 4))) == [
        (time(8, 0), time(9, 40), "class"),
        (time(12, 0), time(18, 0), "blackout"),
    ]
    assert (local("2026-11-04T10:10"), local("2026-11-04T11:40")) in windows(plan)


def test_overlapping_sessions_merge() -> None:
    plan = make_plan([session(1, 1, 2), clock_session(1, "09:00", "10:30")], date(2026, 11, 2))
    assert busy_on(plan, date(2026, 11, 2)) == [(time(8, 0), time(10, 30), "class")]


def test_dst_zone_counts_real_minutes() -> None:
    # Europe/Berlin leaves summer time at 03:00 on Sunday 25 October 2026, so that night lasts one
    # hour longer. Lead and buffer must still be exactly 30 and 20 real minutes.
    berlin = ZoneInfo("Europe/Berlin")
    plan = make_plan([session(6, 1, 2), session(1, 1, 2)], date(2026, 10, 19), weeks=2, zone=berlin)
    for window in plan.rooms["a"].windows:
        assert window.start - window.gap_start == 30 * 60
        assert window.next_class_start - window.end == 20 * 60
    night = next(
        w
        for w in plan.rooms["a"].windows
        if w.gap_start == int(local("2026-10-24T09:40", berlin).timestamp())
    )
    assert night.next_class_start - night.gap_start == (46 * 60 + 20) * 60 + 3600


def test_plan_parameters_validation() -> None:
    assert parse_parameters("30", 20, 0) == PlanParameters(30, 20, 0)
    for bad in (-1, 1441, "x", True, 1.5):
        with pytest.raises(LabShiftError) as caught:
            parse_parameters(bad, 20, 60)
        assert caught.value.key == "plan.parameter_invalid"
        assert "labshift_switch_lead_minutes" in caught.value.message("en")


def test_deadline_for_and_next_class() -> None:
    plan = plan_to_dict(make_plan([session(1, 1, 2), session(1, 5, 6)], date(2026, 11, 2)))
    # In the lead time before the 10:10 window: power-on started at 09:40.
    assert deadline_for(plan, "a", local("2026-11-02T09:50")) == local("2026-11-02T13:40")
    # Inside the window and inside its hand-back buffer.
    assert deadline_for(plan, "a", local("2026-11-02T12:00")) == local("2026-11-02T13:40")
    assert deadline_for(plan, "a", local("2026-11-02T13:50")) == local("2026-11-02T13:40")
    # During the class: teaching time.
    assert deadline_for(plan, "a", local("2026-11-02T08:30")) is None
    assert next_class_start(plan, "a", local("2026-11-02T12:00")) == local("2026-11-02T14:00")
    window = window_at(plan, "a", local("2026-11-02T12:00"))
    assert window is not None
    assert window["to_platform_at"] == "2026-11-02T09:40:00+08:00"
    with pytest.raises(LabShiftError) as naive:
        deadline_for(plan, "a", datetime(2026, 11, 2, 12))
    assert naive.value.key == "plan.naive_time"
    with pytest.raises(LabShiftError) as unknown:
        deadline_for(plan, "z", local("2026-11-02T12:00"))
    assert unknown.value.key == "plan.room_unknown"


def test_windows_never_touch_classes_in_example_week() -> None:
    sessions = [session(day, 1, 2) for day in range(1, 6)] + [session(day, 5, 6) for day in range(1, 6)]
    plan = make_plan(sessions, date(2026, 11, 2))
    busy = plan.rooms["a"].busy
    for window in plan.rooms["a"].windows:
        for span in busy:
            assert window.end + 20 * 60 <= span.start or span.end <= window.start - 30 * 60
    assert len(plan.rooms["a"].windows) == 11
    semester_start = int(local("2026-11-02T00:00").timestamp())
    assert timedelta(seconds=plan.rooms["a"].windows[0].start - semester_start) == timedelta(minutes=30)


def test_class_until_midnight_blocks_lead() -> None:
    # A class ending at 24:00 (end 00:00) keeps the next window's lead time after midnight.
    plan = make_plan([clock_session(2, "22:00", "00:00")], date(2026, 11, 2))
    assert (local("2026-11-04T00:30"), local("2026-11-08T23:40")) in windows(plan)
    assert busy_on(plan, date(2026, 11, 3)) == [(time(22, 0), time(0, 0), "class")]


def test_ics_class_on_makeup_day_runs() -> None:
    # An iCalendar export puts a class on Saturday 10 October, a make-up day that follows Friday
    # 2 October. The Friday class of 2 October was not exported, because that day is a holiday.
    overrides = [{"days": [{"date": "2026-10-10", "kind": "workday", "follows": "2026-10-02"}]}]
    friday = clock_session(5, "08:00", "09:40")
    friday_dated = Session(
        friday.course,
        5,
        frozenset({2}),
        start=friday.start,
        end=friday.end,
        dates=frozenset({date(2026, 10, 9)}),
    )
    saturday_dated = Session(
        "补课", 6, frozenset({2}), start=time(14), end=time(16), dates=frozenset({date(2026, 10, 10)})
    )
    plan = make_plan([friday_dated, saturday_dated], date(2026, 9, 28), weeks=2, overrides=overrides)
    assert busy_on(plan, date(2026, 10, 10)) == [(time(14, 0), time(16, 0), "class")]
    assert busy_on(plan, date(2026, 10, 9)) == [(time(8, 0), time(9, 40), "class")]


def test_ics_dates_on_followed_weekday() -> None:
    # A make-up Saturday that follows "friday" runs the Friday class of the same week (by week),
    # and a dated session runs only on its dates.
    overrides = [{"days": [{"date": "2026-10-10", "kind": "workday", "follows": "friday"}]}]
    dated = Session(
        "课", 5, frozenset({2}), start=time(8), end=time(9, 40), dates=frozenset({date(2026, 10, 9)})
    )
    plan = make_plan([dated], date(2026, 9, 28), weeks=2, overrides=overrides)
    assert busy_on(plan, date(2026, 10, 10)) == [(time(8, 0), time(9, 40), "class")]
    assert busy_on(plan, date(2026, 10, 2)) == []
