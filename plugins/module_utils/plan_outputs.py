"""Write rendered planner outputs: schema check, change detection and atomic replacement."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.exporters import load_plan_schema
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register

register(
    {
        "plan.summary": {
            "zh": "开放时段：{rooms}；共 {schedules} 个 AWX 计划，输出在 {output_dir}。",
            "en": "Platform windows: {rooms}; {schedules} AWX schedules in {output_dir}.",
        },
        "plan.summary_room": {
            "zh": "机房 {room} {windows} 个",
            "en": "room {room} {windows}",
        },
        "plan.schema_violation": {
            "zh": "plan.json 不符合 files/schemas/plan.json（{path}：{detail}）："
            "请用当前版本的 playbooks/plan.yml 重新生成。",
            "en": "plan.json does not match files/schemas/plan.json ({path}: {detail}): generate it again "
            "with the current playbooks/plan.yml.",
        },
    }
)


def validate_plan_document(document: Mapping[str, Any]) -> None:
    """Check a plan.json document against the shipped JSON schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_plan_schema(), format_checker=jsonschema.FormatChecker())
    for error in validator.iter_errors(document):
        raise LabShiftError(
            "plan.schema_violation",
            path="/".join(str(part) for part in error.absolute_path),
            detail=error.message,
        )


def _comparable(text: str) -> str:
    """Drop the lines that change on every render (iCalendar DTSTAMP)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("DTSTAMP:"))


def write_outputs(output_dir: Path, outputs: Mapping[str, str], dry_run: bool = False) -> list[str]:
    """Write each changed output atomically and return the names that changed.

    A file whose content equals the new text, apart from DTSTAMP lines, is left untouched, so a
    rerun without input changes reports no change. With ``dry_run`` nothing is written.
    """
    changed: list[str] = []
    for name, text in sorted(outputs.items()):
        target = output_dir / name
        if target.is_file() and _comparable(target.read_text(encoding="utf-8")) == _comparable(text):
            continue
        changed.append(name)
        if dry_run:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    return changed


def stale_outputs(output_dir: Path, outputs: Mapping[str, str]) -> list[str]:
    """Return the systemd units and room calendars that this render no longer produces, such as
    those of a room removed from labshift_rooms."""
    units = output_dir / "systemd"
    stale = [
        f"systemd/{path.name}"
        for path in (units.glob("labshift-*") if units.is_dir() else [])
        if path.suffix in (".timer", ".service") and f"systemd/{path.name}" not in outputs
    ]
    if output_dir.is_dir():
        stale += [path.name for path in output_dir.glob("calendar-*.ics") if path.name not in outputs]
    return sorted(stale)
