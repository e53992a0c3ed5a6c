"""Planner settings validation and the filter plugins that wrap the planner."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.labshift.lab.plugins.filter.plan_deadline import FilterModule as DeadlineFilters
from ansible_collections.labshift.lab.plugins.filter.plan_windows import FilterModule as WindowFilters
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors
from ansible_collections.labshift.lab.plugins.module_utils.plan_inputs import PlannerSettings, build_plan

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "inventories" / "example"
SANDBOX = REPO / "inventories" / "sandbox"


def inventory_settings(inventory: Path, **changes: Any) -> dict[str, Any]:
    timetable = yaml.safe_load(
        (inventory / "group_vars" / "all" / "timetable.yml").read_text(encoding="utf-8")
    )
    main = yaml.safe_load((inventory / "group_vars" / "all" / "main.yml").read_text(encoding="utf-8"))
    values: dict[str, Any] = {
        "rooms": main["labshift_rooms"],
        "timetable_files": timetable["labshift_timetable_files"],
        "semester": timetable["labshift_semester"],
        "period_tables": timetable["labshift_period_tables"],
        "calendar_overrides": timetable["labshift_calendar_overrides"],
        "lead_minutes": timetable["labshift_switch_lead_minutes"],
        "handback_buffer_minutes": timetable["labshift_switch_handback_buffer_minutes"],
        "min_window_minutes": timetable["labshift_switch_min_window_minutes"],
        "base_dir": str(inventory),
    }
    values.update(changes)
    return values


def test_example_inventory_plans() -> None:
    plan = build_plan(PlannerSettings(**inventory_settings(EXAMPLE)))
    assert set(plan.rooms) == {"a", "b"}
    assert plan.rooms["a"].group == "room_a"
    assert len(plan.rooms["a"].windows) > 100
    assert len(plan.rooms["b"].windows) > 100


def test_sandbox_inventory_plans() -> None:
    plan = build_plan(PlannerSettings(**inventory_settings(SANDBOX)))
    assert set(plan.rooms) == {"a", "b"}
    assert all(room.windows for room in plan.rooms.values())


def test_all_problems_reported_together() -> None:
    values = inventory_settings(
        EXAMPLE,
        timezone="Asia/Beijing",
        semester={"first_day": "2026-09-08", "weeks": 20},
        timetable_files={"a": "files/timetable-a.csv", "c": "files/timetable-c.csv"},
        lead_minutes=-5,
    )
    with pytest.raises(LabShiftErrors) as caught:
        build_plan(PlannerSettings(**values))
    keys = sorted(error.key for error in caught.value.errors)
    assert keys == sorted(
        [
            "plan.timezone_invalid",
            "semester.invalid",
            "plan.parameter_invalid",
            "plan.timetable_room_unknown",
            "plan.timetable_missing",
        ]
    )
    chinese = caught.value.message("zh")
    english = caught.value.message("en")
    assert "Asia/Beijing" in chinese
    assert "Asia/Beijing" in english
    assert "房间 b 没有课程表" in chinese
    assert "Room b has no timetable" in english


def test_year_without_holiday_data() -> None:
    values = inventory_settings(EXAMPLE, calendar_overrides=[])
    with pytest.raises(LabShiftError) as caught:
        build_plan(PlannerSettings(**values))
    assert caught.value.key == "calendar.year_not_covered"
    assert caught.value.params["date"] == "2027-01-01"


def test_unknown_period_names_line(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE / "files", tmp_path / "files")
    with (tmp_path / "files" / "timetable-b.csv").open("a", encoding="utf-8") as handle:
        handle.write("夜间实验,2,12,13,某老师,信息楼302,1-16\n")
    values = inventory_settings(EXAMPLE, base_dir=str(tmp_path))
    with pytest.raises(LabShiftError) as caught:
        build_plan(PlannerSettings(**values))
    errors = caught.value.errors if isinstance(caught.value, LabShiftErrors) else [caught.value]
    assert {error.key for error in errors} == {"timetable.period_unknown"}
    assert "timetable-b.csv:23" in errors[0].message("en")
    assert {error.params["table"] for error in errors} == {"summer", "winter"}


def test_timetable_file_list_merges(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yml"
    extra.write_text(
        yaml.safe_dump(
            {
                "sessions": [
                    {"course": "夜课", "weekday": 7, "start": "19:00", "end": "21:00", "weeks": "1-16"}
                ]
            }
        ),
        encoding="utf-8",
    )
    files = {"a": [str(EXAMPLE / "files" / "timetable-a.csv"), str(extra)], "b": "files/timetable-b.csv"}
    with_extra = build_plan(PlannerSettings(**inventory_settings(EXAMPLE, timetable_files=files)))
    without = build_plan(PlannerSettings(**inventory_settings(EXAMPLE)))
    # 16 Sundays, less 27 September and 4 October (holidays) and 20 September (a fully taught
    # make-up day that already covers 19:00-21:00).
    assert len(with_extra.rooms["a"].busy) == len(without.rooms["a"].busy) + 13


def test_invalid_rooms() -> None:
    with pytest.raises(LabShiftError) as caught:
        build_plan(PlannerSettings(**inventory_settings(EXAMPLE, rooms={"a": {"name": "x"}})))
    errors = caught.value.errors if isinstance(caught.value, LabShiftErrors) else [caught.value]
    assert "plan.rooms_invalid" in {error.key for error in errors}


def test_plan_windows_filter() -> None:
    values = inventory_settings(EXAMPLE)
    plan_windows = WindowFilters().filters()["plan_windows"]
    document = plan_windows(
        values["rooms"],
        values["timetable_files"],
        values["semester"],
        values["period_tables"],
        calendar_overrides=values["calendar_overrides"],
        base_dir=values["base_dir"],
    )
    assert document["parameters"] == {
        "lead_minutes": 30,
        "handback_buffer_minutes": 20,
        "min_window_minutes": 60,
    }
    deadline = DeadlineFilters().filters()["plan_deadline"]
    assert deadline(document, "a", now="2026-09-07T12:30:00+08:00") == "2026-09-07T16:00:00+08:00"
    assert deadline(document, "a", now="2026-09-07T08:30:00+08:00") is None


def test_filter_error_in_chosen_language() -> None:
    values = inventory_settings(EXAMPLE, calendar_overrides=[])
    plan_windows = WindowFilters().filters()["plan_windows"]
    with pytest.raises(AnsibleFilterError) as caught:
        plan_windows(
            values["rooms"],
            values["timetable_files"],
            values["semester"],
            values["period_tables"],
            base_dir=values["base_dir"],
            language="en",
        )
    assert "No holiday data for 2027" in str(caught.value)
