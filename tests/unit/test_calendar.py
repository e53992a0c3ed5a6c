"""Working calendar: statutory holidays, make-up workdays, school overrides and year coverage."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from ansible_collections.labshift.lab.plugins.module_utils.calendar_cn import (
    WorkingCalendar,
    parse_overrides,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads(
    (REPO / "tests" / "data" / "planner" / "holidays-cn-2026.json").read_text(encoding="utf-8")
)
SHIPPED = REPO / "files" / "calendar"


def test_fixture_matches_chinese_calendar() -> None:
    # The fixture records the 2026 State Council arrangement; the package must agree day by day.
    days_off = {date.fromisoformat(text) for text in FIXTURE["days_off"]}
    makeup = {date.fromisoformat(text) for text in FIXTURE["makeup_workdays"]}
    day = date(2026, 1, 1)
    while day.year == 2026:
        _, detail = chinese_calendar.get_holiday_detail(day)
        if day in days_off:
            assert chinese_calendar.is_holiday(day), day
            assert detail is not None, day
        elif day in makeup:
            assert chinese_calendar.is_workday(day), day
            assert day.weekday() >= 5, day
        else:
            assert chinese_calendar.is_workday(day) == (day.weekday() < 5), day
        day += timedelta(days=1)


def test_package_has_no_2027_data() -> None:
    # If this fails, chinese-calendar gained 2027 data: compare it with files/calendar/cn-2027.yml.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))


def test_national_day_2026() -> None:
    calendar = WorkingCalendar()
    for offset in range(7):
        info = calendar.classify(date(2026, 10, 1) + timedelta(days=offset))
        assert info.kind == "holiday"
        assert info.name == "国庆节"
        assert info.timetable_weekday is None
    assert calendar.classify(date(2026, 9, 25)).name == "中秋节"


def test_unnamed_makeup_day_fully_taught() -> None:
    info = WorkingCalendar().classify(date(2026, 9, 20))
    assert info.kind == "makeup"
    assert info.fully_taught


def test_makeup_follows_date() -> None:
    overrides = parse_overrides(
        [{"days": [{"date": "2026-10-10", "kind": "workday", "follows": "2026-10-02"}]}]
    )
    info = WorkingCalendar(overrides).classify(date(2026, 10, 10))
    assert info.kind == "makeup"
    assert not info.fully_taught
    assert info.timetable_weekday == 5
    assert info.timetable_date == date(2026, 10, 2)


def test_makeup_follows_weekday_name() -> None:
    overrides = parse_overrides([{"days": [{"date": "2026-09-20", "kind": "workday", "follows": "周三"}]}])
    info = WorkingCalendar(overrides).classify(date(2026, 9, 20))
    assert info.timetable_weekday == 3
    assert info.timetable_date == date(2026, 9, 20)


def test_ordinary_days() -> None:
    calendar = WorkingCalendar()
    monday = calendar.classify(date(2026, 11, 2))
    assert (monday.kind, monday.timetable_weekday) == ("workday", 1)
    saturday = calendar.classify(date(2026, 11, 7))
    assert (saturday.kind, saturday.timetable_weekday) == ("weekend", 6)


def test_school_days() -> None:
    overrides = parse_overrides(
        [
            {
                "days": [
                    {"date": "2026-11-13", "kind": "no_classes", "name": "校运动会"},
                    {"date": "2026-12-19", "kind": "blackout", "start": "08:00", "end": "18:00"},
                    {"date": "2026-12-20", "kind": "blackout"},
                ]
            }
        ]
    )
    calendar = WorkingCalendar(overrides)
    sports = calendar.classify(date(2026, 11, 13))
    assert (sports.kind, sports.timetable_weekday, sports.name) == ("no_classes", None, "校运动会")
    assert calendar.classify(date(2026, 12, 19)).blackouts == ((time(8), time(18)),)
    assert calendar.classify(date(2026, 12, 20)).blackouts == ((time(0), None),)


def test_2027_without_override_is_error() -> None:
    calendar = WorkingCalendar()
    with pytest.raises(LabShiftError) as caught:
        calendar.check_covered([date(2026, 12, 31), date(2027, 1, 4)])
    assert caught.value.key == "calendar.year_not_covered"
    assert caught.value.params["year"] == 2027
    english = caught.value.message("en")
    assert "2027-01-04" in english
    assert "labshift_calendar_overrides" in english
    assert "2027" in caught.value.message("zh")


def test_shipped_2027_override() -> None:
    calendar = WorkingCalendar(parse_overrides(["cn-2027.yml"], [SHIPPED]))
    calendar.check_covered([date(2027, 1, 1) + timedelta(days=offset) for offset in range(31)])
    new_year = calendar.classify(date(2027, 1, 1))
    assert (new_year.kind, new_year.name) == ("holiday", "元旦")
    assert calendar.classify(date(2027, 1, 4)).kind == "workday"
    assert calendar.classify(date(2027, 1, 2)).kind == "weekend"
    with pytest.raises(LabShiftError):
        calendar.check_covered([date(2027, 2, 1)])


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"date": "2026-10-10", "kind": "party"}, "kind"),
        ({"date": "2026-02-30", "kind": "holiday"}, "2026-02-30"),
        ({"date": "2026-10-10", "kind": "holiday", "follows": "周一"}, "follows"),
        ({"date": "2026-10-10", "kind": "blackout", "start": "18:00", "end": "08:00"}, "end"),
        ({"kind": "holiday"}, "date"),
    ],
)
def test_override_invalid_entry(entry: dict[str, object], fragment: str) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_overrides([{"days": [entry]}])
    assert fragment in caught.value.message("en")
    assert "days[1]" in caught.value.message("zh")


def test_override_conflict_and_unknown_key() -> None:
    with pytest.raises(LabShiftErrors) as caught:
        parse_overrides(
            [
                {
                    "days": [
                        {"date": "2026-10-10", "kind": "holiday"},
                        {"date": "2026-10-10", "kind": "workday"},
                    ]
                },
                {"holidays": []},
            ]
        )
    keys = [error.key for error in caught.value.errors]
    assert keys == ["calendar.override_conflict", "calendar.override_invalid"]


def test_override_same_kind_twice_allowed() -> None:
    overrides = parse_overrides(
        [
            {"days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]},
            {"days": [{"date": "2027-01-01", "kind": "holiday", "name": "New Year"}]},
        ]
    )
    assert [entry.name for entry in overrides.days[date(2027, 1, 1)]] == ["New Year"]


def test_override_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_overrides(["school-2027.yml"], [tmp_path, SHIPPED])
    assert caught.value.key == "calendar.override_missing"
