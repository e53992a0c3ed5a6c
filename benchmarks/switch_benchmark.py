"""Measure the orchestration time and controller CPU of playbooks/switch.yml at 10 and 50 workstations.

The Kubernetes API and the machines are the test double from tests/doubles/k8s_api.py, which
responds at once and boots a machine in ``--boot-seconds``; Wake-on-LAN packets go to it on a
loopback UDP port. The inventory has the sandbox's names, rooms, MAC addresses and switch settings
(inventories/sandbox/group_vars/all/switch.yml). With the sandbox's
labshift_switch_teaching_boot=none, switch.yml connects to no workstation, so no containers are
needed and the figures are controller work only.

Each size runs switch-to-platform (all machines off, one notebook pod per node afterwards) and then
switch-to-teaching, which posts the hub announcement and writes a notice file into each notebook
pod's user server through the double's contents API. Recorded per run: wall time of
ansible-playbook, wall time minus the simulated boot time (the orchestration time), and the CPU
time of ansible-playbook and its children. The double runs in this process, so its CPU is not
counted as controller CPU.

    .venv/bin/python benchmarks/switch_benchmark.py --sizes 10 50 --record
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.doubles.k8s_api import Machine, free_port, running_double  # noqa: E402

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
SANDBOX_VARS = REPO_ROOT / "inventories" / "sandbox" / "group_vars" / "all"
RESULTS = REPO_ROOT / "benchmarks" / "results" / "switch.md"
RUNS = REPO_ROOT / "benchmarks" / "runs"


def sandbox_workstations(count: int) -> list[dict[str, str]]:
    """Return the sandbox's workstation names, rooms and MACs for ``count`` workstations."""
    room_a_count = (count + 1) // 2
    workstations = []
    for index in range(count):
        room = "a" if index < room_a_count else "b"
        number = index + 1 if room == "a" else index - room_a_count + 1
        octet = 11 if room == "a" else 12
        workstations.append(
            {"name": f"ws-{room}{number:02d}", "room": room, "mac": f"02:1a:b5:00:{octet:02x}:{number:02x}"}
        )
    return workstations


def write_inventory(
    directory: Path,
    workstations: list[dict[str, str]],
    kubeconfig: Path,
    url: str,
    hub_token: str,
    wol_port: int,
) -> Path:
    inventory = directory / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    groups: dict[str, Any] = {"room_a": {"hosts": {}}, "room_b": {"hosts": {}}}
    for workstation in workstations:
        groups[f"room_{workstation['room']}"]["hosts"][workstation["name"]] = {
            "workstation_mac": workstation["mac"]
        }
    hosts = {"all": {"children": {"workstations": {"children": groups}}}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")

    switch = yaml.safe_load((SANDBOX_VARS / "switch.yml").read_text(encoding="utf-8"))
    main = yaml.safe_load((SANDBOX_VARS / "main.yml").read_text(encoding="utf-8"))
    switch.update(
        {
            "labshift_switch_kubeconfig": str(kubeconfig),
            "labshift_switch_wol_port": wol_port,
            "labshift_switch_sandbox_machines_url": f"{url}/labshift-double/machines",
            "labshift_switch_hub_url": url,
            "labshift_switch_hub_token": hub_token,
            "labshift_switch_report_dir": str(directory / "switch"),
        }
    )
    settings = {
        "labshift_language": main.get("labshift_language", "zh"),
        "labshift_timezone": main.get("labshift_timezone", "Asia/Shanghai"),
        "labshift_rooms": main["labshift_rooms"],
        "labshift_output_dir": str(directory / "output"),
        **switch,
    }
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8"
    )
    return inventory


def run_switch(inventory: Path, *extra: str) -> dict[str, float]:
    """Run switch.yml once; return wall time and the CPU time of the playbook's process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(REPO_ROOT / "playbooks" / "switch.yml"), *extra],
        cwd=REPO_ROOT,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"switch.yml failed ({result.returncode}):\n{result.stdout[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_seconds": wall, "controller_cpu_seconds": cpu}


def check_report(directory: Path, direction: str, count: int) -> None:
    report = json.loads((directory / "switch" / f"latest-{direction}.json").read_text(encoding="utf-8"))
    switched = report["summary"]["switched"]
    if switched != count:
        raise RuntimeError(f"{direction}: {switched} of {count} nodes switched; see {directory}")


def measure(count: int, boot_seconds: float, directory: Path) -> dict[str, Any]:
    workstations = sandbox_workstations(count)
    machines = [
        Machine(name=w["name"], mac=w["mac"], room=w["room"], boot_seconds=boot_seconds) for w in workstations
    ]
    wol_port = free_port(socket.SOCK_DGRAM)
    kubeconfig = directory / "kubeconfig"
    with running_double(kubeconfig, machines, wol_port=wol_port) as server:
        inventory = write_inventory(
            directory, workstations, kubeconfig, server.url, server.hub_token, wol_port
        )
        self_before = resource.getrusage(resource.RUSAGE_SELF)

        platform_run = run_switch(inventory, "-e", "labshift_switch_direction=platform")
        check_report(directory, "platform", count)

        with server.state.lock:
            for workstation in workstations:
                server.state.put_new(
                    "pods",
                    "default",
                    {
                        "metadata": {
                            "name": f"jupyter-{workstation['name']}",
                            "labels": {"app": "jupyterhub"},
                            "annotations": {"hub.jupyter.org/username": f"student-{workstation['name']}"},
                        },
                        "spec": {"nodeName": workstation["name"], "terminationGracePeriodSeconds": 30},
                    },
                )
        deadline = (datetime.now(UTC) + timedelta(minutes=30)).isoformat(timespec="seconds")
        teaching_run = run_switch(
            inventory,
            "-e",
            "labshift_switch_direction=teaching",
            "-e",
            f"labshift_switch_deadline={deadline}",
        )
        check_report(directory, "teaching", count)
        with server.state.lock:
            notices = len(server.state.user_files)
        if notices != count:
            raise RuntimeError(f"teaching: {notices} of {count} user servers got the notice; see {directory}")
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        requests = server.state.request_count

    platform_run["orchestration_seconds"] = platform_run["wall_seconds"] - boot_seconds
    # The teaching run waits for the simulated kubelet to stop (the double's leave time, 0.3 s).
    teaching_run["orchestration_seconds"] = teaching_run["wall_seconds"] - 0.3
    double_cpu = (self_after.ru_utime - self_before.ru_utime) + (self_after.ru_stime - self_before.ru_stime)
    return {
        "workstations": count,
        "boot_seconds": boot_seconds,
        "platform": platform_run,
        "teaching": teaching_run,
        "api_requests": requests,
        "double_cpu_seconds": double_cpu,
    }


def markdown_rows(measurements: list[dict[str, Any]], host: str, when: str) -> list[str]:
    rows = []
    for item in measurements:
        count = item["workstations"]
        for direction in ("platform", "teaching"):
            run = item[direction]
            rows.append(
                f"| {when} | {host} | {count} | {direction} | {run['wall_seconds']:.1f} | "
                f"{run['orchestration_seconds']:.1f} | {run['controller_cpu_seconds']:.1f} | "
                f"{run['controller_cpu_seconds'] / count:.3f} |"
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10, 50], help="numbers of workstations to run"
    )
    parser.add_argument("--boot-seconds", type=float, default=2.0, help="simulated boot time of each machine")
    parser.add_argument(
        "--record", action="store_true", help="append the rows to benchmarks/results/switch.md"
    )
    args = parser.parse_args()

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    measurements = []
    for count in args.sizes:
        directory = RUNS / f"switch-{stamp}-{count}"
        directory.mkdir(parents=True, exist_ok=True)
        item = measure(count, args.boot_seconds, directory)
        measurements.append(item)
        print(json.dumps(item, indent=2))
    (RUNS / f"switch-{stamp}.json").write_text(json.dumps(measurements, indent=2) + "\n", encoding="utf-8")

    by_size = {item["workstations"]: item for item in measurements}
    if 10 in by_size and 50 in by_size:
        for direction in ("platform", "teaching"):
            small = by_size[10][direction]["controller_cpu_seconds"]
            large = by_size[50][direction]["controller_cpu_seconds"]
            ratio = (large / 50) / (small / 10)
            marginal = (large - small) / 40
            print(
                f"{direction}: CPU per node at 50 / at 10 = {ratio:.2f}; marginal CPU per added node "
                f"{marginal:.3f} s vs {small / 10:.3f} s per node at 10"
            )
    if args.record:
        host = f"{platform.node()} ({os.cpu_count()} CPUs)"
        rows = markdown_rows(measurements, host, stamp)
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(rows) + "\n")
        print(f"recorded {len(rows)} rows in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
