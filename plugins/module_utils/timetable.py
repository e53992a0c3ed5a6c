"""Teaching timetables, period tables and the semester: parsing and validation.

Three timetable formats are read into one list of ``Session`` objects:

* the native YAML form (``sessions:`` with weekday, periods or clock times, and weeks),
* the WakeUp 课程表 CSV import format (课程名称, 星期, 开始节数, 结束节数, 老师, 地点, 周数),
* an iCalendar (.ics) export, whose occurrences are folded back into weekly sessions so the
  planner applies holidays and make-up days the same way for every format.

Teacher names are read and dropped: no output needs them. Every error names the file and line
(or the iCalendar UID) and the fix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register

register(
    {
        "timetable.file_missing": {
            "zh": "课程表文件 {path} 不存在：请检查 labshift_timetable_files 中房间 {room} 的路径。",
            "en": "Timetable file {path} not found: check the path of room {room} in "
            "labshift_timetable_files.",
        },
        "timetable.format_unknown": {
            "zh": "无法识别课程表文件 {path} 的格式：请使用 .csv（WakeUp 课程表）、.yml/.yaml 或 .ics 后缀。",
            "en": "Unknown timetable format of {path}: use the .csv (WakeUp), .yml/.yaml or .ics suffix.",
        },
        "timetable.decode_failed": {
            "zh": "课程表文件 {path} 既不是 UTF-8 也不是 GB18030 编码：请另存为 UTF-8 CSV。",
            "en": "Timetable file {path} is neither UTF-8 nor GB18030 encoded: save it as a UTF-8 CSV.",
        },
        "timetable.csv_header": {
            "zh": "{path} 第 1 行：缺少列 {columns}。WakeUp 课程表 CSV 的表头为：课程名称,星期,开始节数,"
            "结束节数,老师,地点,周数。",
            "en": "{path} line 1: missing columns {columns}. The WakeUp CSV header is: "
            "课程名称,星期,开始节数,结束节数,老师,地点,周数.",
        },
        "timetable.empty": {
            "zh": "课程表文件 {path} 中没有任何课程：如果该房间确实无课，请写一个空的 YAML "
            "课程表（sessions: []）。",
            "en": "Timetable file {path} has no sessions: if the room really has no classes, use a YAML "
            "timetable with sessions: [].",
        },
        "timetable.field_missing": {
            "zh": "{where}：{field} 为空：请填写这一列（星期写 1-7，周数写如 1-16、1-15单），或删除这一行。",
            "en": "{where}: {field} is empty: fill in that column (weekday 1-7, weeks like 1-16 or 1-15单), "
            "or delete the row.",
        },
        "timetable.weekday_invalid": {
            "zh": "{where}：星期 {value!r} 无效：请写 1 到 7（1 为周一）或“周一”到“周日”。",
            "en": "{where}: weekday {value!r} is invalid: write 1 to 7 (1 is Monday) or 周一 to 周日.",
        },
        "timetable.period_invalid": {
            "zh": "{where}：节次 {value!r} 无效：请写正整数，并且开始节数不大于结束节数。",
            "en": "{where}: period {value!r} is invalid: write positive integers, with the first period "
            "not after the last.",
        },
        "timetable.weeks_invalid": {
            "zh": "{where}：周数 {value!r} 无效：请写 “1-16”、“1-15单”、“2-16双” 或 “3,5,7-9” 这样的格式。",
            "en": "{where}: weeks {value!r} are invalid: write them like 1-16, 1-15单 (odd), 2-16双 "
            "(even) or 3,5,7-9.",
        },
        "timetable.weeks_out_of_range": {
            "zh": "{where}：周数 {value!r} 含第 {week} 周，但本学期只有 {weeks} 周：请改正周数或 "
            "labshift_semester.weeks。",
            "en": "{where}: weeks {value!r} include week {week}, but the semester has {weeks} weeks: fix the "
            "weeks or labshift_semester.weeks.",
        },
        "timetable.time_unquoted": {
            "zh": "{where}：时间写成了不带引号的 {clock}，YAML 把它读成了数字 {value}："
            '请加引号写成 "{clock}"。',
            "en": "{where}: the time {clock} is written without quotes, so YAML read it as the number "
            '{value}: write it quoted, "{clock}".',
        },
        "timetable.time_invalid": {
            "zh": '{where}：时间 {value!r} 无效：请写带引号的 "HH:MM"（例如 "08:00"），'
            "结束时间晚于开始时间。",
            "en": '{where}: time {value!r} is invalid: write a quoted "HH:MM" (for example "08:00"), with '
            "the end after the start.",
        },
        "timetable.session_form": {
            "zh": "{where}：请给出 periods（节次，例如 [1, 2]）或 start 与 end（时间），二者只能选一。",
            "en": "{where}: give either periods (for example [1, 2]) or start and end clock times, not both.",
        },
        "timetable.period_unknown": {
            "zh": "{where}：第 {period} 节不在节次表 {table} 中（{date} 使用该表）：请补全节次表或改正节次。",
            "en": "{where}: period {period} is not in period table {table} (used on {date}): complete the "
            "period table or fix the period.",
        },
        "timetable.yaml_invalid": {
            "zh": "{path}：不是有效的课程表 YAML（{detail}）：顶层应为含 sessions 列表的映射。",
            "en": "{path}: not a valid timetable YAML ({detail}): the top level must be a mapping with a "
            "sessions list.",
        },
        "timetable.ics_invalid": {
            "zh": "{path}：无法解析 iCalendar 文件（{detail}）：请重新从教务系统导出 .ics。",
            "en": "{path}: the iCalendar file cannot be parsed ({detail}): export the .ics again from the "
            "timetable system.",
        },
        "timetable.ics_event_invalid": {
            "zh": "{path} 中 UID 为 {uid} 的课程：{detail}。请在教务系统中修正后重新导出。",
            "en": "{path}, event UID {uid}: {detail}. Fix it in the timetable system and export again.",
        },
        "periods.invalid": {
            "zh": '节次表 {table}：{detail}。格式示例：periods: {{1: "08:00-08:45", 2: "08:55-09:40"}}。',
            "en": 'Period table {table}: {detail}. Example: periods: {{1: "08:00-08:45", 2: "08:55-09:40"}}.',
        },
        "periods.sexagesimal": {
            "zh": "节次表 {table} 第 {period} 节：值 {value!r} 被 YAML 读成了数字：请给时间加引号，例如 "
            '"10:00-10:45"。',
            "en": "Period table {table}, period {period}: YAML read {value!r} as a number: quote the times, "
            'for example "10:00-10:45".',
        },
        "periods.none_for_day": {
            "zh": "{date} 房间 {room} 没有适用的节次表：请在 labshift_period_tables 中用 from/to 或 rooms "
            "覆盖该日期。",
            "en": "No period table applies to room {room} on {date}: cover that date with from/to or rooms "
            "in labshift_period_tables.",
        },
        "periods.ambiguous": {
            "zh": "{date} 房间 {room} 同时适用节次表 {tables}：请让各表的 from/to 或 rooms 互不重叠。",
            "en": "Period tables {tables} all apply to room {room} on {date}: make their from/to or rooms "
            "ranges disjoint.",
        },
        "semester.invalid": {
            "zh": "labshift_semester.{field} 的值 {value!r} 无效：{fix}",
            "en": "labshift_semester.{field} value {value!r} is invalid: {fix_en}",
        },
    }
)

WEEKDAY_NAMES_ZH = ("一", "二", "三", "四", "五", "六", "日")
_WEEKDAY_ALIASES: dict[str, int] = {}
for _number, _name in enumerate(WEEKDAY_NAMES_ZH, start=1):
    for _prefix in ("", "周", "星期", "礼拜"):
        _WEEKDAY_ALIASES[_prefix + _name] = _number
for _prefix in ("周", "星期"):
    _WEEKDAY_ALIASES[_prefix + "天"] = 7
for _number, _name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start=1):
    _WEEKDAY_ALIASES[_name] = _number
for _number, _name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), start=1
):
    _WEEKDAY_ALIASES[_name] = _number

# WakeUp 课程表 column names, with English aliases accepted for hand-written files.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "course": ("课程名称", "course"),
    "weekday": ("星期", "weekday"),
    "first_period": ("开始节数", "first_period"),
    "last_period": ("结束节数", "last_period"),
    "teacher": ("老师", "teacher"),
    "location": ("地点", "location", "room"),
    "weeks": ("周数", "weeks"),
}
CSV_REQUIRED = ("course", "weekday", "first_period", "last_period", "weeks")

_WEEK_SEGMENT = re.compile(r"^(\d+)(?:\s*[-~～—]\s*(\d+))?\s*(单|双|odd|even)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Semester:
    """One teaching semester: week 1 starts on ``first_day`` (a Monday)."""

    name: str
    first_day: date
    weeks: int
    exam_weeks: frozenset[int] = frozenset()

    @property
    def end_day(self) -> date:
        """Return the day after the last day of the last week."""
        return self.first_day + timedelta(days=7 * self.weeks)

    def week_of(self, day: date) -> int:
        """Return the 1-based teaching week of ``day`` (may be outside 1..weeks)."""
        return (day - self.first_day).days // 7 + 1

    def days(self) -> Iterable[date]:
        """Yield every day of the semester."""
        for offset in range(7 * self.weeks):
            yield self.first_day + timedelta(days=offset)


@dataclass(frozen=True)
class PeriodTable:
    """A 节次 table: period number to (start, end) clock times, valid for some rooms and dates."""

    name: str
    periods: Mapping[int, tuple[time, time]]
    rooms: frozenset[str] | None = None
    ranges: tuple[tuple[date, date], ...] = ()

    def applies(self, room: str, day: date) -> bool:
        """Tell whether this table is the one for ``room`` on ``day``."""
        if self.rooms is not None and room not in self.rooms:
            return False
        if not self.ranges:
            return True
        return any(start <= day <= end for start, end in self.ranges)

    @property
    def day_span(self) -> tuple[time, time]:
        """Return the start of the first period and the end of the last period."""
        return (
            min(start for start, _ in self.periods.values()),
            max(end for _, end in self.periods.values()),
        )


@dataclass(frozen=True)
class Session:
    """One weekly class: its weekday, teaching weeks, and periods or clock times.

    ``source`` is where it was read (``file:line`` or ``file:UID``), for error messages. An ``end``
    of 00:00 after a later ``start`` is the following midnight (an iCalendar class ending at 24:00).
    ``dates`` contains the exact class dates of a session read from an iCalendar export, and is None
    for the week-based formats.
    """

    course: str
    weekday: int
    weeks: frozenset[int]
    first_period: int | None = None
    last_period: int | None = None
    start: time | None = None
    end: time | None = None
    location: str = ""
    source: str = ""
    dates: frozenset[date] | None = None

    def clock_times(self, table: PeriodTable, day: date) -> tuple[time, time]:
        """Return the start and end clock time of this session on ``day`` using ``table``."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        assert self.first_period is not None and self.last_period is not None
        for period in (self.first_period, self.last_period):
            if period not in table.periods:
                raise LabShiftError(
                    "timetable.period_unknown",
                    where=self.source,
                    period=period,
                    table=table.name,
                    date=day.isoformat(),
                )
        return table.periods[self.first_period][0], table.periods[self.last_period][1]


@dataclass
class Timetable:
    """All sessions of one room, read from one or more files."""

    room: str
    sessions: list[Session] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Small value parsers


def parse_weekday(value: Any, where: str) -> int:
    """Parse 1-7 (1 is Monday), 周一..周日 or Monday..Sunday into 1..7."""
    text = str(value).strip().lower()
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text)
    if text in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[text]
    raise LabShiftError("timetable.weekday_invalid", where=where, value=value)


def parse_weeks(value: Any, where: str, semester_weeks: int | None = None) -> frozenset[int]:
    """Parse WakeUp week lists: ``1-16``, ``1-15单`` (odd), ``2-16双`` (even), ``3,5,7-9``."""
    text = str(value).strip().replace("，", ",").replace("、", ",").replace(" ", "")
    text = text.removeprefix("第").replace("周", "")
    if not text:
        raise LabShiftError("timetable.weeks_invalid", where=where, value=value)
    weeks: set[int] = set()
    for segment in text.split(","):
        match = _WEEK_SEGMENT.match(segment)
        if match is None:
            raise LabShiftError("timetable.weeks_invalid", where=where, value=value)
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        parity = match.group(3)
        if first < 1 or last < first:
            raise LabShiftError("timetable.weeks_invalid", where=where, value=value)
        for week in range(first, last + 1):
            if parity in ("单", "odd") and week % 2 == 0:
                continue
            if parity in ("双", "even") and week % 2 == 1:
                continue
            weeks.add(week)
    if not weeks:
        raise LabShiftError("timetable.weeks_invalid", where=where, value=value)
    if semester_weeks is not None and max(weeks) > semester_weeks:
        raise LabShiftError(
            "timetable.weeks_out_of_range", where=where, value=value, week=max(weeks), weeks=semester_weeks
        )
    return frozenset(weeks)


def parse_clock(value: Any, where: str) -> time:
    """Parse ``HH:MM`` (24-hour) into a time; YAML numbers are rejected with a hint to quote them."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080.
        clock = f"{value // 60:02d}:{value % 60:02d}"
        raise LabShiftError("timetable.time_unquoted", where=where, value=value, clock=clock)
    match = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise LabShiftError("timetable.time_invalid", where=where, value=value)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise LabShiftError("timetable.time_invalid", where=where, value=value)
    return time(hour, minute)


def _parse_period_number(value: Any, where: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise LabShiftError("timetable.period_invalid", where=where, value=value)
    return int(text)


def _parse_date(value: Any, field_name: str, fix_zh: str, fix_en: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise LabShiftError(
            "semester.invalid", field=field_name, value=value, fix=fix_zh, fix_en=fix_en
        ) from None


# ---------------------------------------------------------------------------------------------
# Semester and period tables


def parse_semester(data: Mapping[str, Any] | None) -> Semester:
    """Validate ``labshift_semester``: name, first_day (a Monday), weeks, exam_weeks."""
    if not isinstance(data, Mapping):
        raise LabShiftError(
            "semester.invalid",
            field="",
            value=data,
            fix="请设置 labshift_semester：{name, first_day, weeks, exam_weeks}。",
            fix_en="set labshift_semester to {name, first_day, weeks, exam_weeks}.",
        )
    first_day = _parse_date(
        data.get("first_day"),
        "first_day",
        "请写第 1 周周一的日期，例如 2026-09-07。",
        "write the Monday of week 1, for example 2026-09-07.",
    )
    if first_day.weekday() != 0:
        raise LabShiftError(
            "semester.invalid",
            field="first_day",
            value=first_day.isoformat(),
            fix=f"该日是星期{WEEKDAY_NAMES_ZH[first_day.weekday()]}，请写第 1 周的周一。",
            fix_en=f"that day is a {first_day.strftime('%A')}: write the Monday of week 1.",
        )
    weeks = data.get("weeks")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 30:
        raise LabShiftError(
            "semester.invalid",
            field="weeks",
            value=weeks,
            fix="请写 1 到 30 之间的整数周数。",
            fix_en="write a whole number of weeks from 1 to 30.",
        )
    exam_raw = data.get("exam_weeks", []) or []
    exam_weeks: set[int] = set()
    if isinstance(exam_raw, str):
        exam_weeks = set(parse_weeks(exam_raw, "labshift_semester.exam_weeks", weeks))
    elif isinstance(exam_raw, Sequence):
        for week in exam_raw:
            if isinstance(week, bool) or not isinstance(week, int) or not 1 <= week <= weeks:
                raise LabShiftError(
                    "semester.invalid",
                    field="exam_weeks",
                    value=exam_raw,
                    fix=f"请列出 1 到 {weeks} 之间的周次，例如 [19, 20]。",
                    fix_en=f"list weeks from 1 to {weeks}, for example [19, 20].",
                )
            exam_weeks.add(week)
    else:
        raise LabShiftError(
            "semester.invalid",
            field="exam_weeks",
            value=exam_raw,
            fix="请写周次列表，例如 [19, 20]。",
            fix_en="write a list of weeks, for example [19, 20].",
        )
    return Semester(
        name=str(data.get("name") or first_day.isoformat()),
        first_day=first_day,
        weeks=weeks,
        exam_weeks=frozenset(exam_weeks),
    )


def _parse_period_value(table: str, number: int, value: Any) -> tuple[time, time]:
    where = f"labshift_period_tables.{table}.periods.{number}"
    if isinstance(value, int) and not isinstance(value, bool):
        raise LabShiftError("periods.sexagesimal", table=table, period=number, value=value)
    if isinstance(value, str):
        parts = [part.strip() for part in re.split(r"[-–~～]", value)]
    elif isinstance(value, Sequence) and len(value) == 2:
        parts = list(value)
    else:
        raise LabShiftError("timetable.time_invalid", where=where, value=value)
    if len(parts) != 2:
        raise LabShiftError("timetable.time_invalid", where=where, value=value)
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            raise LabShiftError("periods.sexagesimal", table=table, period=number, value=value)
    start, end = parse_clock(parts[0], where), parse_clock(parts[1], where)
    if end <= start:
        raise LabShiftError("timetable.time_invalid", where=where, value=value)
    return start, end


def parse_period_tables(data: Mapping[str, Any] | None) -> list[PeriodTable]:
    """Validate ``labshift_period_tables``: name to {periods, rooms, from, to | ranges}."""
    if not isinstance(data, Mapping) or not data:
        raise LabShiftError("periods.invalid", table="labshift_period_tables", detail="missing or empty")
    tables: list[PeriodTable] = []
    for name, spec in data.items():
        if (
            not isinstance(spec, Mapping)
            or not isinstance(spec.get("periods"), Mapping)
            or not spec["periods"]
        ):
            raise LabShiftError("periods.invalid", table=name, detail="the periods mapping is missing")
        periods: dict[int, tuple[time, time]] = {}
        for key, value in spec["periods"].items():
            number = _parse_period_number(key, f"labshift_period_tables.{name}.periods")
            periods[number] = _parse_period_value(str(name), number, value)
        ordered = sorted(periods.items())
        for (number, (_, end)), (next_number, (next_start, _)) in pairwise(ordered):
            if next_start < end:
                raise LabShiftError(
                    "periods.invalid",
                    table=name,
                    detail=f"period {next_number} starts before period {number} ends",
                )
        rooms_raw = spec.get("rooms")
        rooms = frozenset(str(room) for room in rooms_raw) if rooms_raw is not None else None
        ranges: list[tuple[date, date]] = []
        raw_ranges: list[Any] = list(spec.get("ranges") or [])
        if "from" in spec or "to" in spec:
            raw_ranges.append({"from": spec.get("from"), "to": spec.get("to")})
        for item in raw_ranges:
            if not isinstance(item, Mapping):
                raise LabShiftError(
                    "periods.invalid", table=name, detail="each range needs from and to dates"
                )
            range_start = _parse_date(
                item.get("from") or "0001-01-01", f"{name}.from", "请写日期 YYYY-MM-DD。", "write YYYY-MM-DD."
            )
            range_end = _parse_date(
                item.get("to") or "9999-12-31", f"{name}.to", "请写日期 YYYY-MM-DD。", "write YYYY-MM-DD."
            )
            if range_end < range_start:
                raise LabShiftError(
                    "periods.invalid",
                    table=name,
                    detail=f"range {range_start} to {range_end} ends before it starts",
                )
            ranges.append((range_start, range_end))
        tables.append(PeriodTable(name=str(name), periods=periods, rooms=rooms, ranges=tuple(ranges)))
    return tables


def table_for(tables: Sequence[PeriodTable], room: str, day: date) -> PeriodTable:
    """Pick the one period table for ``room`` on ``day``; none or several is an error."""
    matches = [table for table in tables if table.applies(room, day)]
    if not matches:
        raise LabShiftError("periods.none_for_day", room=room, date=day.isoformat())
    if len(matches) > 1:
        # A table for named rooms (a campus) beats one for all rooms. A table with dates (a season)
        # beats one without. Only a tie between equally specific tables is ambiguous.
        def specificity(table: PeriodTable) -> tuple[bool, bool]:
            return (table.rooms is not None, bool(table.ranges))

        best = max(specificity(table) for table in matches)
        specific = [table for table in matches if specificity(table) == best]
        if len(specific) == 1:
            return specific[0]
        raise LabShiftError(
            "periods.ambiguous", room=room, date=day.isoformat(), tables=", ".join(t.name for t in matches)
        )
    return matches[0]


# ---------------------------------------------------------------------------------------------
# Timetable formats


def _session_from_fields(fields: Mapping[str, Any], where: str, semester_weeks: int | None) -> Session:
    for required in ("course", "weekday", "weeks"):
        if fields.get(required) in (None, ""):
            # Name the column as the WakeUp CSV header writes it, with the YAML key beside it.
            field = f"{CSV_COLUMNS[required][0]} ({required})"
            raise LabShiftError("timetable.field_missing", where=where, field=field)
    weekday = parse_weekday(fields["weekday"], where)
    weeks = parse_weeks(fields["weeks"], where, semester_weeks)
    has_periods = fields.get("first_period") not in (None, "")
    has_times = fields.get("start") not in (None, "") or fields.get("end") not in (None, "")
    if has_periods == has_times:
        raise LabShiftError("timetable.session_form", where=where)
    if has_periods:
        first = _parse_period_number(fields["first_period"], where)
        last_raw = fields.get("last_period")
        last = first if last_raw in (None, "") else _parse_period_number(last_raw, where)
        if last < first:
            raise LabShiftError("timetable.period_invalid", where=where, value=f"{first}-{last}")
        return Session(
            course=str(fields["course"]).strip(),
            weekday=weekday,
            weeks=weeks,
            first_period=first,
            last_period=last,
            location=str(fields.get("location") or "").strip(),
            source=where,
        )
    start = parse_clock(fields.get("start"), where)
    end = parse_clock(fields.get("end"), where)
    if end <= start:
        raise LabShiftError(
            "timetable.time_invalid", where=where, value=f"{fields.get('start')}-{fields.get('end')}"
        )
    return Session(
        course=str(fields["course"]).strip(),
        weekday=weekday,
        weeks=weeks,
        start=start,
        end=end,
        location=str(fields.get("location") or "").strip(),
        source=where,
    )


def _decode(path: Path, raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LabShiftError("timetable.decode_failed", path=str(path))


def parse_wakeup_csv(text: str, path: str, semester_weeks: int | None = None) -> list[Session]:
    """Read the WakeUp 课程表 CSV import format; the 老师 (teacher) column is dropped."""
    reader = csv.reader(io.StringIO(text))
    # reader.line_num counts physical lines, so a quoted cell with a line break keeps numbers right.
    rows = [(reader.line_num, row) for row in reader]
    if not rows:
        raise LabShiftError("timetable.empty", path=path)

    header = [cell.strip() for cell in rows[0][1]]
    positions: dict[str, int] = {}
    for key, names in CSV_COLUMNS.items():
        for index, cell in enumerate(header):
            if cell in names or cell.lower() in names:
                positions[key] = index
                break
    missing = [CSV_COLUMNS[key][0] for key in CSV_REQUIRED if key not in positions]
    if missing:
        raise LabShiftError("timetable.csv_header", path=path, columns=", ".join(missing))

    sessions: list[Session] = []
    errors: list[LabShiftError] = []
    for line_number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        fields = {
            key: (row[index].strip() if index < len(row) else "")
            for key, index in positions.items()
            if key != "teacher"
        }
        try:
            sessions.append(_session_from_fields(fields, f"{path}:{line_number}", semester_weeks))
        except LabShiftError as error:
            errors.append(error)
    _raise_collected(errors)

    if not sessions:
        raise LabShiftError("timetable.empty", path=path)
    return sessions


def parse_native_yaml(data: Any, path: str, semester_weeks: int | None = None) -> list[Session]:
    """Read the native YAML form: ``sessions: [{course, weekday, periods | start+end, weeks}]``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("sessions"), list):
        raise LabShiftError("timetable.yaml_invalid", path=path, detail="no sessions list")
    sessions: list[Session] = []
    errors: list[LabShiftError] = []
    for index, item in enumerate(data["sessions"], start=1):
        where = f"{path}: sessions[{index}]"
        if not isinstance(item, Mapping):
            errors.append(
                LabShiftError("timetable.yaml_invalid", path=where, detail="an entry is not a mapping")
            )
            continue
        fields: dict[str, Any] = {
            "course": item.get("course"),
            "weekday": item.get("weekday"),
            "weeks": item.get("weeks"),
            "start": item.get("start"),
            "end": item.get("end"),
            "location": item.get("location"),
        }
        periods = item.get("periods")
        if periods is not None:
            if isinstance(periods, int) and not isinstance(periods, bool):
                periods = [periods]
            if not isinstance(periods, list) or not 1 <= len(periods) <= 2:
                errors.append(LabShiftError("timetable.period_invalid", where=where, value=periods))
                continue
            fields["first_period"] = periods[0]
            fields["last_period"] = periods[-1]
        if isinstance(fields["weeks"], list):
            fields["weeks"] = ",".join(str(week) for week in fields["weeks"])
        try:
            sessions.append(_session_from_fields(fields, where, semester_weeks))
        except LabShiftError as error:
            errors.append(error)
    _raise_collected(errors)
    return sessions


def parse_ics(raw: bytes, path: str, semester: Semester, zone: ZoneInfo) -> list[Session]:
    """Fold the class occurrences of an iCalendar export into weekly sessions.

    Occurrences outside the semester are ignored, and so are all-day events (timetable systems
    add them as week markers). A class is one session per (summary, weekday, start, end).

    Each session keeps its exact class dates. The planner still applies the working calendar, so
    an exported class on a holiday is cancelled. On a make-up day the classes of the day it
    follows run, and so do the exported classes dated on the make-up day itself.
    """
    from dateutil.rrule import rrulestr
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(raw)
    except (ValueError, KeyError, IndexError) as error:
        raise LabShiftError("timetable.ics_invalid", path=path, detail=str(error)) from None
    window_start = datetime.combine(semester.first_day, time(0), zone)
    window_end = datetime.combine(semester.end_day, time(0), zone)
    grouped: dict[tuple[str, int, time, time, str], set[date]] = {}
    sources: dict[tuple[str, int, time, time, str], str] = {}
    # icalendar types each property as a union of every value type, so events are handled as Any.
    events: list[Any] = list(calendar.walk("VEVENT"))
    for event in events:
        uid = str(event.get("UID", "?"))
        where = f"{path}:{uid}"
        start_prop = event.get("DTSTART")
        if start_prop is None:
            raise LabShiftError(
                "timetable.ics_event_invalid", path=path, uid=uid, detail="DTSTART is missing"
            )
        start: Any = start_prop.dt
        if not isinstance(start, datetime):
            continue
        end: Any
        if event.get("DTEND") is not None:
            end = event["DTEND"].dt
        elif event.get("DURATION") is not None:
            end = start + event["DURATION"].dt
        else:
            raise LabShiftError("timetable.ics_event_invalid", path=path, uid=uid, detail="DTEND is missing")
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone)
            end = end.replace(tzinfo=zone)
        duration = end - start
        if duration <= timedelta(0) or duration > timedelta(hours=12):
            raise LabShiftError(
                "timetable.ics_event_invalid",
                path=path,
                uid=uid,
                detail=f"duration {duration} is not a class length",
            )
        occurrences: list[Any] = [start]
        if event.get("RRULE") is not None:
            rule_text = event["RRULE"].to_ical().decode()
            try:
                rule = rrulestr(rule_text, dtstart=start)
            except (ValueError, TypeError) as error:
                raise LabShiftError(
                    "timetable.ics_event_invalid", path=path, uid=uid, detail=str(error)
                ) from None
            occurrences = list(rule.between(window_start - duration, window_end, inc=True))
        excluded: set[datetime] = set()
        exdates = event.get("EXDATE")
        if exdates is None:
            exdate_props = []
        elif isinstance(exdates, list):
            exdate_props = exdates
        else:
            exdate_props = [exdates]
        for exdate_prop in exdate_props:
            for item in exdate_prop.dts:
                value = item.dt
                if isinstance(value, datetime):
                    excluded.add(value if value.tzinfo else value.replace(tzinfo=zone))
        summary = str(event.get("SUMMARY", "")).strip() or uid
        location = str(event.get("LOCATION", "")).strip()
        for occurrence in occurrences:
            if occurrence in excluded:
                continue
            local_start = occurrence.astimezone(zone)
            local_end = (occurrence + duration).astimezone(zone)
            if local_end.date() != local_start.date() and local_end.time() != time(0):
                raise LabShiftError(
                    "timetable.ics_event_invalid", path=path, uid=uid, detail="a class crosses midnight"
                )
            week = semester.week_of(local_start.date())
            if not 1 <= week <= semester.weeks:
                continue
            key = (summary, local_start.isoweekday(), local_start.time(), local_end.time(), location)
            grouped.setdefault(key, set()).add(local_start.date())
            sources.setdefault(key, where)
    sessions = [
        Session(
            course=summary,
            weekday=weekday,
            weeks=frozenset(semester.week_of(day) for day in days),
            start=start_time,
            end=end_time,
            location=location,
            source=sources[(summary, weekday, start_time, end_time, location)],
            dates=frozenset(days),
        )
        for (summary, weekday, start_time, end_time, location), days in sorted(grouped.items())
    ]
    if not sessions:
        raise LabShiftError("timetable.empty", path=path)
    return sessions


def load_timetable(path: Path, room: str, semester: Semester, zone: ZoneInfo) -> list[Session]:
    """Read one timetable file, choosing the format by its suffix."""
    import yaml

    if not path.is_file():
        raise LabShiftError("timetable.file_missing", path=str(path), room=room)
    suffix = path.suffix.lower()
    raw = path.read_bytes()
    if suffix == ".csv":
        return parse_wakeup_csv(_decode(path, raw), str(path), semester.weeks)
    if suffix in (".yml", ".yaml"):
        try:
            data = yaml.safe_load(_decode(path, raw))
        except yaml.YAMLError as error:
            raise LabShiftError(
                "timetable.yaml_invalid", path=str(path), detail=str(error).splitlines()[0]
            ) from None
        return parse_native_yaml(data, str(path), semester.weeks)
    if suffix in (".ics", ".ical"):
        return parse_ics(raw, str(path), semester, zone)
    raise LabShiftError("timetable.format_unknown", path=str(path))


def _raise_collected(errors: list[LabShiftError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftErrors

        raise LabShiftErrors(errors)
