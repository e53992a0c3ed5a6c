"""systemd timer and service units that run the switch jobs on labs without AWX.

Each room gets ``labshift-<room>-to-platform`` and ``labshift-<room>-to-teaching`` timer/service
pairs. A timer lists one ``OnCalendar=`` line per local clock time and month, with the days as a
list (``2026-09-07,14,21 17:40:00 Asia/Shanghai``), so its elapse times are exactly the planned
edges. The zone suffix needs systemd 235 or later.
``Persistent=false`` keeps a timer that missed its time (machine off) from firing late, when
a class may already be running.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

DIRECTIONS = {"to_platform": "platform", "to_teaching": "teaching"}


@dataclass(frozen=True)
class SystemdSettings:
    """The command, directory and user with which the service units run the switch playbook."""

    working_directory: str
    ansible_playbook: str = "ansible-playbook"
    inventory: str = ""
    user: str = ""


def on_calendar_lines(edges: Iterable[datetime], zone: ZoneInfo) -> list[str]:
    """Return OnCalendar expressions whose elapse times are exactly ``edges``."""
    grouped: dict[tuple[time, int, int], list[int]] = {}
    for edge in edges:
        local = edge.astimezone(zone)
        grouped.setdefault((local.time(), local.year, local.month), []).append(local.day)
    lines: list[str] = []
    for (clock, year, month), days in sorted(
        grouped.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])
    ):
        day_list = ",".join(f"{day:02d}" for day in sorted(set(days)))
        lines.append(f"{year:04d}-{month:02d}-{day_list} {clock.strftime('%H:%M:%S')} {zone.key}")
    return lines


def unit_files(
    edges: Mapping[str, Mapping[str, Sequence[datetime]]],
    zone: ZoneInfo,
    settings: SystemdSettings,
    descriptions: Mapping[str, str],
    room_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Render file name to content for every room's timer and service units.

    ``descriptions`` maps ``to_platform`` and ``to_teaching`` to a Description= text containing
    ``{room}``, which ``room_labels`` (room id to the room's name for staff) fills, or the room id.
    """
    files: dict[str, str] = {}
    for room in sorted(edges):
        for job, direction in DIRECTIONS.items():
            base = f"labshift-{room}-{job.replace('_', '-')}"
            description = descriptions[job].format(room=(room_labels or {}).get(room, room))
            command = [
                settings.ansible_playbook,
                *(["-i", settings.inventory] if settings.inventory else []),
                "playbooks/switch.yml",
                "-e",
                f"labshift_switch_direction={direction}",
                "-e",
                f"labshift_switch_rooms={room}",
            ]
            service = [
                "[Unit]",
                f"Description={description}",
                "Wants=network-online.target",
                "After=network-online.target",
                "",
                "[Service]",
                "Type=oneshot",
                f"WorkingDirectory={settings.working_directory}",
                *([f"User={settings.user}"] if settings.user else []),
                f"ExecStart={shlex.join(command)}",
                "",
            ]
            lines = on_calendar_lines(edges[room].get(job, ()), zone)
            if not lines:
                # systemd rejects a timer without a trigger, and a room without windows needs none.
                continue
            timer = [
                "[Unit]",
                f"Description={description}",
                "",
                "[Timer]",
                *[f"OnCalendar={line}" for line in lines],
                "AccuracySec=1s",
                "Persistent=false",
                f"Unit={base}.service",
                "",
                "[Install]",
                "WantedBy=timers.target",
                "",
            ]
            files[f"{base}.service"] = "\n".join(service)
            files[f"{base}.timer"] = "\n".join(timer)
    return files
