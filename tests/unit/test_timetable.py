"""Timetable formats, period tables and semester settings: parsing and validation errors."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors
from ansible_collections.labshift.lab.plugins.module_utils.timetable import (
    Semester,
    load_timetable,
    parse_ics,
    parse_native_yaml,
    parse_period_tables,
    parse_semester,
    parse_wakeup_csv,
    parse_weekday,
    parse_weeks,
    table_for,
)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "planner"
EXAMPLE_FILES = REPO / "inventories" / "example" / "files"
ZONE = ZoneInfo("Asia/Shanghai")
SEMESTER = Semester("2026 autumn", date(2026, 9, 7), 20, frozenset({19, 20}))
HEADER = "课程名称,星期,开始节数,结束节数,老师,地点,周数\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-16", set(range(1, 17))),
        ("1-15单", {1, 3, 5, 7, 9, 11, 13, 15}),
        ("2-16双", {2, 4, 6, 8, 10, 12, 14, 16}),
        ("3,5,7-9", {3, 5, 7, 8, 9}),
        ("第1-4周", {1, 2, 3, 4}),
        ("1-3，6", {1, 2, 3, 6}),
        ("4", {4}),
        ("1-6单,8-10", {1, 3, 5, 8, 9, 10}),
    ],
)
def test_weeks_notation(text: str, expected: set[int]) -> None:
    assert parse_weeks(text, "t") == frozenset(expected)


@pytest.mark.parametrize("text", ["", "16-1", "0-3", "a-b", "1-16x", "2-2单", "1--3"])
def test_weeks_invalid(text: str) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_weeks(text, "file.csv:3")
    assert caught.value.key == "timetable.weeks_invalid"
    assert "file.csv:3" in caught.value.message("en")


def test_weeks_beyond_semester() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_weeks("1-22", "file.csv:2", 20)
    assert caught.value.key == "timetable.weeks_out_of_range"
    assert "22" in caught.value.message("zh")


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (7, 7), ("周三", 3), ("星期日", 7), ("Friday", 5)])
def test_weekday_forms(value: object, expected: int) -> None:
    assert parse_weekday(value, "t") == expected


@pytest.mark.parametrize("value", ["0", "8", "周八", ""])
def test_weekday_invalid(value: object) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_weekday(value, "t")
    assert caught.value.key == "timetable.weekday_invalid"


def test_example_csv_room_a() -> None:
    sessions = load_timetable(EXAMPLE_FILES / "timetable-a.csv", "a", SEMESTER, ZONE)
    assert len(sessions) == 24
    network = next(s for s in sessions if s.course == "计算机网络实验")
    assert network.weekday == 1
    assert (network.first_period, network.last_period) == (5, 6)
    assert network.weeks == frozenset(range(2, 17, 2))
    training = next(s for s in sessions if s.course == "全国计算机等级考试培训")
    assert training.weeks == frozenset({3, 5, 7, 8, 9})


def test_example_weekly_session_count() -> None:
    # The example's realistic timetable has about 40 class sessions a week in the two rooms.
    sessions = [
        *load_timetable(EXAMPLE_FILES / "timetable-a.csv", "a", SEMESTER, ZONE),
        *load_timetable(EXAMPLE_FILES / "timetable-b.csv", "b", SEMESTER, ZONE),
    ]
    per_week = [sum(1 for s in sessions if week in s.weeks) for week in range(1, 17)]
    assert min(per_week) >= 35
    assert max(per_week) <= 45


def test_csv_teacher_dropped() -> None:
    sessions = parse_wakeup_csv(HEADER + "数据结构,1,1,2,李老师,信息楼301,1-16\n", "t.csv")
    assert "李老师" not in repr(sessions)
    assert sessions[0].location == "信息楼301"


def test_csv_gb18030_encoding() -> None:
    sessions = load_timetable(DATA / "timetable-gb18030.csv", "a", SEMESTER, ZONE)
    assert sessions[0].course == "数据结构"


def test_csv_missing_column() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_wakeup_csv("课程名称,星期,开始节数,老师\n数据结构,1,1,李老师\n", "bad.csv")
    assert caught.value.key == "timetable.csv_header"
    assert "结束节数" in caught.value.message("zh")
    assert "周数" in caught.value.message("en")


def test_csv_errors_name_every_line() -> None:
    text = HEADER + "A,9,1,2,,,1-16\nB,1,3,2,,,1-16\nC,1,1,2,,,1-16\nD,2,1,2,,,x\n"
    with pytest.raises(LabShiftErrors) as caught:
        parse_wakeup_csv(text, "bad.csv")
    keys = [error.key for error in caught.value.errors]
    assert keys == ["timetable.weekday_invalid", "timetable.period_invalid", "timetable.weeks_invalid"]
    rendered = caught.value.message("en")
    assert "bad.csv:2" in rendered
    assert "bad.csv:3" in rendered
    assert "bad.csv:5" in rendered


def test_csv_header_only_is_empty() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_wakeup_csv(HEADER, "empty.csv")
    assert caught.value.key == "timetable.empty"


def test_yaml_periods_and_clock_times() -> None:
    data = {
        "sessions": [
            {"course": "A", "weekday": 1, "periods": [1, 2], "weeks": "1-16"},
            {"course": "B", "weekday": "周二", "start": "19:00", "end": "21:00", "weeks": [1, 2, 3]},
            {"course": "C", "weekday": 3, "periods": 5, "weeks": "2-8双"},
        ]
    }
    sessions = parse_native_yaml(data, "t.yml", 20)
    assert (sessions[0].first_period, sessions[0].last_period) == (1, 2)
    assert (sessions[1].start, sessions[1].end) == (time(19), time(21))
    assert sessions[1].weeks == frozenset({1, 2, 3})
    assert (sessions[2].first_period, sessions[2].last_period) == (5, 5)


@pytest.mark.parametrize(
    ("session", "key"),
    [
        ({"course": "A", "weekday": 1, "weeks": "1-16"}, "timetable.session_form"),
        (
            {"course": "A", "weekday": 1, "periods": [1, 2], "start": "08:00", "weeks": "1"},
            "timetable.session_form",
        ),
        (
            {"course": "A", "weekday": 1, "start": "10:00", "end": "09:00", "weeks": "1"},
            "timetable.time_invalid",
        ),
        (
            {"course": "A", "weekday": 1, "start": 600, "end": "11:00", "weeks": "1"},
            "timetable.time_unquoted",
        ),
        (
            {"course": "A", "weekday": 1, "start": 1440, "end": "11:00", "weeks": "1"},
            "timetable.time_invalid",
        ),
        ({"weekday": 1, "periods": [1], "weeks": "1"}, "timetable.field_missing"),
        ({"course": "A", "weekday": 1, "periods": [1, 2, 3], "weeks": "1"}, "timetable.period_invalid"),
    ],
)
def test_yaml_invalid_session(session: dict[str, object], key: str) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_native_yaml({"sessions": [session]}, "t.yml", 20)
    assert caught.value.key == key
    assert "sessions[1]" in caught.value.message("en")


def test_unquoted_time_names_the_clock() -> None:
    session = yaml.safe_load("course: A\nweekday: 1\nstart: 18:00\nend: '19:00'\nweeks: '1'")
    with pytest.raises(LabShiftError) as caught:
        parse_native_yaml({"sessions": [session]}, "t.yml", 20)
    assert 'write it quoted, "18:00"' in caught.value.message("en")
    assert "1080" in caught.value.message("zh")


def test_missing_weeks_names_csv_column() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_native_yaml({"sessions": [{"course": "A", "weekday": 1, "periods": [1]}]}, "t.yml", 20)
    assert caught.value.key == "timetable.field_missing"
    assert "周数 (weeks)" in caught.value.message("en")
    assert "fill in that column" in caught.value.message("en")


def test_yaml_without_sessions_list() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_native_yaml({"classes": []}, "t.yml")
    assert caught.value.key == "timetable.yaml_invalid"


def test_ics_folds_occurrences_into_weeks() -> None:
    sessions = load_timetable(DATA / "timetable-b.ics", "b", SEMESTER, ZONE)
    by_course = {session.course: session for session in sessions}
    assert set(by_course) == {"办公软件应用", "计算机基础", "补考"}
    office = by_course["办公软件应用"]
    assert (office.weekday, office.start, office.end) == (1, time(8), time(9, 40))
    # UNTIL 2026-12-21T00:00Z is 08:00 local, the start of the week-16 class, and UNTIL is inclusive.
    assert office.weeks == frozenset(range(1, 17))
    basics = by_course["计算机基础"]
    # Every other week from week 1, eight times, without the EXDATE of 23 September (week 3).
    assert basics.weeks == frozenset({1, 5, 7, 9, 11, 13, 15})
    assert basics.dates is not None
    assert date(2026, 9, 23) not in basics.dates
    assert date(2026, 10, 7) in basics.dates
    retake = by_course["补考"]
    assert (retake.weekday, retake.start, retake.end, retake.weeks) == (4, time(14), time(16), frozenset({6}))


def test_ics_unparsable() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_ics(b"BEGIN:VCALENDAR\nnot a calendar", "bad.ics", SEMESTER, ZONE)
    assert caught.value.key == "timetable.ics_invalid"
    assert "bad.ics" in caught.value.message("en")


def test_ics_without_classes() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_ics(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "empty.ics", SEMESTER, ZONE)
    assert caught.value.key == "timetable.empty"


def _event_calendar(event_lines: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", "BEGIN:VEVENT", "UID:class-7@t"]
    lines += ["DTSTAMP:20260801T000000Z", *event_lines.split("|"), "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    ("event_lines", "fragment"),
    [
        ("SUMMARY:x|DTSTART;TZID=Asia/Shanghai:20260908T080000", "DTEND is missing"),
        (
            "SUMMARY:x|DTSTART;TZID=Asia/Shanghai:20260908T230000|DTEND;TZID=Asia/Shanghai:20260909T010000",
            "midnight",
        ),
        (
            "SUMMARY:x|DTSTART;TZID=Asia/Shanghai:20260908T080000|DTEND;TZID=Asia/Shanghai:20260908T070000",
            "duration",
        ),
    ],
)
def test_ics_invalid_event(event_lines: str, fragment: str) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_ics(_event_calendar(event_lines), "t.ics", SEMESTER, ZONE)
    assert caught.value.key == "timetable.ics_event_invalid"
    english = caught.value.message("en")
    assert "class-7@t" in english
    assert fragment in english


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "timetable.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(LabShiftError) as caught:
        load_timetable(path, "a", SEMESTER, ZONE)
    assert caught.value.key == "timetable.format_unknown"


def test_missing_file_names_room(tmp_path: Path) -> None:
    with pytest.raises(LabShiftError) as caught:
        load_timetable(tmp_path / "nope.csv", "b", SEMESTER, ZONE)
    assert caught.value.key == "timetable.file_missing"
    assert "b" in caught.value.params["room"]


def test_semester_valid() -> None:
    semester = parse_semester({"name": "S", "first_day": "2026-09-07", "weeks": 20, "exam_weeks": [19, 20]})
    assert semester.end_day == date(2027, 1, 25)
    assert semester.week_of(date(2026, 10, 10)) == 5
    assert semester.exam_weeks == frozenset({19, 20})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_day": "2026-09-08", "weeks": 20}, "first_day"),
        ({"first_day": "2026-13-01", "weeks": 20}, "first_day"),
        ({"first_day": "2026-09-07", "weeks": 0}, "weeks"),
        ({"first_day": "2026-09-07", "weeks": "20"}, "weeks"),
        ({"first_day": "2026-09-07", "weeks": 20, "exam_weeks": [21]}, "exam_weeks"),
    ],
)
def test_semester_invalid(data: dict[str, object], field: str) -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_semester(data)
    assert caught.value.params["field"] == field
    assert "labshift_semester" in caught.value.message("zh")
    assert "labshift_semester" in caught.value.message("en")


def test_period_table_unquoted_time() -> None:
    # PyYAML reads an unquoted 10:00 as the sexagesimal integer 600.
    with pytest.raises(LabShiftError) as caught:
        parse_period_tables({"t": {"periods": {1: ["08:00", "08:45"], 3: 600}}})
    assert caught.value.key == "periods.sexagesimal"
    assert "10:00-10:45" in caught.value.message("en")


def test_period_table_overlap() -> None:
    with pytest.raises(LabShiftError) as caught:
        parse_period_tables({"t": {"periods": {1: "08:00-08:45", 2: "08:40-09:30"}}})
    assert caught.value.key == "periods.invalid"
    assert "period 2" in caught.value.message("en")


def test_period_table_selection() -> None:
    tables = parse_period_tables(
        {
            "summer": {"from": "2026-05-01", "to": "2026-09-30", "periods": {1: "14:30-15:15"}},
            "winter": {"from": "2026-10-01", "to": "2027-04-30", "periods": {1: "14:00-14:45"}},
            "east": {"rooms": ["c"], "periods": {1: "09:00-09:45"}},
        }
    )
    assert table_for(tables, "a", date(2026, 9, 30)).name == "summer"
    assert table_for(tables, "a", date(2026, 10, 1)).name == "winter"
    assert table_for(tables, "c", date(2026, 11, 1)).name == "east"
    with pytest.raises(LabShiftError) as caught:
        table_for(tables, "a", date(2027, 5, 1))
    assert caught.value.key == "periods.none_for_day"


def test_period_tables_ambiguous() -> None:
    tables = parse_period_tables(
        {
            "one": {"from": "2026-09-01", "to": "2026-12-31", "periods": {1: "08:00-08:45"}},
            "two": {"from": "2026-12-01", "to": "2027-01-31", "periods": {1: "08:00-08:45"}},
        }
    )
    with pytest.raises(LabShiftError) as caught:
        table_for(tables, "a", date(2026, 12, 15))
    assert caught.value.key == "periods.ambiguous"
    assert "one" in caught.value.message("en")


def test_ics_class_ending_at_midnight(tmp_path: Path) -> None:
    path = tmp_path / "late.ics"
    path.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:late@t\r\n"
        b"DTSTAMP:20260801T000000Z\r\nSUMMARY:Late lab\r\nDTSTART;TZID=Asia/Shanghai:20260908T220000\r\n"
        b"DTEND;TZID=Asia/Shanghai:20260909T000000\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    sessions = load_timetable(path, "a", SEMESTER, ZONE)
    assert [(s.weekday, s.start, s.end, s.weeks) for s in sessions] == [
        (2, time(22), time(0), frozenset({1, 2}))
    ]


def test_csv_line_numbers_with_multiline_cell() -> None:
    text = HEADER + '"数据\n结构",1,1,2,,,1-16\nB,9,1,2,,,1-16\n'
    with pytest.raises(LabShiftError) as caught:
        parse_wakeup_csv(text, "multi.csv")
    assert "multi.csv:4" in caught.value.message("en")
