"""Schedule rrule checks of the AWX REST API double, written to match AWX 24's behaviour.

AWX validates a schedule's rrule in its API serializer (SchedulePreviewSerializer.validate_rrule in
awx/api/serializers.py) and then parses it with python-dateutil. It rejects: a missing, naive or
repeated DTSTART; a value without any RRULE; EXDATE and RDATE; a rule without INTERVAL; SECONDLY;
BYDAY with a numeric prefix (20MO); COUNT together with UNTIL; COUNT above 999; anything
python-dateutil cannot parse, which includes UNTIL without Z when DTSTART has a TZID.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil import rrule as dateutil_rrule
from dateutil import tz

_DTSTART = re.compile(r"DTSTART(;[^:]+)?:[0-9]+T[0-9]+Z?")
_NAIVE_DTSTART = re.compile(r"DTSTART:[0-9]+T[0-9]+(\s|$)")
_RULE = re.compile(r"RRULE:[^\s]*", re.IGNORECASE)
_BYDAY_NUMERIC = re.compile(r"BYDAY[:=][^;\s]*?[+-]?[0-9]+[A-Z]{2}", re.IGNORECASE)
_COUNT = re.compile(r"COUNT=([0-9]+)", re.IGNORECASE)
_TZID = re.compile(r"DTSTART;TZID=([^:;]+)")


def rrule_errors(value: str) -> list[str]:
    """Return AWX's validation messages for ``value``; an empty list means AWX accepts it."""
    errors: list[str] = []
    dtstarts = _DTSTART.findall(value)
    if not dtstarts:
        errors.append("Valid DTSTART required in rrule. Value should start with: DTSTART:YYYYMMDDTHHMMSSZ")
    if _NAIVE_DTSTART.search(value):
        errors.append("DTSTART cannot be a naive datetime.  Specify ;TZINFO= or YYYYMMDDTHHMMSSZZ.")
    if len(dtstarts) > 1:
        errors.append("Multiple DTSTART is not supported.")
    lowered = value.lower()
    if "rrule:" not in lowered:
        errors.append("One or more rule required in rrule.")
    if "exdate:" in lowered:
        return ["EXDATE not allowed in rrule."]
    if "rdate:" in lowered:
        return ["RDATE not allowed in rrule."]
    for rule in _RULE.findall(value):
        upper = rule.upper()
        if "INTERVAL" not in upper:
            errors.append(f"INTERVAL required in rrule: {rule}")
        elif "SECONDLY" in upper:
            errors.append(f"SECONDLY is not supported: {rule}")
        if _BYDAY_NUMERIC.search(rule):
            errors.append(f"BYDAY with numeric prefix not supported: {rule}")
        if "COUNT" in upper and "UNTIL" in upper:
            errors.append(f"RRULE may not contain both COUNT and UNTIL: {rule}")
        count = _COUNT.search(rule)
        if count and int(count.group(1)) > 999:
            errors.append(f"COUNT > 999 is unsupported: {rule}")
    if not errors:
        try:
            parse_ruleset(value)
        except (ValueError, TypeError) as error:
            errors.append(f"rrule parsing failed validation: {error}")
    return errors


def parse_ruleset(value: str) -> dateutil_rrule.rruleset:
    """Parse ``value`` the way AWX does: a space-separated DTSTART and rules, into a ruleset."""
    text = "\n".join(value.split())
    parsed = dateutil_rrule.rrulestr(text, forceset=True)
    assert isinstance(parsed, dateutil_rrule.rruleset)
    return parsed


@dataclass(frozen=True)
class ScheduleTimes:
    """Read-only schedule fields that AWX computes from the rrule."""

    dtstart: str | None
    next_run: str | None
    timezone: str
    until: str


def _iso_utc(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_times(value: str, now: dt.datetime | None = None) -> ScheduleTimes:
    """Compute dtstart, next_run, timezone and until for an rrule that passed rrule_errors."""
    ruleset = parse_ruleset(value)
    current = now or dt.datetime.now(dt.UTC)
    zone_match = _TZID.search(value)
    zone_name = zone_match.group(1) if zone_match else "UTC"
    first = ruleset.after(dt.datetime(1970, 1, 1, tzinfo=tz.UTC), inc=True)
    following = ruleset.after(current)
    until_match = re.search(r"UNTIL=([0-9TZ]+)", value)
    return ScheduleTimes(
        dtstart=_iso_utc(first),
        next_run=_iso_utc(following),
        timezone=zone_name,
        until=until_match.group(1) if until_match else "",
    )
