"""Planner outputs: plan.json schema, AWX rrules, systemd timers, calendar.ics, index.html, file writing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import yaml

from ansible_collections.labshift.lab.plugins.module_utils.export_awx import (
    awx_schedules,
    check_awx_rrule,
    compress_edges,
    expand_rrule,
    room_label,
    rrule_string,
)
from ansible_collections.labshift.lab.plugins.module_utils.export_html import render_html
from ansible_collections.labshift.lab.plugins.module_utils.export_ics import render_ics
from ansible_collections.labshift.lab.plugins.module_utils.export_systemd import (
    SystemdSettings,
    on_calendar_lines,
    unit_files,
)
from ansible_collections.labshift.lab.plugins.module_utils.exporters import (
    load_plan_schema,
    plan_edges,
    plan_to_dict,
    render_outputs,
)
from ansible_collections.labshift.lab.plugins.module_utils.plan_inputs import PlannerSettings, build_plan
from ansible_collections.labshift.lab.plugins.module_utils.plan_outputs import (
    stale_outputs,
    validate_plan_document,
    write_outputs,
)
from ansible_collections.labshift.lab.plugins.module_utils.windows import Plan

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "inventories" / "example"
ZONE = ZoneInfo("Asia/Shanghai")


def example_settings(**changes: Any) -> PlannerSettings:
    timetable = yaml.safe_load((EXAMPLE / "group_vars" / "all" / "timetable.yml").read_text(encoding="utf-8"))
    main = yaml.safe_load((EXAMPLE / "group_vars" / "all" / "main.yml").read_text(encoding="utf-8"))
    values: dict[str, Any] = {
        "rooms": main["labshift_rooms"],
        "timetable_files": timetable["labshift_timetable_files"],
        "semester": timetable["labshift_semester"],
        "period_tables": timetable["labshift_period_tables"],
        "calendar_overrides": timetable["labshift_calendar_overrides"],
        "lead_minutes": timetable["labshift_switch_lead_minutes"],
        "handback_buffer_minutes": timetable["labshift_switch_handback_buffer_minutes"],
        "min_window_minutes": timetable["labshift_switch_min_window_minutes"],
        "base_dir": str(EXAMPLE),
    }
    values.update(changes)
    return PlannerSettings(**values)


@pytest.fixture(scope="module")
def example_plan() -> Plan:
    return build_plan(example_settings())


def test_plan_json_matches_schema(example_plan: Plan) -> None:
    document = plan_to_dict(example_plan)
    validate_plan_document(document)
    assert set(document["rooms"]) == {"a", "b"}
    assert document["semester"]["last_day"] == "2027-01-24"
    window = document["rooms"]["a"]["windows"][0]
    assert window["to_platform_at"] == "2026-09-07T00:00:00+08:00"
    assert window["start"] == "2026-09-07T00:30:00+08:00"


def test_schema_rejects_broken_plan(example_plan: Plan) -> None:
    document = plan_to_dict(example_plan)
    document["rooms"]["a"]["windows"][0]["start"] = "2026-09-07 00:30"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, load_plan_schema())


def test_example_plan_facts(example_plan: Plan) -> None:
    document = plan_to_dict(example_plan)
    special = {day["date"]: day for day in document["special_days"]}
    assert special["2026-10-10"]["follows"] == "2026-10-02"
    assert special["2026-09-20"]["fully_taught"] is True
    assert special["2027-01-01"]["kind"] == "holiday"
    starts = {window["start"] for window in document["rooms"]["a"]["windows"]}
    # National Day: from Wednesday 30 September after the last class until Thursday 8 October.
    assert "2026-09-30T22:35:00+08:00" not in starts  # room a has no Wednesday evening class that week
    holiday = [w for w in document["rooms"]["a"]["windows"] if w["start"].startswith("2026-09-30")]
    assert holiday[-1]["end"] == "2026-10-08T07:40:00+08:00"
    # New Year's Day 2027 (a Friday, from the shipped override data) is free all day in room a.
    new_year = [
        w
        for w in document["rooms"]["a"]["windows"]
        if w["start"] <= "2027-01-01T00:00:00+08:00" and w["end"] >= "2027-01-02T00:00:00+08:00"
    ]
    assert len(new_year) == 1


def test_awx_rules_expand_to_edges(example_plan: Plan) -> None:
    edges = plan_edges(example_plan)
    schedules = awx_schedules(edges, ZONE, "zh")
    for item in schedules:
        assert check_awx_rrule(item["rrule"]) == [], item
    for room in ("a", "b"):
        for job in ("to_platform", "to_teaching"):
            expanded = sorted(
                moment
                for item in schedules
                if (item["room"], item["job"]) == (room, job)
                for moment in expand_rrule(item["rrule"])
            )
            assert expanded == sorted(edges[room][job])
    names = [item["name"] for item in schedules]
    assert len(names) == len(set(names))


def test_awx_odd_weeks_use_interval_two() -> None:
    edges = [datetime(2026, 9, 7, 17, 40, tzinfo=ZONE) + timedelta(weeks=2 * n) for n in range(8)]
    rules = compress_edges(edges, ZONE)
    assert len(rules) == 1
    text = rrule_string(rules[0], ZONE)
    assert "INTERVAL=2" in text
    assert text.startswith("DTSTART;TZID=Asia/Shanghai:20260907T174000 ")
    assert text.endswith("UNTIL=20261214T094000Z")
    assert expand_rrule(text) == edges


def test_awx_weekdays_share_rule() -> None:
    monday = datetime(2026, 11, 2, 11, 40, tzinfo=ZONE)
    edges = [monday + timedelta(weeks=week, days=day) for week in range(4) for day in (0, 2, 4)]
    rules = compress_edges(edges, ZONE)
    assert len(rules) == 1
    assert "BYDAY=MO,WE,FR" in rrule_string(rules[0], ZONE)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("DTSTART:20260907T000000Z RRULE:FREQ=WEEKLY;INTERVAL=1", "not of the form"),
        ("DTSTART;TZID=Asia/Shanghai:20260907T000000 RRULE:FREQ=WEEKLY;BYDAY=MO", "INTERVAL missing"),
        (
            "DTSTART;TZID=Asia/Shanghai:20260907T000000 "
            "RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=3;UNTIL=20261001T000000Z",
            "COUNT together with UNTIL",
        ),
        (
            "DTSTART;TZID=Asia/Shanghai:20260907T000000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=1MO",
            "numeric prefix",
        ),
        (
            "DTSTART;TZID=Asia/Shanghai:20260907T000000 RRULE:FREQ=WEEKLY;INTERVAL=1;UNTIL=20261001T000000",
            "UTC",
        ),
    ],
)
def test_check_awx_rrule_rejects(value: str, problem: str) -> None:
    assert any(problem in reason for reason in check_awx_rrule(value))


def test_on_calendar_lines_group_by_month() -> None:
    edges = [
        datetime(2026, 9, 7, 11, 40, tzinfo=ZONE),
        datetime(2026, 9, 14, 11, 40, tzinfo=ZONE),
        datetime(2026, 10, 12, 11, 40, tzinfo=ZONE),
        datetime(2026, 9, 7, 18, 0, tzinfo=ZONE),
    ]
    assert on_calendar_lines(edges, ZONE) == [
        "2026-09-07,14 11:40:00 Asia/Shanghai",
        "2026-09-07 18:00:00 Asia/Shanghai",
        "2026-10-12 11:40:00 Asia/Shanghai",
    ]


ELAPSE = re.compile(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_accepts_timers(example_plan: Plan) -> None:
    edges = plan_edges(example_plan)
    base = "2026-09-01 00:00:00 UTC"
    environment = {**os.environ, "TZ": "UTC", "SYSTEMD_COLORS": "0"}
    for room in ("a", "b"):
        for job in ("to_platform", "to_teaching"):
            elapses: list[datetime] = []
            for line in on_calendar_lines(edges[room][job], ZONE):
                days = line.split(" ")[0].count(",") + 1
                completed = subprocess.run(
                    ["systemd-analyze", "calendar", f"--base-time={base}", f"--iterations={days + 1}", line],
                    capture_output=True,
                    text=True,
                    env=environment,
                    check=True,
                    timeout=30,
                )
                found = [
                    datetime.fromisoformat(text).replace(tzinfo=UTC)
                    for text in ELAPSE.findall(completed.stdout)
                ]
                assert len(found) == days, completed.stdout
                elapses.extend(found)
            assert sorted(elapses) == sorted(edge.astimezone(UTC) for edge in edges[room][job])


def test_unit_files_content(example_plan: Plan) -> None:
    settings = SystemdSettings(
        "/srv/labshift", "/srv/labshift/.venv/bin/ansible-playbook", "inventories/example"
    )
    files = unit_files(
        plan_edges(example_plan), ZONE, settings, {"to_platform": "{room} p", "to_teaching": "{room} t"}
    )
    assert sorted(files) == [
        "labshift-a-to-platform.service",
        "labshift-a-to-platform.timer",
        "labshift-a-to-teaching.service",
        "labshift-a-to-teaching.timer",
        "labshift-b-to-platform.service",
        "labshift-b-to-platform.timer",
        "labshift-b-to-teaching.service",
        "labshift-b-to-teaching.timer",
    ]
    service = files["labshift-b-to-teaching.service"]
    assert (
        "ExecStart=/srv/labshift/.venv/bin/ansible-playbook -i inventories/example playbooks/switch.yml "
        "-e labshift_switch_direction=teaching -e labshift_switch_rooms=b"
    ) in service
    assert "WorkingDirectory=/srv/labshift" in service
    timer = files["labshift-a-to-platform.timer"]
    assert "Persistent=false" in timer
    assert "Unit=labshift-a-to-platform.service" in timer
    assert timer.count("OnCalendar=") >= 10


@pytest.mark.parametrize("language", ["zh", "en"])
def test_descriptions_name_rooms(example_plan: Plan, language: str) -> None:
    outputs = render_outputs(example_plan, language, SystemdSettings("/srv/labshift"))
    room_a = example_plan.rooms["a"].names[language]

    schedules = json.loads(outputs["awx-schedules.json"])
    service = outputs["systemd/labshift-a-to-platform.service"]

    description = next(entry["description"] for entry in schedules if entry["room"] == "a")
    assert description.startswith(room_a)
    assert ("（a）" if language == "zh" else "(room a)") in description
    assert f"Description=LabShift{'：' if language == 'zh' else ' '}{room_a}" in service


def test_room_label_without_name() -> None:
    assert room_label("c", None, "zh") == "房间 c"
    assert room_label("c", {}, "en") == "Room c"
    assert room_label("c", {"en": "Lab 5"}, "zh") == "Lab 5（c）"


def test_no_timer_without_windows() -> None:
    files = unit_files(
        {"a": {"to_platform": [], "to_teaching": []}},
        ZONE,
        SystemdSettings("/x"),
        {
            "to_platform": "{room}",
            "to_teaching": "{room}",
        },
    )
    assert files == {}


def test_calendar_ics_round_trip(example_plan: Plan) -> None:
    from icalendar import Calendar

    text = render_ics(example_plan, "zh")
    calendar = Calendar.from_ical(text)
    events: list[Any] = list(calendar.walk("VEVENT"))
    windows = [w for room in example_plan.rooms.values() for w in room.windows]
    assert len(events) == len(windows)
    first = events[0]
    assert first["DTSTART"].dt == datetime(2026, 9, 7, 0, 30, tzinfo=ZONE)
    assert first["DTEND"].dt == datetime(2026, 9, 7, 7, 40, tzinfo=ZONE)
    assert str(first["SUMMARY"]) == "信息楼 301 机房：AI 平台开放"
    assert len({str(event["UID"]) for event in events}) == len(events)
    assert len(list(calendar.walk("VTIMEZONE"))) == 1
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    english = Calendar.from_ical(render_ics(example_plan, "en"))
    english_events: list[Any] = list(english.walk("VEVENT"))
    assert str(english_events[0]["SUMMARY"]) == "Info Building Lab 301: AI platform open"


def test_index_html_languages(example_plan: Plan) -> None:
    chinese = render_html(example_plan, "zh")
    assert '<html lang="zh-CN">' in chinese
    assert "第 1 周（2026-09-07 至 2026-09-13）" in chinese
    assert "国庆节 放假" in chinese
    assert chinese.count("<svg") == 2 * 20
    english = render_html(example_plan, "en")
    assert '<html lang="en">' in english
    assert "Week 20 (2027-01-18 to 2027-01-24)" in english
    assert "holiday" in english


def test_index_html_escapes_names() -> None:
    plan = build_plan(
        example_settings(
            rooms={"a": {"group": "room_a", "name": {"zh": "<script>x</script>"}}, "b": {"group": "room_b"}}
        )
    )
    page = render_html(plan, "zh")
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_open_cells_cover_each_window_day(example_plan: Plan) -> None:
    # Every window contributes one green cell per local day it touches.
    page = render_html(example_plan, "en")
    expected = 0
    for room in example_plan.rooms.values():
        for window in room.windows:
            start = datetime.fromtimestamp(window.start, ZONE)
            end = datetime.fromtimestamp(window.end, ZONE)
            last_day = (end - timedelta(microseconds=1)).date()
            expected += (last_day - start.date()).days + 1
    assert page.count('class="open"') == expected


def test_write_outputs_idempotent(tmp_path: Path, example_plan: Plan) -> None:
    outputs = render_outputs(example_plan, "zh", SystemdSettings("/srv/labshift"))
    assert write_outputs(tmp_path, outputs, dry_run=True)
    assert not any(tmp_path.iterdir())
    written = write_outputs(tmp_path, outputs)
    assert set(written) == set(outputs)
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["schema_version"] == 1
    again = render_outputs(example_plan, "zh", SystemdSettings("/srv/labshift"))
    again["calendar.ics"] = again["calendar.ics"].replace("DTSTAMP:2", "DTSTAMP:1")
    assert write_outputs(tmp_path, again) == []
    changed = dict(again)
    changed["index.html"] += "<!-- changed -->"
    assert write_outputs(tmp_path, changed) == ["index.html"]


def test_stale_outputs(tmp_path: Path) -> None:
    (tmp_path / "systemd").mkdir()
    (tmp_path / "systemd" / "labshift-c-to-platform.timer").write_text("x", encoding="utf-8")
    (tmp_path / "systemd" / "labshift-a-to-platform.timer").write_text("x", encoding="utf-8")
    (tmp_path / "systemd" / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "calendar-a.ics").write_text("x", encoding="utf-8")
    (tmp_path / "calendar-c.ics").write_text("x", encoding="utf-8")
    outputs = {"systemd/labshift-a-to-platform.timer": "x", "calendar-a.ics": "x"}
    assert stale_outputs(tmp_path, outputs) == ["calendar-c.ics", "systemd/labshift-c-to-platform.timer"]


def test_room_calendars_hold_one_room(example_plan: Plan) -> None:
    outputs = render_outputs(example_plan, "en", SystemdSettings("/srv/labshift"))
    whole = outputs["calendar.ics"].count("BEGIN:VEVENT")

    counts = {}
    for room_id in example_plan.rooms:
        calendar = outputs[f"calendar-{room_id}.ics"]
        counts[room_id] = calendar.count("BEGIN:VEVENT")
        assert calendar.count(f"UID:labshift-{room_id}-") == counts[room_id]
        assert example_plan.rooms[room_id].names["en"] in calendar.split("BEGIN:VTIMEZONE")[0]
        assert f'href="calendar-{room_id}.ics"' in outputs["index.html"]

    assert sum(counts.values()) == whole
    assert all(count > 0 for count in counts.values())


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/install.sh installs it)")
@pytest.mark.parametrize(
    ("today", "expected_open"),
    [("2026-10-14", ["2026-10-12"]), ("2026-08-01", ["2026-09-07"]), ("2027-03-01", ["2026-09-07"])],
)
def test_page_opens_current_week(example_plan: Plan, today: str, expected_open: list[str]) -> None:
    page = render_html(example_plan, "en")
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    weeks = re.findall(r'<details data-first="([0-9-]+)" data-last="([0-9-]+)"( open)?>', page)
    states = [{"first": first, "last": last, "open": bool(opened)} for first, last, opened in weeks]
    harness = f"""
const weeks = {json.dumps(states)}
  .map((week) => ({{ dataset: {{ first: week.first, last: week.last }}, open: week.open }}));
global.document = {{ querySelectorAll: () => weeks }};
const RealDate = Date;
global.Date = class extends RealDate {{ constructor() {{ super("{today}T12:00:00"); }} }};
{script}
const opened = weeks.filter((week) => week.open).map((week) => week.dataset.first);
console.log(JSON.stringify([...new Set(opened)]));
"""
    assert NODE is not None
    run = subprocess.run([NODE, "-e", harness], capture_output=True, text=True, check=False, timeout=60)

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == expected_open


def test_edges_at_semester_start(example_plan: Plan) -> None:
    edges = plan_edges(example_plan)
    assert min(edges["a"]["to_platform"]) == datetime.combine(date(2026, 9, 7), time(0), ZONE)
    assert max(edges["a"]["to_teaching"]) <= datetime(2027, 1, 24, 23, 40, tzinfo=ZONE)
