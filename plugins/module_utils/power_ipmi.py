"""IPMI power control for many BMCs at once, over IPMI 2.0 LAN sessions with pyghmi.

Each BMC gets its own session in a thread pool, so one slow or unreachable BMC costs its own
timeout and does not hold back the rest of the room.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    register,
)

POWER_STATES = ("on", "off", "shutdown", "reset", "boot")
DEFAULT_IPMI_PORT = 623

register(
    {
        "ipmi.state_invalid": {
            "zh": "电源状态 {value!r} 无效：请使用 {choices} 之一。",
            "en": "Power state {value!r} is invalid: use one of {choices}.",
        },
        "ipmi.address_missing": {
            "zh": "主机 {host} 没有 BMC 地址："
            "请设置 workstation_bmc_address，或把 workstation_boot_method 改为 wol。",
            "en": "Host {host} has no BMC address: set workstation_bmc_address, or set"
            " workstation_boot_method to wol.",
        },
        "ipmi.port_invalid": {
            "zh": "主机 {host} 的 BMC 端口 {value!r} 无效：请使用 1 到 65535 之间的 UDP 端口（默认 623）。",
            "en": "BMC port {value!r} of host {host} is invalid: use a UDP port from 1 to 65535 (623 by"
            " default).",
        },
        "ipmi.request_failed": {
            "zh": "以下主机的 BMC 请求失败：{hosts}。请查看 results 中的 error，检查 BMC 地址、账号和网络。",
            "en": "The BMC request failed for: {hosts}. See error in results and check the BMC address,"
            " account and network.",
        },
        "ipmi.address_duplicate": {
            "zh": "BMC 地址 {value} 被多台主机使用（{hosts}）："
            "每台工作站的 workstation_bmc_address 必须唯一。",
            "en": "BMC address {value} is used by several hosts ({hosts}): each workstation_bmc_address"
            " must be unique.",
        },
        "ipmi.no_targets": {
            "zh": "没有要操作的 BMC：请检查 hosts 参数。",
            "en": "No BMCs to act on: check the hosts argument.",
        },
    }
)


class PowerCommand(Protocol):
    """The part of pyghmi.ipmi.command.Command that power control uses."""

    def get_power(self) -> Mapping[str, Any]: ...

    def set_power(self, powerstate: str, wait: bool | int = False) -> Mapping[str, Any]: ...


CommandFactory = Callable[["BmcTarget", str, str], PowerCommand]


@dataclass(frozen=True)
class BmcTarget:
    """One workstation's BMC: inventory host name, BMC address and UDP port."""

    host: str
    address: str
    port: int = DEFAULT_IPMI_PORT


@dataclass
class PowerResult:
    """Outcome for one BMC: power state before and after, and the error if the request failed."""

    host: str
    address: str
    before: str | None = None
    after: str | None = None
    changed: bool = False
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "bmc_address": self.address,
            "before": self.before,
            "after": self.after,
            "changed": self.changed,
            "ok": self.error is None,
            "error": self.error,
        }


def parse_targets(entries: Sequence[Mapping[str, Any]]) -> list[BmcTarget]:
    """Validate a list of ``{host, address, port}`` mappings; report every bad entry at once."""
    targets: list[BmcTarget] = []
    errors: list[LabShiftError] = []
    owners: dict[tuple[str, int], str] = {}
    for index, entry in enumerate(entries):
        host = str(entry.get("host") or f"#{index}")
        address = entry.get("address")
        port = entry.get("port", DEFAULT_IPMI_PORT)
        if port is None:
            port = DEFAULT_IPMI_PORT
        if not isinstance(address, str) or not address.strip():
            errors.append(LabShiftError("ipmi.address_missing", host=host))
            continue
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            errors.append(LabShiftError("ipmi.port_invalid", host=host, value=port))
            continue
        target = BmcTarget(host=host, address=address.strip(), port=port)
        owner = owners.get((target.address, target.port))
        if owner is not None:
            errors.append(
                LabShiftError(
                    "ipmi.address_duplicate", value=f"{target.address}:{port}", hosts=f"{owner}, {host}"
                )
            )
            continue
        owners[(target.address, target.port)] = host
        targets.append(target)
    if errors:
        raise errors[0] if len(errors) == 1 else LabShiftErrors(errors)
    if not targets:
        raise LabShiftError("ipmi.no_targets")
    return targets


def validate_state(state: str) -> str:
    if state not in POWER_STATES:
        raise LabShiftError("ipmi.state_invalid", value=state, choices=", ".join(POWER_STATES))
    return state


def needs_request(state: str, before: str) -> bool:
    """Tell whether ``state`` changes a machine whose power is ``before``.

    ``on``, ``off`` and ``shutdown`` are idempotent; ``reset`` always acts; ``boot`` powers on a
    machine that is off and resets one that is on, so it always acts too.
    """
    if state == "on":
        return before != "on"
    if state in ("off", "shutdown"):
        return before != "off"
    return True


def apply_power(command: PowerCommand, target: BmcTarget, state: str, check_mode: bool) -> PowerResult:
    """Read the power state of one BMC and request ``state`` if it differs."""
    result = PowerResult(host=target.host, address=target.address)
    result.before = str(command.get_power().get("powerstate"))
    if not needs_request(state, result.before):
        result.after = result.before
        return result
    result.changed = True
    if check_mode:
        return result
    command.set_power(state, wait=False)
    result.after = str(command.get_power().get("powerstate"))
    return result


def pyghmi_command(target: BmcTarget, username: str, password: str) -> PowerCommand:
    """Open an IPMI 2.0 LAN session to one BMC with pyghmi.

    NOTE: pyghmi 1.6.19 waits forever when one process opens a second session to a BMC whose first
    session fell back from SHA-256 to SHA-1 (cipher suite 3). Each module run is its own process
    and parse_targets rejects duplicate BMCs, so a run opens one session per BMC.
    """
    from pyghmi.ipmi import command as ipmi_command  # type: ignore[import-untyped]

    session: PowerCommand = ipmi_command.Command(
        bmc=target.address, userid=username, password=password, port=target.port
    )
    return session


def set_power_many(
    targets: Sequence[BmcTarget],
    state: str,
    username: str,
    password: str,
    workers: int = 16,
    check_mode: bool = False,
    command_factory: CommandFactory = pyghmi_command,
) -> list[PowerResult]:
    """Request ``state`` from every BMC concurrently and return one result per target, in order.

    An exception from one BMC (login failure, timeout, refused command) is recorded in that
    target's result; the others go on.
    """
    validate_state(state)

    def power_one(target: BmcTarget) -> PowerResult:
        try:
            command = command_factory(target, username, password)
        except Exception as error:  # pyghmi raises IpmiException and plain socket errors
            return PowerResult(
                host=target.host, address=target.address, error=f"{type(error).__name__}: {error}"
            )
        try:
            return apply_power(command, target, state, check_mode)
        except Exception as error:
            return PowerResult(
                host=target.host, address=target.address, error=f"{type(error).__name__}: {error}"
            )

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets)))) as pool:
        return list(pool.map(power_one, targets))
