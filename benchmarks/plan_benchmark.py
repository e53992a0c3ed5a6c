"""Measure planning a 20-week semester for 5 rooms with 60 class sessions a week each, all outputs.

Run: .venv/bin/python benchmarks/plan_benchmark.py [--repeat N]

One run does what the labshift.lab.plan action does: it validates the inputs (CSV timetables
parsed from disk), plans the semester, renders every output (plan.json, AWX schedules, systemd
units, calendar.ics, index.html) and writes the files to a temporary directory. The JSON schema
check of plan.json runs in the tests, not here and not in the action. The script prints the wall and
CPU time of each run and their median. The synthetic timetable is seeded, so runs are comparable.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.labshift.lab.plugins.module_utils.export_systemd import (  # noqa: E402
    SystemdSettings,
)
from ansible_collections.labshift.lab.plugins.module_utils.exporters import render_outputs  # noqa: E402
from ansible_collections.labshift.lab.plugins.module_utils.plan_inputs import (  # noqa: E402
    PlannerSettings,
    build_plan,
)
from ansible_collections.labshift.lab.plugins.module_utils.plan_outputs import write_outputs  # noqa: E402

ROOMS = 5
SESSIONS_PER_WEEK = 60
WEEKS = 20
PERIODS = {
    1: "08:00-08:45",
    2: "08:55-09:40",
    3: "10:00-10:45",
    4: "10:55-11:40",
    5: "14:00-14:45",
    6: "14:55-15:40",
    7: "15:50-16:35",
    8: "16:45-17:30",
    9: "19:00-19:45",
    10: "19:55-20:40",
    11: "20:50-21:35",
    12: "21:45-22:30",
}
WEEK_PATTERNS = ["1-16", "1-15单", "2-16双", "3-18", "1-8", "9-16", "3,5,7-9", "1-18"]


def write_timetables(directory: Path, seed: int) -> dict[str, str]:
    """Write one WakeUp CSV per room; each week of weeks 1-16 has about 60 sessions per room."""
    generator = random.Random(seed)
    files: dict[str, str] = {}
    for room in range(ROOMS):
        rows = ["课程名称,星期,开始节数,结束节数,老师,地点,周数"]
        for number in range(SESSIONS_PER_WEEK):
            weekday = generator.randint(1, 7)
            first = generator.randint(1, 12)
            last = min(12, first + generator.randint(0, 1))
            weeks = "1-16" if number % 3 else generator.choice(WEEK_PATTERNS)
            rows.append(f"课程{number},{weekday},{first},{last},教师{number},机房{room},{weeks}")
        path = directory / f"timetable-{room}.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        files[f"r{room}"] = str(path)
    return files


def settings_for(files: dict[str, str], base_dir: Path) -> PlannerSettings:
    return PlannerSettings(
        rooms={room: {"group": f"room_{room}", "name": {"zh": f"机房 {room}"}} for room in files},
        timetable_files=files,
        semester={"name": "benchmark", "first_day": "2026-09-07", "weeks": WEEKS, "exam_weeks": [19, 20]},
        period_tables={
            "summer": {"from": "2026-05-01", "to": "2026-09-30", "periods": PERIODS},
            "winter": {"from": "2026-10-01", "to": "2027-04-30", "periods": PERIODS},
        },
        calendar_overrides=[
            "cn-2027.yml",
            {"days": [{"date": "2026-10-10", "kind": "workday", "follows": "friday"}]},
        ],
        lead_minutes=30,
        handback_buffer_minutes=20,
        min_window_minutes=60,
        base_dir=str(base_dir),
    )


def run_once(settings: PlannerSettings, output_dir: Path) -> tuple[float, float, dict[str, int]]:
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    plan = build_plan(settings)
    outputs = render_outputs(plan, "zh", SystemdSettings(str(REPO)))
    write_outputs(output_dir, outputs)
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    counts = {
        "windows": sum(len(room.windows) for room in plan.rooms.values()),
        "schedules": len(json.loads(outputs["awx-schedules.json"])),
        "bytes": sum(len(text.encode("utf-8")) for text in outputs.values()),
    }
    return wall, cpu, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="number of measured runs (default 5)")
    parser.add_argument("--seed", type=int, default=20260907, help="seed of the synthetic timetable")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labshift-plan-bench-") as temporary:
        base = Path(temporary)
        files = write_timetables(base, arguments.seed)
        settings = settings_for(files, base)
        run_once(settings, base / "warmup")  # imports and first-use caches
        walls: list[float] = []
        cpus: list[float] = []
        counts: dict[str, int] = {}
        for index in range(arguments.repeat):
            wall, cpu, counts = run_once(settings, base / f"run{index}")
            walls.append(wall)
            cpus.append(cpu)
            print(f"run {index + 1}: wall {wall:.3f} s, CPU {cpu:.3f} s")
    print(
        f"{ROOMS} rooms x {SESSIONS_PER_WEEK} sessions/week x {WEEKS} weeks: "
        f"{counts['windows']} windows, {counts['schedules']} AWX schedules, {counts['bytes']} bytes of output"
    )
    print(f"median wall {statistics.median(walls):.3f} s, median CPU {statistics.median(cpus):.3f} s")
    processor = platform.processor() or "unknown CPU"
    print(f"python {platform.python_version()} on {platform.machine()}, {processor}")


if __name__ == "__main__":
    main()
