"""The iCalendar file students subscribe to: one event per platform window and room."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ansible_collections.labshift.lab.plugins.module_utils.windows import Plan

_TEXT = {
    "zh": {
        "calendar": "LabShift 机房 AI 平台开放时间",
        "summary": "{name}：AI 平台开放",
        "description": "{name}的工作站在此时段作为 AI 教学平台使用，{end} 起切换回教学，请在此之前保存作业。",
    },
    "en": {
        "calendar": "LabShift lab AI platform hours",
        "summary": "{name}: AI platform open",
        "description": "The workstations of {name} serve the AI teaching platform in this window. "
        "The switch back to teaching starts at {end}: save your work before then.",
    },
}


def calendar_title(language: str) -> str:
    """Return the default calendar name in ``language``."""
    return _TEXT[language]["calendar"]


def room_display_name(names: dict[str, str] | object, room: str, language: str) -> str:
    """Return the room's name in ``language``, falling back to the other language, then the id."""
    if isinstance(names, dict):
        return str(names.get(language) or names.get("zh") or names.get("en") or room)
    return room


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 section 3.1) without splitting a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74
        current += character
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def render_ics(
    plan: Plan, language: str, calendar_name: str | None = None, rooms: Sequence[str] | None = None
) -> str:
    """Render calendar.ics with stable UIDs, so subscribers see updates instead of duplicates.

    ``rooms`` limits the calendar to those room ids (a room's own calendar); None takes every room.

    icalendar builds the calendar, its VTIMEZONE and the text escaping. The VEVENT lines are
    joined here because building hundreds of icalendar Event objects takes most of the planner's
    time budget. DTSTAMP is the render time, and callers that compare files ignore DTSTAMP lines.
    """
    from icalendar import Calendar, Timezone, vText

    text = _TEXT[language]
    calendar = Calendar()
    calendar.add("prodid", "-//LabShift//labshift.lab planner//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name or text["calendar"])
    calendar.add("x-wr-timezone", plan.zone.key)
    calendar.add_component(Timezone.from_tzid(plan.zone.key))
    header: str = calendar.to_ical().decode("utf-8")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tzid = plan.zone.key

    def escaped(value: str) -> str:
        encoded: bytes = vText(value).to_ical()
        return encoded.decode("utf-8")

    lines: list[str] = []
    for room_id, room in plan.rooms.items():
        if rooms is not None and room_id not in rooms:
            continue
        name = room_display_name(dict(room.names), room_id, language)
        summary = escaped(text["summary"].format(name=name))
        location = escaped(name)
        for window in room.windows:
            start = datetime.fromtimestamp(window.start, plan.zone)
            end = datetime.fromtimestamp(window.end, plan.zone)
            description = escaped(text["description"].format(name=name, end=end.strftime("%Y-%m-%d %H:%M")))
            utc_start = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            lines.extend(
                [
                    "BEGIN:VEVENT",
                    f"UID:labshift-{room_id}-{utc_start}@labshift.lab",
                    f"DTSTAMP:{stamp}",
                    f"DTSTART;TZID={tzid}:{start:%Y%m%dT%H%M%S}",
                    f"DTEND;TZID={tzid}:{end:%Y%m%dT%H%M%S}",
                    _fold(f"SUMMARY:{summary}"),
                    _fold(f"DESCRIPTION:{description}"),
                    _fold(f"LOCATION:{location}"),
                    "TRANSP:TRANSPARENT",
                    "END:VEVENT",
                ]
            )
    closing = "END:VCALENDAR\r\n"
    assert header.endswith(closing)
    body = "\r\n".join(lines) + "\r\n" if lines else ""
    return header[: -len(closing)] + body + closing
