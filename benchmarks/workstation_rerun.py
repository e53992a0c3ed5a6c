"""Measure a no-op re-run of playbooks/workstations.yml on sandbox workstations.

The weekly re-run that staff wait for changes nothing on workstations that are already in shape,
so its cost is Ansible's own: connections, module transfers and result handling. This script
starts the requested number of workstations as containers from the sandbox host image (each with
sshd on its own loopback address and port, as in the sandbox), converges them once, then times
the re-run twice per size: with the project's tuned settings (ansible.cfg plus the mitogen
strategy) and with Ansible's defaults.

For each run it records wall time and controller CPU. Controller CPU is the user plus system time
of ansible-playbook and every process it started (resource.getrusage(RUSAGE_CHILDREN)). The SSH
ControlPersist masters detach from the process tree, so their CPU time is read from /proc before
they are stopped. CPU per host-task divides the total by the number of task results in the PLAY
RECAP.

    .venv/bin/python benchmarks/workstation_rerun.py --sizes 10 50
    .venv/bin/python benchmarks/workstation_rerun.py --sizes 10 --keep-hosts --json runs-10.json
    .venv/bin/python benchmarks/workstation_rerun.py --render runs-10.json runs-50.json
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
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
# The benchmark starts its own hosts from the sandbox host image (built by playbooks/sandbox.yml),
# so a sandbox that other work creates, shrinks or destroys meanwhile does not change the figures.
SANDBOX_IMAGE = "labshift/sandbox-host:1"
CONTAINER_PREFIX = "labshift-wsbench-"
STATE_DIR = Path.home() / ".local" / "state" / "labshift" / "workstation-bench"
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
    inventory: Path, limit: str, settings: str, log_path: Path
) -> tuple[float, float, str, list[int], Path]:
    """Run one playbook and return wall time, child CPU time, output, SSH masters and their directory."""
    control_dir = Path(tempfile.mkdtemp(prefix="labshift-bench-cp-"))
    environment = settings_environment(settings, control_dir)
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(inventory),
        str(REPO_ROOT / "playbooks" / "workstations.yml"),
        "--limit",
        limit,
        # The sandbox's output directory follows the configuration file's location, which differs
        # between the two settings, so it is fixed here.
        "--extra-vars",
        f"labshift_output_dir={REPO_ROOT / 'output' / 'sandbox'}",
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


@dataclass
class BenchHost:
    """One benchmark workstation: a container from the sandbox host image, reached over SSH."""

    name: str
    room: str
    address: str
    port: int

    @property
    def container(self) -> str:
        return f"{CONTAINER_PREFIX}{self.name}"


def bench_hosts(count: int) -> list[BenchHost]:
    """Return ``count`` workstations named as playbooks/sandbox.yml names them.

    Addresses (127.0.21.x and 127.0.22.x) and ports (233xx, 235xx) differ from the sandbox's, so
    the benchmark hosts and a sandbox of the same size run side by side.
    """
    hosts = []
    room_a = (count + 1) // 2
    for index in range(count):
        room = "a" if index < room_a else "b"
        number = index + 1 if room == "a" else index - room_a + 1
        octet = 21 if room == "a" else 22
        port = (23300 if room == "a" else 23500) + number
        hosts.append(BenchHost(f"ws-{room}{number:02d}", room, f"127.0.{octet}.{100 + number}", port))
    return hosts


def sshd_config(host: BenchHost) -> str:
    """Render the sshd configuration the sandbox host image's labshift-sshd.service reads."""
    return (
        f"ListenAddress {host.address}:{host.port}\n"
        "HostKey /etc/labshift-sandbox/ssh_host_ed25519_key\n"
        "AuthorizedKeysFile /etc/labshift-sandbox/authorized_keys\n"
        "AllowUsers labshift\nPermitRootLogin no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM yes\nUseDNS no\nPrintMotd no\n"
        "MaxStartups 100:30:200\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
    )


def generate_key(path: Path, comment: str) -> None:
    if not path.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True
        )


def start_hosts(hosts: list[BenchHost], log_dir: Path) -> Path:
    """Start the benchmark containers that are not running and write their inventory.

    Returns the inventory path. Each container runs sshd on its own loopback address and port,
    like a sandbox host, and the inventory uses the sandbox group_vars with this state's keys.
    """
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    client_key = STATE_DIR / "id_ed25519"
    generate_key(client_key, "labshift-workstation-bench")
    running = set(
        subprocess.run(
            ["docker", "ps", "--format", "{{.Names}}"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    known_hosts = []
    for host in hosts:
        host_dir = STATE_DIR / "hosts" / host.name
        host_dir.mkdir(parents=True, exist_ok=True)
        generate_key(host_dir / "ssh_host_ed25519_key", host.name)
        shutil.copyfile(client_key.with_suffix(".pub"), host_dir / "authorized_keys")
        (host_dir / "sshd_config").write_text(sshd_config(host))
        public_key = (host_dir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        known_hosts.append(f"[{host.address}]:{host.port} {' '.join(public_key)}")
        if host.container in running:
            continue
        subprocess.run(["docker", "rm", "--force", host.container], capture_output=True, check=False)
        subprocess.run(
            [
                "docker",
                "run",
                "--detach",
                "--name",
                host.container,
                "--hostname",
                host.name,
                "--network",
                "host",
                "--cap-add",
                "SYS_ADMIN",
                "--security-opt",
                "seccomp=unconfined",
                "--cgroupns",
                "host",
                "--volume",
                "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                "--tmpfs",
                "/run",
                "--tmpfs",
                "/run/lock",
                "--volume",
                f"{host_dir}:/etc/labshift-sandbox:ro",
                "--env",
                "container=docker",
                "--stop-signal",
                "SIGRTMIN+3",
                "--label",
                "io.labshift.workstation-bench=true",
                SANDBOX_IMAGE,
                "/lib/systemd/systemd",
            ],
            check=True,
            capture_output=True,
        )
    (STATE_DIR / "known_hosts").write_text("\n".join(known_hosts) + "\n")
    for host in hosts:
        wait_for_ssh(host)
    return write_inventory(hosts, log_dir)


def wait_for_ssh(host: BenchHost, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host.address, host.port), timeout=2) as connection:
                if connection.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(
        f"sshd of {host.container} did not answer on {host.address}:{host.port} within {timeout:.0f} s"
    )


def write_inventory(hosts: list[BenchHost], log_dir: Path) -> Path:
    """Write the benchmark inventory next to a link to the sandbox group_vars."""
    inventory_dir = log_dir / "inventory"
    inventory_dir.mkdir(parents=True, exist_ok=True)
    group_vars = inventory_dir / "group_vars"
    if not group_vars.is_symlink():
        group_vars.symlink_to(REPO_ROOT / "inventories" / "sandbox" / "group_vars")
    ssh_args = (
        f"-o UserKnownHostsFile={STATE_DIR / 'known_hosts'} -o GlobalKnownHostsFile=/dev/null "
        "-o StrictHostKeyChecking=yes"
    )
    rooms: dict[str, dict[str, object]] = {}
    for host in hosts:
        room_hosts = rooms.setdefault(f"room_{host.room}", {"hosts": {}})["hosts"]
        assert isinstance(room_hosts, dict)
        # Host variables, because they take precedence over the sandbox group_vars/all.
        room_hosts[host.name] = {
            "ansible_host": host.address,
            "ansible_port": host.port,
            "ansible_user": "labshift",
            "ansible_become": True,
            "ansible_ssh_private_key_file": str(STATE_DIR / "id_ed25519"),
            "ansible_ssh_common_args": ssh_args,
            "workstation_gpu_model": "NVIDIA GeForce RTX 3070",
            "workstation_gpu_memory_mib": 8192,
        }
    controller = {
        "ansible_connection": "local",
        "ansible_become": False,
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }
    inventory = {
        "all": {
            "hosts": {"localhost": controller},
            "children": {"workstations": {"children": rooms}},
        }
    }
    path = inventory_dir / "hosts.yml"
    path.write_text(json.dumps(inventory, indent=2) + "\n")
    return path


def remove_hosts(hosts: list[BenchHost]) -> None:
    """Remove the benchmark containers this script started, by name."""
    for host in hosts:
        subprocess.run(["docker", "rm", "--force", host.container], capture_output=True, check=False)


def seed_apt_state(hosts: list[BenchHost]) -> None:
    """Copy the APT package lists and downloaded packages of the first workstation to the others.

    The first converge would otherwise download the same packages once per container. This only
    shortens the set-up; the timed runs install nothing.
    """
    source = hosts[0].container
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
    for host in hosts[1:]:
        subprocess.run(
            ["docker", "exec", "-i", host.container, "tar", "-C", "/", "-xf", "-"],
            input=archive,
            check=True,
        )


def converge(inventory: Path, hosts: list[BenchHost], log_dir: Path) -> None:
    """Bring the workstations in shape: first one host, then the rest from its APT state."""
    _, _, _, pids, _ = run_playbook(inventory, hosts[0].name, "tuned", log_dir / "converge-first.log")
    stop_processes(pids)
    seed_apt_state(hosts)
    names = ",".join(host.name for host in hosts)
    _, _, _, pids, _ = run_playbook(inventory, names, "tuned", log_dir / f"converge-{len(hosts)}.log")
    stop_processes(pids)


def measure(inventory: Path, hosts: list[BenchHost], settings: str, log_dir: Path) -> RunResult:
    """Time one no-op re-run on ``hosts`` and count its host-tasks from the PLAY RECAP."""
    names = [host.name for host in hosts]
    log_path = log_dir / f"rerun-{settings}-{len(hosts)}.log"
    wall, cpu, output, pids, control_dir = run_playbook(inventory, ",".join(names), settings, log_path)
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
    parser.add_argument(
        "--keep-hosts", action="store_true", help="leave the benchmark containers running afterwards"
    )
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / "benchmarks" / "runs" / "workstations")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--render",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="measure nothing; print the table for results written earlier with --json",
    )
    args = parser.parse_args(argv)

    if args.render:
        loaded = [RunResult(**item) for path in args.render for item in json.loads(path.read_text())]
        print(render_markdown(loaded))
        return 0

    args.log_dir.mkdir(parents=True, exist_ok=True)
    results: list[RunResult] = []
    hosts = bench_hosts(max(args.sizes))
    inventory = start_hosts(hosts, args.log_dir)
    for size in sorted(args.sizes):
        # The first size's hosts come first in the list, so a larger size only converges the rest too.
        subset = bench_hosts(size)
        if not args.skip_converge:
            converge(inventory, subset, args.log_dir)
        for settings in args.settings:
            result = measure(inventory, subset, settings, args.log_dir)
            print(
                json.dumps(asdict(result) | {"cpu_ms_per_host_task": round(result.cpu_ms_per_host_task, 1)})
            )
            results.append(result)
    if not args.keep_hosts:
        remove_hosts(hosts)
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(render_markdown(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(result) for result in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
