"""Unit tests for the pure switch core: settings, deadlines, holds, timelines, planning, reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ansible_collections.labshift.lab.plugins.action.switch_announce import ActionModule
from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import NodeView
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError
from ansible_collections.labshift.lab.plugins.module_utils.switch import (
    DRAIN_STARTED_ANNOTATION,
    NodeResult,
    Outcome,
    SwitchSettings,
    bilingual_notice,
    build_report,
    handback_failures,
    handback_timeline,
    hold_reason,
    parse_holds,
    parse_time,
    render_report_text,
    resolve_deadline,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import local_time, parse_rooms, plan_run

NOW = datetime(2026, 3, 2, 11, 40, tzinfo=UTC)
ROOMS = {
    "a": {"group": "room_a", "name": {"zh": "信息楼 301 机房", "en": "Lab 301"}},
    "b": {"group": "room_b", "name": {"zh": "信息楼 302 机房", "en": "Lab 302"}},
}
GROUPS = {
    "room_a": ["ws-a01", "ws-a02"],
    "room_b": ["ws-b01"],
    "workstations": ["ws-a01", "ws-a02", "ws-b01"],
}
HOST_VARS = {
    "ws-a01": {"workstation_mac": "02:00:00:00:0a:01"},
    "ws-a02": {"workstation_mac": "02:00:00:00:0a:02"},
    "ws-b01": {
        "workstation_mac": "02:00:00:00:0b:01",
        "workstation_boot_method": "ipmi",
        "workstation_bmc_address": "10.20.4.11",
    },
}


def plan_with_window(room: str = "a") -> dict[str, Any]:
    return {
        "rooms": {
            room: {
                "windows": [
                    {
                        "to_platform_at": "2026-03-02T11:00:00+00:00",
                        "start": "2026-03-02T11:15:00+00:00",
                        "end": "2026-03-02T11:40:00+00:00",
                        "handback_deadline": "2026-03-02T11:40:00+00:00",
                        "next_class_start": "2026-03-02T12:00:00+00:00",
                    }
                ]
            }
        }
    }


def make_plan(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "direction": "teaching",
        "rooms": ["a", "b"],
        "play_hosts": ["ws-a01", "ws-a02", "ws-b01"],
        "groups": GROUPS,
        "host_vars": HOST_VARS,
        "labshift_rooms": ROOMS,
        "holds": [],
        "deadline_override": "2026-03-02T12:00:00+00:00",
        "plan": None,
        "plan_path": "",
        "settings": SwitchSettings(),
        "now": NOW,
        "run_id": "run-1",
        "language": "en",
    }
    arguments.update(overrides)
    return plan_run(**arguments)


def test_settings_convert_numbers() -> None:
    settings = SwitchSettings.from_mapping(
        {"grace_seconds": "300", "workers": "8", "delete_node_objects": False}
    )
    assert settings.grace_seconds == 300.0
    assert settings.workers == 8
    assert settings.delete_node_objects is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("grace_seconds", "soon"), ("poll_seconds", 0), ("workers", -1), ("delete_node_objects", "yes")],
)
def test_settings_reject_bad_value(name: str, value: Any) -> None:
    with pytest.raises(LabShiftError) as raised:
        SwitchSettings.from_mapping({name: value})
    assert name in raised.value.message("en")
    assert repr(value) in raised.value.message("en")


def test_parse_time_rejects_naive_time() -> None:
    with pytest.raises(LabShiftError) as raised:
        parse_time("2026-03-02T12:00:00")
    assert "with a zone" in raised.value.message("en")


def test_deadline_override_wins() -> None:
    deadline = resolve_deadline("teaching", NOW, SwitchSettings(), "a", "2026-03-02T20:00:00+08:00")
    assert deadline == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_teaching_deadline_is_next_class_start() -> None:
    deadline = resolve_deadline("teaching", NOW, SwitchSettings(), "a", None, plan_with_window(), "plan.json")
    assert deadline == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_teaching_deadline_missing_outside_window() -> None:
    later = NOW + timedelta(hours=2)
    with pytest.raises(LabShiftError) as raised:
        resolve_deadline("teaching", later, SwitchSettings(), "a", None, plan_with_window(), "plan.json")
    assert "labshift_switch_deadline" in raised.value.message("en")


def test_platform_deadline_is_join_timeout() -> None:
    deadline = resolve_deadline("platform", NOW, SwitchSettings(join_timeout_seconds=600), "a")
    assert deadline == NOW + timedelta(minutes=10)


def test_timeline_fits_before_deadline() -> None:
    settings = SwitchSettings(grace_seconds=300, handback_reserve_seconds=300)
    deadline = NOW + timedelta(minutes=20)
    timeline = handback_timeline(NOW, deadline, settings)
    assert timeline.evict_at == NOW + timedelta(minutes=5)
    assert timeline.force_at == NOW + timedelta(minutes=15)
    assert timeline.leave_until == deadline


def test_timeline_short_buffer_cuts_grace() -> None:
    settings = SwitchSettings(grace_seconds=600, handback_reserve_seconds=300)
    timeline = handback_timeline(NOW, NOW + timedelta(minutes=8), settings)
    assert timeline.evict_at == timeline.force_at == NOW + timedelta(minutes=3)


def test_timeline_late_start_acts_at_once() -> None:
    settings = SwitchSettings(grace_seconds=600, handback_reserve_seconds=300, leave_min_seconds=60)
    deadline = NOW - timedelta(minutes=1)
    timeline = handback_timeline(NOW, deadline, settings)
    assert timeline.evict_at == NOW
    assert timeline.force_at == NOW
    assert timeline.leave_until == NOW + timedelta(seconds=60)


def test_timeline_rerun_keeps_first_grace() -> None:
    settings = SwitchSettings(grace_seconds=300, handback_reserve_seconds=300)
    first = NOW - timedelta(minutes=4)
    timeline = handback_timeline(NOW, NOW + timedelta(minutes=30), settings, drain_started=first)
    assert timeline.started == first
    assert timeline.evict_at == NOW + timedelta(minutes=1)


def test_holds_by_room_node_and_expiry() -> None:
    holds = parse_holds(
        [
            {"room": "b", "reason": "final exam", "until": "2026-03-02T22:00:00+08:00"},
            {"node": "ws-a02", "reason": "GPU fan repair"},
        ]
    )
    assert hold_reason(holds, "ws-b01", "b", NOW) == "final exam"
    assert hold_reason(holds, "ws-b01", "b", NOW + timedelta(days=1)) is None
    assert hold_reason(holds, "ws-a02", "a", NOW) == "GPU fan repair"
    assert hold_reason(holds, "ws-a01", "a", NOW) is None
    assert hold_reason(holds, "ws-a01", "a", NOW, annotation="exam") == "exam"


@pytest.mark.parametrize("entry", [{"room": "a"}, {"reason": "x"}, "ws-a01"])
def test_holds_reject_incomplete_entry(entry: Any) -> None:
    with pytest.raises(LabShiftError) as raised:
        parse_holds([entry])
    assert "labshift_switch_holds" in raised.value.message("en")


def test_parse_rooms_accepts_string_and_list() -> None:
    assert parse_rooms("a, b") == ["a", "b"]
    assert parse_rooms(["a"]) == ["a"]
    assert parse_rooms("") == []


def test_plan_run_selects_rooms_and_holds() -> None:
    state = make_plan(rooms="a", holds=[{"node": "ws-a02", "reason": "repair"}])
    assert sorted(state["hosts"]) == ["ws-a01", "ws-a02"]
    assert state["results"]["ws-a02"]["outcome"] == "held"
    assert state["results"]["ws-a01"]["outcome"] == "skipped"
    assert state["rooms"]["a"]["deadline"] == "2026-03-02T12:00:00+00:00"
    assert state["rooms"]["a"]["timeline"]["force_at"] == "2026-03-02T11:55:00+00:00"


def test_plan_run_uses_limited_play_hosts() -> None:
    state = make_plan(rooms=[], play_hosts=["ws-b01"])
    assert list(state["hosts"]) == ["ws-b01"]
    assert state["hosts"]["ws-b01"]["boot_method"] == "ipmi"
    assert state["hosts"]["ws-b01"]["bmc_address"] == "10.20.4.11"


def test_plan_run_rejects_unknown_room() -> None:
    with pytest.raises(LabShiftError) as raised:
        make_plan(rooms=["z"])
    assert "'z'" in raised.value.message("en")
    assert "a, b" in raised.value.message("en")


def test_plan_run_rejects_bad_direction() -> None:
    with pytest.raises(LabShiftError) as raised:
        make_plan(direction="maintenance")
    assert "platform or teaching" in raised.value.message("en")


def test_plan_run_rejects_empty_selection() -> None:
    with pytest.raises(LabShiftError) as raised:
        make_plan(rooms=[], play_hosts=["cp-01"])
    assert "--limit" in raised.value.message("en")


def finished(node: str, outcome: Outcome, key: str, **params: Any) -> NodeResult:
    result = NodeResult(node=node, room="a")
    result.finish(outcome, key, NOW, **params)
    return result


def test_handback_failures_count_late_and_failed() -> None:
    results = [
        finished("ws-a01", Outcome.SWITCHED, "switch.reason.handed_back", evicted=1, forced=0),
        finished(
            "ws-a02", Outcome.LATE, "switch.reason.handed_back_late", deadline="12:00", evicted=0, forced=1
        ),
        finished("ws-a03", Outcome.FAILED, "switch.reason.still_in_cluster", deadline="12:00"),
        finished("ws-a04", Outcome.HELD, "switch.reason.held", reason="exam"),
    ]
    assert [result.node for result in handback_failures("teaching", results)] == ["ws-a02", "ws-a03"]
    assert handback_failures("platform", results) == []


def test_report_renders_both_languages() -> None:
    results = [
        finished("ws-a01", Outcome.SWITCHED, "switch.reason.handed_back", evicted=2, forced=1),
        finished(
            "ws-a02", Outcome.FAILED, "switch.reason.still_in_cluster", deadline="2026-03-02T12:00:00+00:00"
        ),
    ]
    report = build_report("teaching", NOW.isoformat(), {"a": "2026-03-02T12:00:00+00:00"}, results, "zh")
    assert report["summary"]["switched"] == 1
    assert report["summary"]["failed"] == 1
    assert report["summary"]["total"] == 2
    assert report["handback_failed"] == ["ws-a02"]
    assert report["nodes"][0]["reason"]["en"] == "handed back to teaching (2 evicted, 1 force-deleted)"
    assert "驱逐 2 个" in report["nodes"][0]["reason"]["zh"]
    text_zh = render_report_text("teaching", NOW.isoformat(), {"a": "12:00"}, results, "zh")
    text_en = render_report_text("teaching", NOW.isoformat(), {"a": "12:00"}, results, "en")
    assert "交还教学" in text_zh
    assert "失败 1" in text_zh
    assert "1 failed" in text_en
    assert "ws-a02" in text_en


def test_result_round_trips_through_dict() -> None:
    result = finished(
        "ws-a01", Outcome.LATE, "switch.reason.handed_back_late", deadline="x", evicted=1, forced=2
    )
    result.blocked_by.append("default/hub-0: budget")
    copy = NodeResult.from_dict(result.to_dict())
    assert copy == result


def test_notice_names_room_and_times() -> None:
    text = bilingual_notice(
        {"zh": "信息楼 301 机房", "en": "Lab 301"},
        "2026-03-02 19:45 (UTC+08:00)",
        "2026-03-02 19:55 (UTC+08:00)",
    )
    zh, en = text.splitlines()
    assert zh.startswith("信息楼 301 机房即将恢复上课使用：从 2026-03-02 19:45 (UTC+08:00) 起将停止")
    assert "2026-03-02 19:55 (UTC+08:00) 前全部关闭" in zh
    assert en.startswith(
        "Lab 301 returns to teaching: running Jupyter servers will be stopped from 2026-03-02 19:45"
    )
    assert "Save your work before 2026-03-02 19:45 (UTC+08:00)" in en
    assert "home directory are kept" in en


def test_local_time_shows_utc_offset() -> None:
    moment = datetime(2026, 3, 2, 11, 55, tzinfo=UTC)
    assert local_time({"timezone": "Asia/Shanghai"}, moment) == "2026-03-02 19:55 (UTC+08:00)"
    assert local_time({"timezone": "America/Havana"}, moment) == "2026-03-02 06:55 (UTC-05:00)"


def test_report_renders_unfinished_nodes() -> None:
    pending = NodeResult(node="ws-a03", room="a")
    text = render_report_text("teaching", NOW.isoformat(), {"a": "12:00"}, [pending], "en")
    assert "not attempted" in text
    assert "0 switched" in text
    assert "1 skipped" in text


def test_unplanned_handback_uses_fallback() -> None:
    settings = SwitchSettings(unplanned_handback_seconds=900)
    later = NOW + timedelta(hours=2)
    outside = resolve_deadline("teaching", later, settings, "a", None, plan_with_window(), "plan.json")
    missing_room = resolve_deadline("teaching", NOW, settings, "b", None, plan_with_window(), "plan.json")
    inside = resolve_deadline("teaching", NOW, settings, "a", None, plan_with_window(), "plan.json")
    assert outside == later + timedelta(minutes=15)
    assert missing_room == NOW + timedelta(minutes=15)
    assert inside == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_rerun_notice_keeps_first_drain_start() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = SwitchSettings(grace_seconds=300, handback_reserve_seconds=300)
    state = make_plan(
        rooms=["a"], now=now, settings=settings, deadline_override=(now + timedelta(hours=1)).isoformat()
    )
    first_drain = now - timedelta(minutes=2)
    views = {
        "ws-a01": NodeView(
            name="ws-a01",
            ready="True",
            ready_message="",
            unschedulable=True,
            annotations={DRAIN_STARTED_ANNOTATION: first_drain.isoformat()},
        )
    }

    rerun = ActionModule.notice_timeline(views, state, "a")
    fresh = ActionModule.notice_timeline({}, state, "a")

    assert rerun.evict_at == first_drain + timedelta(minutes=5)
    assert fresh.evict_at >= now + timedelta(minutes=5)
    assert rerun.force_at == now + timedelta(minutes=55)
