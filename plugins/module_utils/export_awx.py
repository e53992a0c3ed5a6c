"""AWX schedules for the switch jobs: rrule strings whose occurrences are exactly the planned edges.

AWX (awx/api/serializers, SchedulePreviewSerializer.validate_rrule) rejects rules without DTSTART
or INTERVAL, with EXDATE or RDATE, with COUNT and UNTIL together, and BYDAY with a numeric prefix.
It parses the rest with python-dateutil. Holidays and make-up days make the edges irregular, so
each schedule carries one weekly rule:

``DTSTART;TZID=<zone>:<first local edge>``
``RRULE:FREQ=WEEKLY;INTERVAL=<1|2>;WKST=MO;BYDAY=<days>;UNTIL=<last edge in UTC>``

Edges are grouped by local clock time, then by weekday; each weekday's teaching weeks are split
into arithmetic runs (step 1, or 2 for odd/even weeks), and weekdays that share a run share one
rule. Only FREQ, INTERVAL, WKST, BYDAY and UNTIL are used, which python-dateutil 2.x and 4.x
parse alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
JOBS = ("to_platform", "to_teaching")


@dataclass(frozen=True)
class WeeklyRule:
    """One weekly recurrence: local ``clock`` on ``weekdays`` (0=Monday) of weeks ``first`` + k*``step``."""

    clock: time
    weekdays: tuple[int, ...]
    first_monday: date
    step: int
    count_weeks: int

    def occurrences(self) -> list[date]:
        """Return every date this rule matches."""
        return [
            self.first_monday + timedelta(weeks=self.step * index, days=weekday)
            for index in range(self.count_weeks)
            for weekday in self.weekdays
        ]


def _runs(weeks: Sequence[int]) -> list[tuple[int, int, int]]:
    """Split sorted week numbers into arithmetic runs (first, step, length), longest run first."""
    remaining = sorted(set(weeks))
    runs: list[tuple[int, int, int]] = []
    while remaining:
        first = remaining[0]
        present = set(remaining)
        best_step, best_length = 1, 1
        for step in (1, 2):
            length = 1
            while first + step * length in present:
                length += 1
            if length > best_length:
                best_step, best_length = step, length
        run = {first + best_step * index for index in range(best_length)}
        runs.append((first, best_step, best_length))
        remaining = [week for week in remaining if week not in run]
    return runs


def compress_edges(edges: Iterable[datetime], zone: ZoneInfo) -> list[WeeklyRule]:
    """Cover the local edge times exactly with weekly rules."""
    by_clock: dict[time, dict[int, set[int]]] = {}
    epoch_monday = date(2000, 1, 3)
    for edge in edges:
        local = edge.astimezone(zone)
        day = local.date()
        week = (day - epoch_monday).days // 7
        by_clock.setdefault(local.time(), {}).setdefault(day.weekday(), set()).add(week)
    rules: list[WeeklyRule] = []
    for clock in sorted(by_clock):
        grouped: dict[tuple[int, int, int], list[int]] = {}
        for weekday, weeks in by_clock[clock].items():
            for run in _runs(sorted(weeks)):
                grouped.setdefault(run, []).append(weekday)
        for (first, step, length), weekdays in sorted(grouped.items()):
            rules.append(
                WeeklyRule(
                    clock=clock,
                    weekdays=tuple(sorted(weekdays)),
                    first_monday=epoch_monday + timedelta(weeks=first),
                    step=step,
                    count_weeks=length,
                )
            )
    return rules


def rrule_string(rule: WeeklyRule, zone: ZoneInfo) -> str:
    """Render an AWX rrule: DTSTART with TZID at the first occurrence, UNTIL at the last, in UTC."""
    dates = rule.occurrences()
    first = datetime.combine(min(dates), rule.clock, zone)
    last = datetime.combine(max(dates), rule.clock, zone).astimezone(UTC)
    byday = ",".join(_BYDAY[weekday] for weekday in rule.weekdays)
    return (
        f"DTSTART;TZID={zone.key}:{first.strftime('%Y%m%dT%H%M%S')} "
        f"RRULE:FREQ=WEEKLY;INTERVAL={rule.step};WKST=MO;BYDAY={byday};UNTIL={last.strftime('%Y%m%dT%H%M%SZ')}"
    )


_DESCRIPTIONS = {
    "zh": {
        "to_platform": "{room}：切换到 AI 平台（每周{days} {clock}，{first} 至 {last}）",
        "to_teaching": "{room}：切换回教学（每周{days} {clock}，{first} 至 {last}）",
    },
    "en": {
        "to_platform": "{room}: switch to the AI platform ({days} {clock}, {first} to {last})",
        "to_teaching": "{room}: switch back to teaching ({days} {clock}, {first} to {last})",
    },
}


def room_label(room: str, names: Mapping[str, str] | None, language: str) -> str:
    """Name a room for staff: its name in ``language`` with its id, or the id alone without a name."""
    name = (names or {}).get(language) or (names or {}).get("en") or ""
    if language == "zh":
        return f"{name}（{room}）" if name else f"房间 {room}"
    return f"{name} (room {room})" if name else f"Room {room}"


_DAY_NAMES = {
    "zh": ("一", "二", "三", "四", "五", "六", "日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def awx_schedules(
    edges: Mapping[str, Mapping[str, Sequence[datetime]]],
    zone: ZoneInfo,
    language: str,
    room_names: Mapping[str, Mapping[str, str]] | None = None,
) -> list[dict[str, str]]:
    """Build the awx-schedules.json list: {room, job, name, rrule, description} per weekly rule.

    ``edges`` maps room to job (``to_platform`` or ``to_teaching``) to edge times; ``room_names``
    maps room to its names by language, for the descriptions.
    """
    schedules: list[dict[str, str]] = []
    separator = "、" if language == "zh" else ","
    for room in sorted(edges):
        for job in JOBS:
            rules = compress_edges(edges[room].get(job, ()), zone)
            for number, rule in enumerate(rules, start=1):
                dates = rule.occurrences()
                description = _DESCRIPTIONS[language][job].format(
                    room=room_label(room, (room_names or {}).get(room), language),
                    days=separator.join(_DAY_NAMES[language][weekday] for weekday in rule.weekdays),
                    clock=rule.clock.strftime("%H:%M"),
                    first=min(dates).isoformat(),
                    last=max(dates).isoformat(),
                )
                schedules.append(
                    {
                        "room": room,
                        "job": job,
                        "name": f"labshift-{room}-{job.replace('_', '-')}-{number:03d}",
                        "rrule": rrule_string(rule, zone),
                        "description": description,
                    }
                )
    return schedules


_AWX_DTSTART = re.compile(r"^DTSTART;TZID=([A-Za-z0-9_+\-/]+):(\d{8}T\d{6}) RRULE:(\S+)$")


def check_awx_rrule(value: str) -> list[str]:
    """List the reasons AWX would reject ``value`` (empty when the rule is acceptable).

    Mirrors the AWX schedule validation rules named in the module docstring, plus this
    project's own subset: one DTSTART with TZID, one RRULE, UNTIL in UTC.
    """
    problems: list[str] = []
    match = _AWX_DTSTART.match(value)
    if match is None:
        return ["not of the form 'DTSTART;TZID=Zone:YYYYMMDDTHHMMSS RRULE:...'"]
    upper = value.upper()
    if "EXDATE" in upper or "RDATE" in upper:
        problems.append("EXDATE or RDATE present")
    if upper.count("DTSTART") != 1 or upper.count("RRULE:") != 1:
        problems.append("more than one DTSTART or RRULE")
    parts = dict(part.split("=", 1) for part in match.group(3).split(";"))
    if "INTERVAL" not in parts:
        problems.append("INTERVAL missing")
    if "COUNT" in parts and "UNTIL" in parts:
        problems.append("COUNT together with UNTIL")
    if parts.get("FREQ") == "SECONDLY":
        problems.append("SECONDLY frequency")
    if re.search(r"BYDAY=[^;]*\d", match.group(3)):
        problems.append("BYDAY with a numeric prefix")
    if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
        problems.append("UNTIL not in UTC")
    return problems


def expand_rrule(value: str) -> list[datetime]:
    """Expand an rrule string with python-dateutil, the parser AWX uses."""
    from dateutil.rrule import rrulestr

    rule: Any = rrulestr(value, forceset=True)
    return list(rule)
