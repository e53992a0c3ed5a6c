"""Action plugin labshift.lab.switch_report: write the per-node report and set the exit status."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ansible_collections.labshift.lab.plugins.module_utils.messages import render
from ansible_collections.labshift.lab.plugins.module_utils.switch import (
    Outcome,
    build_report,
    handback_failures,
    render_report_text,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_action import SwitchAction
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import load_state, results_of


def hub_report_lines(state: Mapping[str, Any], language: str) -> list[str]:
    """Lines on the JupyterHub notices of a hand-back, or none when no hub was configured."""
    if "announced" not in state and "server_notices" not in state and "announce_error" not in state:
        return []
    notices = state.get("server_notices") or {}
    entries = [(node, line) for node, lines in sorted(notices.items()) for line in lines]
    written = [entry for entry in entries if entry[1].endswith((": written", ": unchanged"))]
    lines = [
        "",
        render(
            "switch.report.hub",
            language,
            announced=render(
                "switch.report.hub_posted" if state.get("announced") else "switch.report.hub_not_posted",
                language,
            ),
            written=len(written),
            missed=len(entries) - len(written),
        ),
    ]
    lines.extend(f"  {node}  {line}" for node, line in entries if (node, line) not in written)
    return lines


def write_report(
    state: Mapping[str, Any], output_dir: Path, language: str
) -> tuple[Path, Path, dict[str, Any], str]:
    """Write ``report-<direction>-<time>.json`` and ``.txt`` plus ``latest-<direction>`` copies."""
    results = list(results_of(state).values())
    rooms = {room: spec["deadline"] for room, spec in state["rooms"].items()}
    report = build_report(state["direction"], state["started_at"], rooms, results, language)
    report["run_id"] = state["run_id"]
    report["findings"] = state.get("findings") or []
    report["timelines"] = {room: spec.get("timeline") for room, spec in state["rooms"].items()}
    report["hub"] = {
        "announced": bool(state.get("announced")),
        "announce_error": state.get("announce_error", ""),
        "server_notices": state.get("server_notices") or {},
    }
    text = render_report_text(state["direction"], state["started_at"], rooms, results, language)
    text += "".join(line + "\n" for line in hub_report_lines(state, language))
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = state["started_at"].replace(":", "").replace("-", "")
    json_path = output_dir / f"report-{state['direction']}-{stamp}.json"
    text_path = json_path.with_suffix(".txt")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    (output_dir / f"latest-{state['direction']}.json").write_text(
        json_path.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (output_dir / f"latest-{state['direction']}.txt").write_text(text, encoding="utf-8")
    return json_path, text_path, report, text


class ActionModule(SwitchAction):
    """Write the report under ``output_dir`` and fail when a node did not hand back in time."""

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        "switch": {"type": "dict", "required": True},
        "output_dir": {"type": "path", "required": True},
        "fail_on_locked": {"type": "bool", "default": True},
        "fail_on_error": {"type": "bool", "default": True},
    }

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        state = load_state(args["switch"])
        results = list(results_of(state).values())
        if self.check_mode:
            rooms = {room: spec["deadline"] for room, spec in state["rooms"].items()}
            text = render_report_text(state["direction"], state["started_at"], rooms, results, language)
            return {"changed": False, "report_text": text.splitlines()}
        json_path, text_path, report, text = write_report(state, Path(args["output_dir"]), language)
        outcome: dict[str, Any] = {
            "changed": True,
            "report_json": str(json_path),
            "report_text_path": str(text_path),
            "summary": report["summary"],
            "report_text": text.splitlines(),
        }
        failures = handback_failures(state["direction"], results)
        locked = [
            r for r in results if r.outcome == Outcome.SKIPPED and r.reason_key == "switch.reason.locked"
        ]
        failure = ""
        if failures:
            names = ", ".join(sorted(result.node for result in failures))
            failure = render(
                "switch.report.failed", language, count=len(failures), nodes=names, path=json_path
            )
        elif locked and args["fail_on_locked"]:
            failure = "\n".join(sorted({result.reason(language) for result in locked}))
        # With fail_on_error false the playbook shows the report first and then fails on ``failure``.
        outcome["failure"] = failure
        if failure and args["fail_on_error"]:
            outcome["failed"] = True
            outcome["msg"] = failure
        return outcome
