"""The working calendar: Chinese statutory holidays, make-up workdays (调休) and school days.

Statutory data comes from the chinese-calendar package. School override data (files or inline
mappings from ``labshift_calendar_overrides``) adds years the package does not cover yet, names
the weekday a make-up workday follows, and adds school days:

* ``holiday``: no classes (statutory days off, or a school holiday),
* ``workday``: a make-up workday; ``follows`` names the weekday (or the date) whose timetable runs,
* ``no_classes``: classes are cancelled (sports day), the room is free,
* ``blackout``: the room is not available to the platform (maintenance), all day or ``start``-``end``.

Planning a day that neither the package nor an override ``covers`` range describes is an error
naming the year, never a silent normal calendar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register
from ansible_collections.labshift.lab.plugins.module_utils.timetable import (
    WEEKDAY_NAMES_ZH,
    parse_clock,
    parse_weekday,
)

register(
    {
        "calendar.year_not_covered": {
            "zh": "没有 {year} 年的节假日数据（{date} 需要）：chinese-calendar {version} 只覆盖到 "
            "{last_year} 年。"
            "请在 labshift_calendar_overrides 中加入覆盖该日期的文件（covers 范围及 holiday/workday 日期，"
            "按国务院办公厅放假通知填写），或升级 chinese-calendar。",
            "en": "No holiday data for {year} (needed for {date}): chinese-calendar {version} covers "
            "years up "
            "to {last_year}. Add an override to labshift_calendar_overrides whose covers range includes that "
            "date, with the holiday and workday dates of the State Council notice, or upgrade "
            "chinese-calendar.",
        },
        "calendar.override_missing": {
            "zh": "日历覆盖文件 {path} 不存在：请检查 labshift_calendar_overrides。",
            "en": "Calendar override file {path} not found: check labshift_calendar_overrides.",
        },
        "calendar.override_invalid": {
            "zh": "日历覆盖 {where}：{detail_zh}",
            "en": "Calendar override {where}: {detail_en}",
        },
        "calendar.override_conflict": {
            "zh": "日历覆盖中 {date} 被写成了两种类型（{first} 与 {second}）：请只保留一种。",
            "en": "Calendar overrides give {date} two different kinds ({first} and {second}): keep one.",
        },
    }
)

DAY_KINDS = ("holiday", "workday", "no_classes", "blackout")


@dataclass(frozen=True)
class DayOverride:
    """One day from a school override: its kind, name, and for make-up days what it follows."""

    day: date
    kind: str
    name: str = ""
    follows_weekday: int | None = None
    follows_date: date | None = None
    start: time | None = None
    end: time | None = None
    source: str = ""


@dataclass(frozen=True)
class DayInfo:
    """The planning classification of one day.

    ``timetable_weekday`` is the weekday whose sessions run (None: no classes), and
    ``timetable_date`` the day whose teaching week applies. ``fully_taught`` marks a make-up
    workday whose timetable the school did not name: every period counts as taught.
    ``blackouts`` are local (start, end) clock spans the platform must not use; end None is midnight.
    """

    day: date
    kind: str
    name: str
    timetable_weekday: int | None
    timetable_date: date | None
    fully_taught: bool = False
    blackouts: tuple[tuple[time, time | None], ...] = ()


@dataclass
class CalendarOverrides:
    """All override entries by date, and the date ranges they describe completely."""

    days: dict[date, list[DayOverride]] = field(default_factory=dict)
    covers: list[tuple[date, date, str]] = field(default_factory=list)

    def covered(self, day: date) -> bool:
        """Tell whether some override declares that it fully describes ``day``."""
        return any(start <= day <= end for start, end, _ in self.covers)


def _invalid(where: str, zh: str, en: str) -> LabShiftError:
    return LabShiftError("calendar.override_invalid", where=where, detail_zh=zh, detail_en=en)


def _to_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid(
            where, f"日期 {value!r} 无效：请写 YYYY-MM-DD。", f"date {value!r} is invalid: write YYYY-MM-DD."
        ) from None


def parse_overrides(items: Sequence[Any] | None, search_dirs: Sequence[Path] = ()) -> CalendarOverrides:
    """Load override files (paths, searched in ``search_dirs``) and inline mappings."""
    import yaml

    overrides = CalendarOverrides()
    if items is None:
        return overrides
    if isinstance(items, (str, Mapping)):
        items = [items]
    errors: list[LabShiftError] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, str):
            candidates = [Path(item)] if Path(item).is_absolute() else [base / item for base in search_dirs]
            path = next((candidate for candidate in candidates if candidate.is_file()), None)
            if path is None:
                raise LabShiftError("calendar.override_missing", path=item)
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                raise _invalid(str(path), f"不是有效的 YAML：{error}", f"not valid YAML: {error}") from None
            where = str(path)
        else:
            data = item
            where = f"labshift_calendar_overrides[{index}]"
        try:
            _merge_override(overrides, data, where)
        except LabShiftError as error:
            errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftErrors

        raise LabShiftErrors(errors)
    return overrides


def _merge_override(overrides: CalendarOverrides, data: Any, where: str) -> None:
    if not isinstance(data, Mapping):
        raise _invalid(
            where, "顶层应为映射（covers、days）。", "the top level must be a mapping (covers, days)."
        )
    unknown = set(data) - {"source", "covers", "days", "note"}
    if unknown:
        raise _invalid(
            where,
            f"未知的键 {sorted(unknown)}：允许 source、note、covers、days。",
            f"unknown keys {sorted(unknown)}: allowed are source, note, covers, days.",
        )
    for position, span in enumerate(data.get("covers") or [], start=1):
        span_where = f"{where}: covers[{position}]"
        if not isinstance(span, Mapping) or "from" not in span or "to" not in span:
            raise _invalid(span_where, "请写 {from: 日期, to: 日期}。", "write {from: date, to: date}.")
        start, end = _to_date(span["from"], span_where), _to_date(span["to"], span_where)
        if end < start:
            raise _invalid(span_where, "结束日期早于开始日期。", "the end date is before the start date.")
        overrides.covers.append((start, end, str(data.get("source", where))))
    for position, entry in enumerate(data.get("days") or [], start=1):
        entry_where = f"{where}: days[{position}]"
        override = _parse_day(entry, entry_where)
        existing = overrides.days.setdefault(override.day, [])
        # A blackout may share a date with one calendar kind. Two sources may repeat a date with the
        # same kind (the later one's name and follows win), but two different kinds conflict.
        for other in list(existing):
            if other.kind == "blackout" or override.kind == "blackout":
                continue
            if other.kind == override.kind:
                existing.remove(other)
            else:
                raise LabShiftError(
                    "calendar.override_conflict",
                    date=override.day.isoformat(),
                    first=other.source,
                    second=entry_where,
                )
        existing.append(override)


def _parse_day(entry: Any, where: str) -> DayOverride:
    if not isinstance(entry, Mapping) or "date" not in entry:
        raise _invalid(where, "每项需要 date 与 kind。", "each entry needs date and kind.")
    day = _to_date(entry["date"], where)
    kind = str(entry.get("kind", ""))
    if kind not in DAY_KINDS:
        raise _invalid(
            where,
            f"kind {kind!r} 无效：可选 {', '.join(DAY_KINDS)}。",
            f"kind {kind!r} is invalid: choose one of {', '.join(DAY_KINDS)}.",
        )
    follows_weekday: int | None = None
    follows_date: date | None = None
    follows = entry.get("follows")
    if follows is not None:
        if kind != "workday":
            raise _invalid(
                where, "只有 workday（调休上班日）可以写 follows。", "only a workday entry may set follows."
            )
        if isinstance(follows, date) or (isinstance(follows, str) and "-" in follows):
            follows_date = _to_date(follows, where)
        else:
            follows_weekday = parse_weekday(follows, where)
    start = end = None
    if kind == "blackout" and (entry.get("start") is not None or entry.get("end") is not None):
        start = parse_clock(entry.get("start", "00:00"), where)
        end = parse_clock(entry["end"], where) if entry.get("end") is not None else None
        if end is not None and end <= start:
            raise _invalid(where, "end 必须晚于 start。", "end must be after start.")
    return DayOverride(
        day=day,
        kind=kind,
        name=str(entry.get("name", "")),
        follows_weekday=follows_weekday,
        follows_date=follows_date,
        start=start,
        end=end,
        source=where,
    )


class WorkingCalendar:
    """Day classification from chinese-calendar plus school overrides."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self.overrides = overrides or CalendarOverrides()
        self._package_years: dict[int, bool] = {}

    def package_covers(self, day: date) -> bool:
        """Tell whether chinese-calendar has holiday data for the year of ``day``."""
        import chinese_calendar

        covered = self._package_years.get(day.year)
        if covered is None:
            try:
                chinese_calendar.is_workday(date(day.year, 6, 1))
                covered = True
            except NotImplementedError:
                covered = False
            self._package_years[day.year] = covered
        return covered

    def check_covered(self, days: Sequence[date]) -> None:
        """Raise for the first day that has neither package data nor an override ``covers`` range."""
        for day in days:
            if not self.package_covers(day) and not self.overrides.covered(day):
                raise LabShiftError(
                    "calendar.year_not_covered",
                    year=day.year,
                    date=day.isoformat(),
                    version=_package_version(),
                    last_year=_package_last_year(),
                )

    def classify(self, day: date) -> DayInfo:
        """Return how ``day`` is planned: its kind, whose timetable runs, and blackouts."""
        entries = self.overrides.days.get(day, [])
        blackouts = tuple(
            (entry.start or time(0), entry.end) for entry in entries if entry.kind == "blackout"
        )
        calendar_entry = next((entry for entry in entries if entry.kind != "blackout"), None)
        name = calendar_entry.name if calendar_entry else ""
        if calendar_entry is None and blackouts:
            name = next(entry.name for entry in entries if entry.kind == "blackout")

        if calendar_entry is not None and calendar_entry.kind in ("holiday", "no_classes"):
            return DayInfo(day, calendar_entry.kind, name, None, None, blackouts=blackouts)

        if calendar_entry is not None and calendar_entry.kind == "workday":
            return self._makeup(day, calendar_entry, blackouts)

        statutory_kind, statutory_name = self._statutory(day)
        if statutory_kind == "holiday":
            return DayInfo(day, "holiday", name or statutory_name, None, None, blackouts=blackouts)
        if statutory_kind == "workday" and day.weekday() >= 5:
            # A weekend make-up day from the package; the school has not named its timetable.
            return DayInfo(
                day, "makeup", name or statutory_name, None, day, fully_taught=True, blackouts=blackouts
            )
        kind = "weekend" if day.weekday() >= 5 else "workday"
        return DayInfo(day, kind, name, day.isoweekday(), day, blackouts=blackouts)

    def _makeup(
        self, day: date, entry: DayOverride, blackouts: tuple[tuple[time, time | None], ...]
    ) -> DayInfo:
        if entry.follows_date is not None:
            return DayInfo(
                day,
                "makeup",
                entry.name,
                entry.follows_date.isoweekday(),
                entry.follows_date,
                blackouts=blackouts,
            )
        if entry.follows_weekday is not None:
            return DayInfo(day, "makeup", entry.name, entry.follows_weekday, day, blackouts=blackouts)
        if day.weekday() < 5 and self._statutory(day)[0] != "holiday":
            # A weekday listed as a workday without follows runs its own timetable.
            return DayInfo(day, "workday", entry.name, day.isoweekday(), day, blackouts=blackouts)
        return DayInfo(day, "makeup", entry.name, None, day, fully_taught=True, blackouts=blackouts)

    def _statutory(self, day: date) -> tuple[str, str]:
        """Return ("holiday" | "workday" | "", name) from chinese-calendar, or ("", "") if not covered."""
        import chinese_calendar

        if not self.package_covers(day):
            return "", ""
        is_holiday, detail = chinese_calendar.get_holiday_detail(day)
        name = _holiday_name_zh(detail)
        if is_holiday and detail is not None:
            return "holiday", name
        if not is_holiday and day.weekday() >= 5:
            return "workday", name
        return "", ""


_HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name_zh(detail: Any) -> str:
    if detail is None:
        return ""
    text = str(getattr(detail, "value", detail))
    english = text.split(",")[0]
    return _HOLIDAY_NAMES_ZH.get(english, english)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:
        return "?"


def _package_last_year() -> int:
    import chinese_calendar

    last_year: int = max(day.year for day in chinese_calendar.holidays)
    return last_year


def weekday_label(weekday: int, language: str) -> str:
    """Return 周一..周日 or Mon..Sun for 1..7."""
    if language == "en":
        return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[weekday - 1]
    return "周" + WEEKDAY_NAMES_ZH[weekday - 1]
