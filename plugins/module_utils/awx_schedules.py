"""Turn the planner's awx-schedules.json into the AWX job templates and schedules LabShift needs.

Each room gets two job templates (switch to platform, switch to teaching) that run
playbooks/switch.yml limited to the room's inventory group. Each planned rrule becomes a schedule
of one of them. Every rrule is checked against the limits AWX enforces, and against the LabShift
rules (DTSTART with a TZID, UNTIL in UTC), before anything in AWX changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dateutil import rrule as dateutil_rrule

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    register,
)

JOBS = {"to_platform": "platform", "to_teaching": "teaching"}
JOB_TITLES = {"to_platform": "switch to platform", "to_teaching": "switch to teaching"}
MAX_COUNT = 999

register(
    {
        "awx.plan_missing": {
            "zh": "找不到排程文件 {path}：请先运行 ansible-playbook playbooks/plan.yml 生成计划。",
            "en": "Schedule file {path} not found: run ansible-playbook playbooks/plan.yml first.",
        },
        "awx.plan_invalid": {
            "zh": "排程文件 {path} 无法读取（{reason}）：它应是 JSON 列表，请重新运行 playbooks/plan.yml。",
            "en": "Schedule file {path} cannot be read ({reason}): it must be a JSON list; "
            "run playbooks/plan.yml again.",
        },
        "awx.entry_invalid": {
            "zh": "排程第 {index} 项无效：缺少字段 {fields}。每项需要 room、job、name 和 rrule。",
            "en": "Schedule entry {index} is invalid: missing {fields}. Each entry needs room, job, name"
            " and rrule.",
        },
        "awx.room_unknown": {
            "zh": "排程 {name} 的房间 {room!r} 不在 labshift_rooms 中（已有：{rooms}）："
            "请重新生成计划或补充房间。",
            "en": "Schedule {name} names room {room!r}, which is not in labshift_rooms ({rooms}): "
            "regenerate the plan or add the room.",
        },
        "awx.job_unknown": {
            "zh": "排程 {name} 的任务 {job!r} 无效：请使用 to_platform 或 to_teaching。",
            "en": "Schedule {name} has job {job!r}, which is invalid: use to_platform or to_teaching.",
        },
        "awx.name_duplicate": {
            "zh": "排程名称 {name} 出现了多次：AWX 中同一作业模板下的排程名称必须唯一。",
            "en": "Schedule name {name} appears more than once: AWX needs unique schedule names per job"
            " template.",
        },
        "awx.rrule_invalid": {
            "zh": "排程 {name} 的 rrule 无效（{reason}）：{rrule}",
            "en": "Schedule {name} has an invalid rrule ({reason}): {rrule}",
        },
    }
)

_DTSTART = re.compile(r"DTSTART(;[^:]+)?:[0-9]{8}T[0-9]{6}Z?")
_DTSTART_TZID = re.compile(r"^DTSTART;TZID=[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*:[0-9]{8}T[0-9]{6}$")
_RULE = re.compile(r"RRULE:([^\s]*)", re.IGNORECASE)
_BYDAY_NUMERIC = re.compile(r"BYDAY=[^;]*?[+-]?[0-9]+[A-Z]{2}", re.IGNORECASE)


def rrule_problems(value: str) -> list[str]:
    """List the reasons AWX or LabShift would reject ``value``; an empty list means it is valid.

    AWX 24 accepts one DTSTART with a time zone, one or more RRULE lines, each with INTERVAL,
    without SECONDLY, numbered BYDAY, EXDATE, RDATE, COUNT above 999 or COUNT together with
    UNTIL. LabShift also needs DTSTART;TZID (so daylight-saving and local dates hold) and UNTIL
    in UTC, which python-dateutil requires with an aware DTSTART.
    """
    problems: list[str] = []
    tokens = value.split()
    dtstarts = [token for token in tokens if token.upper().startswith("DTSTART")]
    if len(dtstarts) != 1 or not _DTSTART.fullmatch(dtstarts[0]):
        problems.append("exactly one DTSTART is required")
    elif not _DTSTART_TZID.match(dtstarts[0]):
        problems.append("DTSTART needs a TZID, such as DTSTART;TZID=Asia/Shanghai:20260907T080000")
    upper = value.upper()
    if "EXDATE" in upper or "RDATE" in upper:
        problems.append("EXDATE and RDATE are not allowed")
    rules = _RULE.findall(value)
    if not rules:
        problems.append("at least one RRULE is required")
    for rule in rules:
        parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
        if "INTERVAL" not in parts:
            problems.append(f"INTERVAL is required in {rule}")
        if parts.get("FREQ") == "SECONDLY":
            problems.append(f"SECONDLY is not allowed in {rule}")
        if _BYDAY_NUMERIC.search(rule):
            problems.append(f"BYDAY with a number is not allowed in {rule}")
        if "COUNT" in parts and "UNTIL" in parts:
            problems.append(f"COUNT and UNTIL together are not allowed in {rule}")
        if "COUNT" in parts and parts["COUNT"].isdigit() and int(parts["COUNT"]) > MAX_COUNT:
            problems.append(f"COUNT above {MAX_COUNT} is not allowed in {rule}")
        if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
            problems.append(f"UNTIL must be in UTC (ending in Z) in {rule}")
    if not problems:
        try:
            dateutil_rrule.rrulestr("\n".join(tokens), forceset=True)
        except (ValueError, TypeError) as error:
            problems.append(f"python-dateutil cannot parse it: {error}")
    return problems


@dataclass(frozen=True)
class JobTemplateSpec:
    """One AWX job template: the room it switches and the direction."""

    name: str
    room: str
    job: str
    limit: str
    extra_vars: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "room": self.room,
            "job": self.job,
            "limit": self.limit,
            "extra_vars": dict(self.extra_vars),
        }


def job_template_name(prefix: str, room: str, job: str) -> str:
    """Name the job template of ``room`` and ``job``, e.g. ``LabShift room a: switch to platform``."""
    return f"{prefix} room {room}: {JOB_TITLES[job]}"


def job_templates(rooms: Mapping[str, Mapping[str, Any]], prefix: str) -> list[JobTemplateSpec]:
    """Return the two job templates of every room in ``labshift_rooms``, sorted by room id."""
    specs: list[JobTemplateSpec] = []
    for room in sorted(rooms):
        group = str(rooms[room].get("group") or f"room_{room}")
        for job, direction in JOBS.items():
            specs.append(
                JobTemplateSpec(
                    name=job_template_name(prefix, room, job),
                    room=room,
                    job=job,
                    limit=group,
                    extra_vars={"labshift_switch_direction": direction, "labshift_switch_rooms": room},
                )
            )
    return specs


def load_plan(path: str | Path) -> list[Any]:
    """Read awx-schedules.json; raise a LabShiftError naming the file when it is missing or malformed."""
    plan_path = Path(path)
    if not plan_path.is_file():
        raise LabShiftError("awx.plan_missing", path=str(plan_path))
    try:
        data = json.loads(plan_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LabShiftError("awx.plan_invalid", path=str(plan_path), reason=str(error)) from error
    if not isinstance(data, list):
        raise LabShiftError("awx.plan_invalid", path=str(plan_path), reason=type(data).__name__)
    return data


def schedules(
    entries: Sequence[Any], rooms: Mapping[str, Mapping[str, Any]], prefix: str
) -> list[dict[str, Any]]:
    """Validate planner entries and map each to an awx.awx.schedule argument set.

    Every problem in the whole list is reported in one LabShiftErrors, so AWX is left unchanged
    when any entry is wrong.
    """
    errors: list[LabShiftError] = []
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            errors.append(LabShiftError("awx.entry_invalid", index=index, fields="room, job, name, rrule"))
            continue
        missing = [field for field in ("room", "job", "name", "rrule") if not entry.get(field)]
        if missing:
            errors.append(LabShiftError("awx.entry_invalid", index=index, fields=", ".join(missing)))
            continue
        name, room, job, rrule = (str(entry[key]) for key in ("name", "room", "job", "rrule"))
        entry_errors: list[LabShiftError] = []
        if room not in rooms:
            entry_errors.append(
                LabShiftError("awx.room_unknown", name=name, room=room, rooms=", ".join(sorted(rooms)))
            )
        if job not in JOBS:
            entry_errors.append(LabShiftError("awx.job_unknown", name=name, job=job))
        if name in seen:
            entry_errors.append(LabShiftError("awx.name_duplicate", name=name))
        seen.add(name)
        for reason in rrule_problems(rrule):
            entry_errors.append(LabShiftError("awx.rrule_invalid", name=name, reason=reason, rrule=rrule))
        if entry_errors:
            errors.extend(entry_errors)
            continue
        result.append(
            {
                "name": name,
                "unified_job_template": job_template_name(prefix, room, job),
                "rrule": rrule,
                "description": str(entry.get("description") or ""),
            }
        )
    if errors:
        raise errors[0] if len(errors) == 1 else LabShiftErrors(errors)
    return result
