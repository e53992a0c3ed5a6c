"""Pure core of the switch-over jobs: settings, deadlines, holds, per-node results and the report.

The Kubernetes calls live in ``k8s_nodes``; this module has no I/O except reading the plan file,
so every rule here is unit-tested without a cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils import windows
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register, render

DIRECTIONS = ("platform", "teaching")
MODE_LABEL = "labshift.io/mode"
ROOM_LABEL = "labshift.io/room"
HOLD_ANNOTATION = "labshift.io/hold"
DRAIN_STARTED_ANNOTATION = "labshift.io/drain-started-at"
CLOSES_AT_ANNOTATION = "labshift.io/room-closes-at"
NOTICE_ANNOTATION = "labshift.io/notice"

register(
    {
        "switch.direction.invalid": {
            "zh": "labshift_switch_direction 的值 {value!r} 无效：请设为 platform 或 teaching。",
            "en": "labshift_switch_direction value {value!r} is invalid: set it to platform or teaching.",
        },
        "switch.room.unknown": {
            "zh": "机房 {room!r} 不在 labshift_rooms 中（已知：{known}）：请修正 labshift_switch_rooms。",
            "en": "room {room!r} is not in labshift_rooms (known: {known}): correct labshift_switch_rooms.",
        },
        "switch.hosts.empty": {
            "zh": "没有要切换的工作站：请用 labshift_switch_rooms 指定机房，或用 --limit 指定主机。",
            "en": "no workstations to switch: name rooms in labshift_switch_rooms or hosts with --limit.",
        },
        "switch.deadline.invalid": {
            "zh": "截止时间 {value!r} 无效：请写成带时区的 ISO 8601 时间，例如 2026-03-02T07:50:00+08:00。",
            "en": "deadline {value!r} is invalid: write an ISO 8601 time with a zone, "
            "for example 2026-03-02T07:50:00+08:00.",
        },
        "switch.deadline.missing": {
            "zh": "计划 {plan} 中机房 {room!r} 在 {now} 不处于平台时段：无法确定下一节课的开始时间，"
            "请重新运行计划任务，或设置 labshift_switch_deadline。",
            "en": "in the plan {plan}, room {room!r} is not in a platform window at {now}: the next class "
            "start is unknown; run the planner again or set labshift_switch_deadline.",
        },
        "switch.plan.unreadable": {
            "zh": "无法读取计划文件 {path}：{error}。请先运行计划任务，或设置 labshift_switch_deadline。",
            "en": "cannot read the plan file {path}: {error}. "
            "Run the planner first or set labshift_switch_deadline.",
        },
        "switch.setting.invalid": {
            "zh": "设置 {name} 的值 {value!r} 无效：{expected}。",
            "en": "setting {name} value {value!r} is invalid: {expected}.",
        },
        "switch.hold.invalid": {
            "zh": "labshift_switch_holds 中的条目 {value!r} 无效：每条需要 room 或 node，以及 reason。",
            "en": "labshift_switch_holds entry {value!r} is invalid: "
            "each entry needs room or node, and reason.",
        },
        # Reasons in the per-node report.
        "switch.reason.joined": {
            "zh": "已就绪并加入平台（{seconds:.0f} 秒）",
            "en": "Ready and joined the platform ({seconds:.0f} s)",
        },
        "switch.reason.already_platform": {
            "zh": "已处于平台模式，无需操作",
            "en": "already in platform mode, nothing to do",
        },
        "switch.reason.never_registered": {
            "zh": "截止时间 {deadline} 前未开机注册到集群（未唤醒？）",
            "en": "did not register with the cluster by {deadline} (did not wake?)",
        },
        "switch.reason.not_ready": {
            "zh": "截止时间 {deadline} 前未就绪：{detail}",
            "en": "not Ready by {deadline}: {detail}",
        },
        "switch.reason.held": {
            "zh": "被人工保留：{reason}",
            "en": "on manual hold: {reason}",
        },
        "switch.reason.handed_back": {
            "zh": "已交还教学系统（驱逐 {evicted} 个，强制删除 {forced} 个）",
            "en": "handed back to teaching ({evicted} evicted, {forced} force-deleted)",
        },
        "switch.reason.handed_back_late": {
            "zh": "已交还，但晚于截止时间 {deadline}（驱逐 {evicted} 个，强制删除 {forced} 个）",
            "en": "handed back after the deadline {deadline} ({evicted} evicted, {forced} force-deleted)",
        },
        "switch.reason.still_in_cluster": {
            "zh": "截止时间 {deadline} 时仍在集群中且就绪：机器未重启进教学系统",
            "en": "still Ready in the cluster at the deadline {deadline}: the machine did not reboot "
            "into the teaching system",
        },
        "switch.reason.unreachable": {
            "zh": "无法连接，未能重启进教学系统（{error}）；机器当前状态未知，节点就绪状态：{ready}",
            "en": "unreachable, so it was not rebooted into the teaching system ({error}); the machine's "
            "state is unknown, node Ready status: {ready}",
        },
        "switch.reason.drain_incomplete": {
            "zh": "截止时间前 Pod 未清空：{pods}",
            "en": "pods still on the node at the deadline: {pods}",
        },
        "switch.reason.locked": {
            "zh": "机房 {room} 正由另一个切换任务 {holder} 处理（锁至 {expires}），本次未操作",
            "en": "room {room} is being switched by another job {holder} (locked until {expires}); "
            "this run changed nothing",
        },
        "switch.reason.not_attempted": {
            "zh": "未执行：本次运行在处理该节点之前已停止，或处于检查模式",
            "en": "not attempted: the run stopped before reaching this node, or ran in check mode",
        },
        # Notices and the report.
        "switch.notice.closing": {
            "zh": "{room}即将恢复上课使用：从 {stop_at} 起将停止正在运行的 Jupyter 服务器，"
            "{closes_at} 前全部关闭。请在 {stop_at} 之前保存工作；保存在个人主目录中的文件不会丢失，"
            "未保存的内容和正在运行的任务将被终止。",
            "en": "{room} returns to teaching: running Jupyter servers will be stopped from {stop_at}, "
            "and all are closed by {closes_at}. Save your work before {stop_at}; files saved in your "
            "home directory are kept, unsaved work and running jobs are stopped.",
        },
        "switch.report.title": {
            "zh": "LabShift 切换报告：{direction}，开始于 {started}",
            "en": "LabShift switch report: {direction}, started {started}",
        },
        "switch.report.room": {
            "zh": "机房 {room}：截止时间 {deadline}",
            "en": "room {room}: deadline {deadline}",
        },
        "switch.report.hub": {
            "zh": "JupyterHub 公告{announced}；{written} 个用户服务器已收到通知，{missed} 个未收到",
            "en": "JupyterHub announcement {announced}; {written} user servers got the notice, "
            "{missed} did not",
        },
        "switch.report.hub_posted": {"zh": "已发布", "en": "posted"},
        "switch.report.hub_not_posted": {"zh": "未发布", "en": "not posted"},
        "switch.report.summary": {
            "zh": "共 {total} 台：成功 {switched}，迟到 {late}，失败 {failed}，保留 {held}，跳过 {skipped}",
            "en": "{total} nodes: {switched} switched, {late} late, {failed} failed, "
            "{held} held, {skipped} skipped",
        },
        "switch.report.failed": {
            "zh": "有 {count} 台机器未能按时交还教学系统：{nodes}。详见 {path}",
            "en": "{count} machines failed to hand back to teaching in time: {nodes}. See {path}",
        },
        "switch.direction.platform": {"zh": "切换到平台", "en": "switch to platform"},
        "switch.direction.teaching": {"zh": "交还教学", "en": "hand back to teaching"},
        "switch.outcome.switched": {"zh": "成功", "en": "switched"},
        "switch.outcome.late": {"zh": "迟到", "en": "late"},
        "switch.outcome.failed": {"zh": "失败", "en": "failed"},
        "switch.outcome.held": {"zh": "保留", "en": "held"},
        "switch.outcome.skipped": {"zh": "跳过", "en": "skipped"},
    }
)


class Outcome(StrEnum):
    """Final state of one node in one switch run."""

    SWITCHED = "switched"
    LATE = "late"
    FAILED = "failed"
    HELD = "held"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SwitchSettings:
    """Timing and behaviour of one switch run; all durations in seconds."""

    grace_seconds: float = 600.0
    handback_reserve_seconds: float = 300.0
    join_timeout_seconds: float = 900.0
    leave_min_seconds: float = 60.0
    poll_seconds: float = 5.0
    lease_seconds: float = 120.0
    lock_wait_seconds: float = 150.0
    delete_node_objects: bool = True
    lock_namespace: str = "labshift-system"
    workers: int = 16
    # Deadline distance for a hand-back outside every planned window (0 rejects such a run).
    unplanned_handback_seconds: float = 0.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SwitchSettings:
        """Build settings from module arguments, naming the bad value in a LabShiftError."""
        kwargs: dict[str, Any] = {}
        for name, default in asdict(cls()).items():
            if name not in values or values[name] is None:
                continue
            value = values[name]
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise LabShiftError(
                        "switch.setting.invalid", name=name, value=value, expected="true or false"
                    )
            elif isinstance(default, float | int) and not isinstance(default, bool):
                try:
                    value = type(default)(value)
                except (TypeError, ValueError):
                    raise LabShiftError(
                        "switch.setting.invalid", name=name, value=value, expected="a number"
                    ) from None
                if value < 0 or (name in ("poll_seconds", "workers", "lease_seconds") and value == 0):
                    raise LabShiftError(
                        "switch.setting.invalid", name=name, value=value, expected="a positive number"
                    )
            kwargs[name] = value
        return cls(**kwargs)


@dataclass
class NodeResult:
    """Outcome and reason of one node; ``reason_key`` is a message key rendered in the report."""

    node: str
    room: str
    outcome: Outcome = Outcome.SKIPPED
    reason_key: str = "switch.reason.not_attempted"
    reason_params: dict[str, Any] = field(default_factory=dict)
    finished_at: str | None = None
    evicted: int = 0
    forced: int = 0
    blocked_by: list[str] = field(default_factory=list)

    def finish(self, outcome: Outcome, reason_key: str, now: datetime, **params: Any) -> None:
        self.outcome = outcome
        self.reason_key = reason_key
        self.reason_params = params
        self.finished_at = now.isoformat(timespec="seconds")

    def reason(self, language: str | None) -> str:
        return render(self.reason_key, language, **self.reason_params)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = str(self.outcome)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeResult:
        values = dict(data)
        values["outcome"] = Outcome(values.get("outcome", "skipped"))
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


# --- input checks -------------------------------------------------------------------------------


def check_direction(value: Any) -> str:
    if value not in DIRECTIONS:
        raise LabShiftError("switch.direction.invalid", value=value)
    return str(value)


def parse_time(value: Any) -> datetime:
    """Parse an ISO 8601 time with a zone; a naive time is rejected, so no zone is guessed."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise LabShiftError("switch.deadline.invalid", value=value) from None
    if parsed.tzinfo is None:
        raise LabShiftError("switch.deadline.invalid", value=value)
    return parsed


def format_time(moment: datetime, timezone: Any = None) -> str:
    local = moment.astimezone(timezone) if timezone is not None else moment
    return local.isoformat(timespec="seconds")


# --- holds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """A manual hold on a room or a node (exam, repair); both switch directions leave it alone."""

    reason: str
    room: str | None = None
    node: str | None = None
    until: datetime | None = None

    def applies(self, node: str, room: str, now: datetime) -> bool:
        if self.until is not None and now >= self.until:
            return False
        return self.node == node or (self.node is None and self.room == room)


def parse_holds(entries: Iterable[Mapping[str, Any]] | None) -> list[Hold]:
    """Parse ``labshift_switch_holds`` entries: ``{room|node, reason, until (optional)}``."""
    holds: list[Hold] = []
    for entry in entries or []:
        if (
            not isinstance(entry, Mapping)
            or not entry.get("reason")
            or not (entry.get("room") or entry.get("node"))
        ):
            raise LabShiftError("switch.hold.invalid", value=entry)
        until = parse_time(entry["until"]) if entry.get("until") else None
        room = str(entry["room"]) if entry.get("room") else None
        node = str(entry["node"]) if entry.get("node") else None
        holds.append(Hold(reason=str(entry["reason"]), room=room, node=node, until=until))
    return holds


def hold_reason(
    holds: Sequence[Hold], node: str, room: str, now: datetime, annotation: str | None = None
) -> str | None:
    """Return why ``node`` is held (inventory hold or the node's hold annotation), or None."""
    for hold in holds:
        if hold.applies(node, room, now):
            return hold.reason
    if annotation:
        return annotation
    return None


# --- deadlines -----------------------------------------------------------------------------------


def load_plan(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        raise LabShiftError("switch.plan.unreadable", path=str(path), error=error) from None
    if not isinstance(data, dict):
        raise LabShiftError("switch.plan.unreadable", path=str(path), error="the top level is not an object")
    return data


def plan_class_start(plan: Mapping[str, Any], room: str, now: datetime) -> datetime | None:
    """Return the start of the class that ends the platform window containing ``now``.

    The planner fires the switch-to-teaching job at the window end, its ``handback_deadline``,
    which is the class start minus the hand-back buffer. So the buffer is the time the hand-back
    steps have, and no step may pass the class start.
    """
    if room not in (plan.get("rooms") or {}):
        return None
    window = windows.window_at(plan, room, now)
    if window is None:
        return None
    return parse_time(window["next_class_start"])


def resolve_deadline(
    direction: str,
    now: datetime,
    settings: SwitchSettings,
    room: str,
    override: Any = None,
    plan: Mapping[str, Any] | None = None,
    plan_path: str = "",
) -> datetime:
    """Return the time by which the switch must be complete for ``room``.

    An explicit override wins. For teaching it is the start of the next class from the plan, or
    now plus ``unplanned_handback_seconds`` when the plan has no window at ``now`` and that setting
    is positive. For platform it is now plus the join timeout.
    """
    if override:
        return parse_time(override)
    if direction == "platform":
        return now + timedelta(seconds=settings.join_timeout_seconds)
    deadline = plan_class_start(plan or {}, room, now)
    if deadline is None and settings.unplanned_handback_seconds > 0:
        return now + timedelta(seconds=settings.unplanned_handback_seconds)
    if deadline is None:
        raise LabShiftError("switch.deadline.missing", plan=plan_path or "-", room=room, now=format_time(now))
    return deadline


@dataclass(frozen=True)
class HandbackTimeline:
    """Moments of one hand-back: eviction starts, pods are force-deleted, machines must be gone."""

    started: datetime
    evict_at: datetime
    force_at: datetime
    deadline: datetime
    leave_until: datetime

    def to_dict(self) -> dict[str, str]:
        return {key: format_time(value) for key, value in asdict(self).items()}


def handback_timeline(
    now: datetime, deadline: datetime, settings: SwitchSettings, drain_started: datetime | None = None
) -> HandbackTimeline:
    """Compute the hand-back steps so that each one ends before ``deadline``.

    Pods are force-deleted ``handback_reserve_seconds`` before the deadline, which leaves that time
    for the reboot into the teaching system. The grace period counts from the first drain, so a
    re-run after a crash does not restart it. A run that starts late still gets
    ``leave_min_seconds`` to confirm that machines left.
    """
    started = min(drain_started, now) if drain_started is not None else now
    force_at = max(deadline - timedelta(seconds=settings.handback_reserve_seconds), now)
    evict_at = min(started + timedelta(seconds=settings.grace_seconds), force_at)
    evict_at = max(evict_at, min(now, force_at))
    leave_until = max(deadline, now + timedelta(seconds=settings.leave_min_seconds))
    return HandbackTimeline(
        started=started, evict_at=evict_at, force_at=force_at, deadline=deadline, leave_until=leave_until
    )


# --- report --------------------------------------------------------------------------------------


def summarize(results: Iterable[NodeResult]) -> dict[str, int]:
    counts = {str(outcome): 0 for outcome in Outcome}
    total = 0
    for result in results:
        counts[str(result.outcome)] += 1
        total += 1
    counts["total"] = total
    return counts


def handback_failures(direction: str, results: Iterable[NodeResult]) -> list[NodeResult]:
    """Return the nodes that failed to hand back in time: the cause of a non-zero exit status."""
    if direction != "teaching":
        return []
    return [result for result in results if result.outcome in (Outcome.FAILED, Outcome.LATE)]


def render_report_text(
    direction: str,
    started: str,
    rooms: Mapping[str, str],
    results: Sequence[NodeResult],
    language: str | None,
) -> str:
    """Render the per-node report as plain text in ``language``."""
    lines = [
        render(
            "switch.report.title",
            language,
            direction=render(f"switch.direction.{direction}", language),
            started=started,
        ),
    ]
    for room, deadline in sorted(rooms.items()):
        lines.append(render("switch.report.room", language, room=room, deadline=deadline))
    lines.append("")
    width = max([len(result.node) for result in results] + [4])
    for result in sorted(results, key=lambda item: (item.room, item.node)):
        outcome = render(f"switch.outcome.{result.outcome}", language)
        lines.append(
            f"{result.node:<{width}}  {result.room:<6}  {outcome:<8}  {result.finished_at or '-':<25}  "
            f"{result.reason(language)}"
        )
    lines.append("")
    lines.append(render("switch.report.summary", language, **summarize(results)))
    return "\n".join(lines) + "\n"


def build_report(
    direction: str,
    started: str,
    rooms: Mapping[str, str],
    results: Sequence[NodeResult],
    language: str | None,
) -> dict[str, Any]:
    """Build the JSON report with each reason rendered in both languages."""
    nodes = []
    for result in sorted(results, key=lambda item: (item.room, item.node)):
        entry = result.to_dict()
        entry["reason"] = {"zh": result.reason("zh"), "en": result.reason("en")}
        nodes.append(entry)
    failures = handback_failures(direction, results)
    return {
        "direction": direction,
        "started_at": started,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "language": language,
        "rooms": dict(rooms),
        "summary": summarize(results),
        "handback_failed": [result.node for result in failures],
        "nodes": nodes,
    }


def notice_text(room_name: str, stop_at: str, closes_at: str, language: str | None) -> str:
    return render("switch.notice.closing", language, room=room_name, stop_at=stop_at, closes_at=closes_at)


def bilingual_notice(room_names: Mapping[str, str], stop_at: str, closes_at: str) -> str:
    """Return the closing notice in Chinese, then English, for readers of either language.

    ``stop_at`` is when eviction begins, the time users must save by; ``closes_at`` is the hard
    deadline by which every session is gone.
    """
    return "\n".join(
        notice_text(room_names.get(language, room_names.get("en", "")), stop_at, closes_at, language)
        for language in ("zh", "en")
    )
