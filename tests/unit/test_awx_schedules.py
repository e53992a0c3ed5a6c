"""Unit tests for the AWX schedule plan core and the rrule checks of the AWX API double."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from dateutil import rrule as dateutil_rrule

from ansible_collections.labshift.lab.plugins.module_utils.awx_schedules import (
    job_template_name,
    job_templates,
    load_plan,
    rrule_problems,
    schedules,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.doubles.awx_api_rrule import rrule_errors, schedule_times  # noqa: E402

PLAN = Path(__file__).resolve().parents[1] / "data" / "awx" / "awx-schedules.json"
ROOMS: dict[str, dict[str, Any]] = {"a": {"group": "room_a"}, "b": {"group": "room_b"}}
GOOD = (
    "DTSTART;TZID=Asia/Shanghai:20260907T114000 "
    "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;UNTIL=20270115T034000Z"
)

# Each case is rejected by AWX 24 (and so by the double) and by the LabShift check.
AWX_REJECTS = [
    pytest.param("RRULE:FREQ=WEEKLY;INTERVAL=1", id="no-dtstart"),
    pytest.param("DTSTART:20260907T114000 RRULE:FREQ=WEEKLY;INTERVAL=1", id="naive-dtstart"),
    pytest.param("DTSTART;TZID=Asia/Shanghai:20260907T114000", id="no-rule"),
    pytest.param("DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=WEEKLY;BYDAY=MO", id="no-interval"),
    pytest.param("DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=SECONDLY;INTERVAL=1", id="secondly"),
    pytest.param(
        "DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=2MO", id="byday-n"
    ),
    pytest.param(
        "DTSTART;TZID=Asia/Shanghai:20260907T114000 "
        "RRULE:FREQ=DAILY;INTERVAL=1;COUNT=3;UNTIL=20261001T000000Z",
        id="count-and-until",
    ),
    pytest.param(
        "DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1000", id="count"
    ),
    pytest.param(
        "DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=DAILY;INTERVAL=1 EXDATE:20260908T114000",
        id="exdate",
    ),
    pytest.param(
        "DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20261001T000000",
        id="local-until",
    ),
    pytest.param(
        "DTSTART;TZID=Asia/Shanghai:20260907T114000 DTSTART;TZID=Asia/Shanghai:20260908T114000 "
        "RRULE:FREQ=DAILY;INTERVAL=1",
        id="two-dtstart",
    ),
]


def test_good_rrule_passes_both_checks() -> None:
    assert rrule_problems(GOOD) == []
    assert rrule_errors(GOOD) == []


@pytest.mark.parametrize("value", AWX_REJECTS)
def test_awx_limits_rejected_by_both(value: str) -> None:
    assert rrule_problems(value) != []
    assert rrule_errors(value) != []


def test_utc_dtstart_accepted_by_awx_only() -> None:
    value = "DTSTART:20260907T034000Z RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO"
    assert rrule_errors(value) == []
    problems = rrule_problems(value)
    assert len(problems) == 1
    assert "TZID" in problems[0]


def test_double_schedule_times() -> None:
    times = schedule_times(
        GOOD, now=__import__("datetime").datetime(2026, 12, 4, tzinfo=__import__("datetime").UTC)
    )
    assert times.timezone == "Asia/Shanghai"
    assert times.dtstart == "2026-09-07T03:40:00Z"
    assert times.next_run == "2026-12-07T03:40:00Z"
    assert times.until == "20270115T034000Z"


def test_fixture_plan_matches_planner_shape() -> None:
    plan = load_plan(PLAN)
    assert plan
    for entry in plan:
        assert set(entry) == {"room", "job", "name", "rrule", "description"}
        assert rrule_problems(entry["rrule"]) == []
        assert rrule_errors(entry["rrule"]) == []


def test_fixture_rrules_expand_in_local_time() -> None:
    for entry in load_plan(PLAN):
        ruleset = dateutil_rrule.rrulestr("\n".join(entry["rrule"].split()), forceset=True)
        first = next(iter(ruleset))
        assert first.utcoffset() == dt.timedelta(hours=8)


def test_job_templates_two_per_room() -> None:
    specs = job_templates(ROOMS, "LabShift")
    assert [spec.name for spec in specs] == [
        "LabShift room a: switch to platform",
        "LabShift room a: switch to teaching",
        "LabShift room b: switch to platform",
        "LabShift room b: switch to teaching",
    ]
    assert specs[1].limit == "room_a"
    assert specs[1].extra_vars == {"labshift_switch_direction": "teaching", "labshift_switch_rooms": "a"}


def test_schedules_map_to_job_templates() -> None:
    plan = load_plan(PLAN)
    planned = schedules(plan, ROOMS, "LabShift")
    assert len(planned) == len(plan)
    for entry, schedule in zip(plan, planned, strict=True):
        assert schedule["unified_job_template"] == job_template_name("LabShift", entry["room"], entry["job"])
        assert schedule["rrule"] == entry["rrule"]


def test_schedules_report_every_problem() -> None:
    plan = [
        {"room": "c", "job": "to_platform", "name": "x-1", "rrule": GOOD},
        {"room": "a", "job": "to_lunch", "name": "x-2", "rrule": GOOD},
        {
            "room": "a",
            "job": "to_platform",
            "name": "x-2",
            "rrule": "DTSTART:20260907T114000 RRULE:FREQ=DAILY",
        },
        {"room": "a", "name": "x-4"},
        "not an object",
    ]
    with pytest.raises(LabShiftErrors) as raised:
        schedules(plan, ROOMS, "LabShift")
    keys = [error.key for error in raised.value.errors]
    assert keys.count("awx.room_unknown") == 1
    assert keys.count("awx.job_unknown") == 1
    assert keys.count("awx.name_duplicate") == 1
    assert keys.count("awx.rrule_invalid") >= 2
    assert keys.count("awx.entry_invalid") == 2
    assert "'c'" in raised.value.message("en")
    assert "labshift_rooms" in raised.value.message("zh")


def test_load_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(LabShiftError) as missing:
        load_plan(tmp_path / "absent.json")
    assert missing.value.key == "awx.plan_missing"
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(LabShiftError) as invalid:
        load_plan(broken)
    assert invalid.value.key == "awx.plan_invalid"
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"room": "a"}), encoding="utf-8")
    with pytest.raises(LabShiftError):
        load_plan(mapping)
