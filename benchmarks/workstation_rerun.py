"""Measure a no-op re-run of playbooks/workstations.yml on sandbox workstations.

The weekly re-run that staff wait for changes nothing on workstations that are already in shape,
so its cost is Ansible's own: connections, module transfers and result handling. This script
creates (or reuses) the sandbox with the requested number of workstations through
playbooks/sandbox.yml, converges them once, then times the re-run twice per size: with the
project's tuned settings (ansible.cfg plus the mitogen strategy) and with Ansible's defaults.

For each run it records wall time and controller CPU. Controller CPU is the user plus system time
of ansible-playbook and every process it started (resource.getrusage(RUSAGE_CHILDREN)). The SSH
ControlPersist masters detach from the process tree, so their CPU time is read from /proc before
they are stopped. CPU per host-task divides the total by the number of task results in the PLAY
RECAP.

    .venv/bin/python benchmarks/workstation_rerun.py --sizes 10 50 --output benchmarks/results/workstations.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
SANDBOX_INVENTORY = REPO_ROOT / "output" / "sandbox" / "inventory" / "hosts.yml"
RECAP_LINE = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class RunResult:
    """One timed ansible-playbook run."""

    settings: str
    hosts: int
    wall_seconds: float
    controller_cpu_seconds: float
    host_tasks: int
    changed: int
    failed: int
    unreachable: int

    @property
    def cpu_ms_per_host_task(self) -> float:
        return 1000.0 * self.controller_cpu_seconds / max(self.host_tasks, 1)


def mitogen_strategy_dir() -> Path:
    """Return the directory of the mitogen strategy plugins in the project's virtualenv."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or spec.origin is None:
        raise SystemExit("the mitogen package is not installed: pip install -r requirements.txt")
    return Path(spec.origin).resolve().parent / "plugins" / "strategy"


def settings_environment(settings: str, control_dir: Path) -> dict[str, str]:
    """Build the environment of one ansible-playbook run.

    ``tuned`` is the project's ansible.cfg (forks 50, pipelining, ControlPersist, smart gathering
    with a JSON fact cache) plus the mitogen_linear strategy. ``defaults`` reads no configuration
    file, so every setting is Ansible's default: forks 5, no pipelining, implicit gathering, no fact
    cache and the linear strategy. Only the roles and collection paths are given, because the
    playbook cannot run without them.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    environment["PATH"] = f"{VENV_BIN}:{environment.get('PATH', '')}"
    environment["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(control_dir)
    environment["ANSIBLE_NOCOLOR"] = "1"
    if settings == "tuned":
        environment["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
        environment["ANSIBLE_STRATEGY_PLUGINS"] = str(mitogen_strategy_dir())
        environment["ANSIBLE_STRATEGY"] = "mitogen_linear"
    elif settings == "defaults":
        empty_config = control_dir / "empty.cfg"
        empty_config.write_text("[defaults]\n")
        environment["ANSIBLE_CONFIG"] = str(empty_config)
        environment["ANSIBLE_ROLES_PATH"] = str(REPO_ROOT / "roles")
        environment["ANSIBLE_COLLECTIONS_PATH"] = str(REPO_ROOT / "collections")
    else:
        raise ValueError(f"unknown settings {settings!r}: use tuned or defaults")
    return environment


def ssh_master_cpu_seconds(control_dir: Path) -> tuple[float, list[int]]:
    """Sum the CPU time of live SSH processes whose command line names ``control_dir``."""
    total_ticks = 0
    pids: list[int] = []
    marker = str(control_dir).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if marker not in cmdline or not cmdline.startswith(b"ssh"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields after the command name: utime and stime are the 12th and 13th.
        total_ticks += int(fields[11]) + int(fields[12])
        pids.append(int(entry.name))
    return total_ticks / CLOCK_TICKS, pids


def stop_processes(pids: list[int]) -> None:
    """Stop the SSH masters this script's runs started, by process id."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """Return the PLAY RECAP counters per host."""
    recap: dict[str, dict[str, int]] = {}
    for line in output.splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            counters = {key: int(value) for key, value in match.groupdict().items() if key != "host"}
            recap[match.group("host")] = counters
    return recap


def run_playbook(
    playbook: str, limit: str, settings: str, extra: list[str], log_path: Path
) -> tuple[float, float, str, list[int], Path]:
    """Run one playbook and return wall time, child CPU time, output, SSH masters and their directory."""
    control_dir = Path(tempfile.mkdtemp(prefix="labshift-bench-cp-"))
    environment = settings_environment(settings, control_dir)
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(SANDBOX_INVENTORY),
        str(REPO_ROOT / "playbooks" / playbook),
        "--limit",
        limit,
        *extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log_path.write_text(completed.stdout + "\n--- stderr ---\n" + completed.stderr)
    master_cpu, master_pids = ssh_master_cpu_seconds(control_dir)
    if completed.returncode != 0:
        stop_processes(master_pids)
        raise SystemExit(f"ansible-playbook failed ({completed.returncode}); see {log_path}")
    return wall, child_cpu + master_cpu, completed.stdout, master_pids, control_dir


def ensure_sandbox(count: int, log_dir: Path) -> None:
    """Create or grow the sandbox to ``count`` workstations with playbooks/sandbox.yml."""
    environment = settings_environment("tuned", Path(tempfile.mkdtemp(prefix="labshift-bench-cp-")))
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(REPO_ROOT / "inventories" / "sandbox"),
        str(REPO_ROOT / "playbooks" / "sandbox.yml"),
        "-e",
        f"sandbox_workstation_count={count}",
    ]
    log_path = log_dir / f"sandbox-{count}.log"
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    log_path.write_text(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        raise SystemExit(f"playbooks/sandbox.yml failed; see {log_path}")


def workstation_names(count: int) -> list[str]:
    """Return the names playbooks/sandbox.yml gives ``count`` workstations (room a gets the odd one)."""
    room_a = (count + 1) // 2
    names = [f"ws-a{number:02d}" for number in range(1, room_a + 1)]
    names += [f"ws-b{number:02d}" for number in range(1, count - room_a + 1)]
    return names


def seed_apt_state(names: list[str]) -> None:
    """Copy the APT package lists and downloaded packages of the first workstation to the others.

    The first converge would otherwise download the same packages once per container. This only
    shortens the set-up; the timed runs install nothing.
    """
    source = f"labshift-sandbox-{names[0]}"
    archive = subprocess.run(
        [
            "docker",
            "exec",
            source,
            "tar",
            "-C",
            "/",
            "-cf",
            "-",
            "var/lib/apt/lists",
            "var/cache/apt/archives",
            "etc/apt/sources.list",
            "etc/apt/sources.list.d",
        ],
        capture_output=True,
        check=True,
    ).stdout
    for name in names[1:]:
        subprocess.run(
            ["docker", "exec", "-i", f"labshift-sandbox-{name}", "tar", "-C", "/", "-xf", "-"],
            input=archive,
            check=True,
        )


def converge(names: list[str], log_dir: Path) -> None:
    """Bring the workstations in shape: first one host, then the rest from its APT state."""
    first_log = log_dir / "converge-first.log"
    _, _, _, pids, _ = run_playbook("workstations.yml", names[0], "tuned", [], first_log)
    stop_processes(pids)
    seed_apt_state(names)
    rest_log = log_dir / f"converge-{len(names)}.log"
    _, _, _, pids, _ = run_playbook("workstations.yml", ",".join(names), "tuned", [], rest_log)
    stop_processes(pids)


def measure(names: list[str], settings: str, log_dir: Path) -> RunResult:
    log_path = log_dir / f"rerun-{settings}-{len(names)}.log"
    wall, cpu, output, pids, control_dir = run_playbook(
        "workstations.yml", ",".join(names), settings, [], log_path
    )
    stop_processes(pids)
    shutil.rmtree(control_dir, ignore_errors=True)
    recap = parse_recap(output)
    missing = sorted(set(names) - set(recap))
    if missing:
        raise SystemExit(f"no PLAY RECAP line for {', '.join(missing)}; see {log_path}")
    counters = [recap[name] for name in names]
    host_tasks = sum(item["ok"] + item["changed"] + item["failed"] + item["skipped"] for item in counters)
    return RunResult(
        settings=settings,
        hosts=len(names),
        wall_seconds=round(wall, 1),
        controller_cpu_seconds=round(cpu, 1),
        host_tasks=host_tasks,
        changed=sum(item["changed"] for item in counters),
        failed=sum(item["failed"] for item in counters),
        unreachable=sum(item["unreachable"] for item in counters),
    )


def render_markdown(results: list[RunResult]) -> str:
    """Render the results table and the two target checks."""
    lines = [
        "| hosts | settings | wall (s) | controller CPU (s) | host-tasks "
        "| CPU per host-task (ms) | changed |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.hosts} | {result.settings} | {result.wall_seconds} | {result.controller_cpu_seconds} "
            f"| {result.host_tasks} | {result.cpu_ms_per_host_task:.1f} | {result.changed} |"
        )
    by_key = {(result.hosts, result.settings): result for result in results}
    sizes = sorted({result.hosts for result in results})
    lines.append("")
    largest, smallest = sizes[-1], sizes[0]
    tuned_large = by_key.get((largest, "tuned"))
    default_large = by_key.get((largest, "defaults"))
    tuned_small = by_key.get((smallest, "tuned"))
    if tuned_large and default_large:
        speedup = default_large.wall_seconds / tuned_large.wall_seconds
        lines.append(
            f"- Speed-up at {largest} hosts, defaults wall / tuned wall: {speedup:.2f}x "
            "(target: at least 2x)."
        )
    if tuned_large and tuned_small and largest != smallest:
        ratio = tuned_large.cpu_ms_per_host_task / tuned_small.cpu_ms_per_host_task
        lines.append(
            f"- Tuned CPU per host-task, {largest} hosts / {smallest} hosts: {ratio:.2f} "
            "(target: at most 1.2)."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10, 50], help="numbers of workstations to measure"
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["tuned", "defaults"],
        choices=["tuned", "defaults"],
        help="settings to measure at every size",
    )
    parser.add_argument("--skip-converge", action="store_true", help="the workstations are already converged")
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / "benchmarks" / "runs" / "workstations")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)

    args.log_dir.mkdir(parents=True, exist_ok=True)
    results: list[RunResult] = []
    for size in sorted(args.sizes):
        ensure_sandbox(size, args.log_dir)
        names = workstation_names(size)
        if not args.skip_converge:
            converge(names, args.log_dir)
        for settings in args.settings:
            result = measure(names, settings, args.log_dir)
            print(
                json.dumps(asdict(result) | {"cpu_ms_per_host_task": round(result.cpu_ms_per_host_task, 1)})
            )
            results.append(result)
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(render_markdown(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(result) for result in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
