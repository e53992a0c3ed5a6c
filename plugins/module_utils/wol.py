"""Wake-on-LAN magic packets: MAC validation, packet layout and sending over UDP.

A magic packet is six 0xFF bytes followed by the target MAC address repeated sixteen times
(102 bytes), optionally followed by a 4- or 6-byte SecureOn password. The controller sends
the packets to the directed broadcast address of the lab subnet, so routers that forward
directed broadcasts to that subnet deliver them without a relay on the subnet.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    register,
)

MAGIC_PREFIX = b"\xff" * 6
MAC_REPEAT = 16
MAGIC_PACKET_LENGTH = len(MAGIC_PREFIX) + 6 * MAC_REPEAT
DEFAULT_PORT = 9
DEFAULT_REPEAT = 3
DEFAULT_INTERVAL_MS = 100

register(
    {
        "wol.mac_invalid": {
            "zh": "MAC 地址 {value!r}（主机 {host}）无效：请写成 aa:bb:cc:dd:ee:ff 形式的 6 个十六进制字节。",
            "en": "MAC address {value!r} (host {host}) is invalid: write six hex bytes such as"
            " aa:bb:cc:dd:ee:ff.",
        },
        "wol.mac_not_unicast": {
            "zh": "MAC 地址 {value!r}（主机 {host}）是组播或广播地址，不能作为网卡地址："
            "请填写工作站网卡的 MAC。",
            "en": "MAC address {value!r} (host {host}) is a multicast or broadcast address, "
            "not a NIC address: set the workstation NIC's MAC.",
        },
        "wol.mac_duplicate": {
            "zh": "MAC 地址 {value} 出现在多台主机上（{hosts}）：每台工作站的 workstation_mac 必须唯一。",
            "en": "MAC address {value} appears on several hosts ({hosts}): each workstation_mac must be"
            " unique.",
        },
        "wol.password_invalid": {
            "zh": "SecureOn 密码 {value!r} 无效：请写成 4 或 6 个十六进制字节，如 01:02:03:04:05:06。",
            "en": "SecureOn password {value!r} is invalid: write 4 or 6 hex bytes such as 01:02:03:04:05:06.",
        },
        "wol.broadcast_invalid": {
            "zh": "广播地址 {value!r} 无效：请填写实验室子网的定向广播地址（IPv4），如 10.20.3.255。",
            "en": "Broadcast address {value!r} is invalid: set the lab subnet's directed broadcast (IPv4), "
            "for example 10.20.3.255.",
        },
        "wol.network_invalid": {
            "zh": "labshift_lab_network 的值 {value!r} 无效：请写成 IPv4 网段，如 10.20.3.0/24。",
            "en": "labshift_lab_network value {value!r} is invalid: write an IPv4 network such as"
            " 10.20.3.0/24.",
        },
        "wol.port_invalid": {
            "zh": "Wake-on-LAN 端口 {value!r} 无效：请使用 1 到 65535 之间的 UDP 端口（通常为 9 或 7）。",
            "en": "Wake-on-LAN port {value!r} is invalid: use a UDP port from 1 to 65535 (usually 9 or 7).",
        },
        "wol.repeat_invalid": {
            "zh": "重复次数 {value!r} 无效：请使用 1 到 20 之间的整数。",
            "en": "Repeat count {value!r} is invalid: use an integer from 1 to 20.",
        },
        "wol.interval_invalid": {
            "zh": "发送间隔 {value!r} 毫秒无效：请使用 0 到 10000 之间的整数。",
            "en": "Send interval {value!r} ms is invalid: use an integer from 0 to 10000.",
        },
        "wol.no_targets": {
            "zh": "没有要唤醒的 MAC 地址：请检查 macs 参数或房间的主机列表。",
            "en": "No MAC addresses to wake: check the macs argument or the room's host list.",
        },
    }
)

# Separators accepted between bytes: colon, hyphen, none, or Cisco-style dotted groups of four.
_MAC_PATTERNS = (
    re.compile(
        r"^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$"
    ),
    re.compile(r"^([0-9a-f]{12})$"),
    re.compile(r"^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$"),
)


@dataclass(frozen=True)
class WakeTarget:
    """One NIC to wake: the inventory host name and its parsed MAC address."""

    host: str
    mac: bytes

    @property
    def mac_text(self) -> str:
        return format_mac(self.mac)


@dataclass
class WakeResult:
    """Outcome of sending to one MAC address: packets sent and the socket error, if any."""

    host: str
    mac: str
    packets_sent: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.packets_sent > 0 and not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "mac": self.mac,
            "packets_sent": self.packets_sent,
            "ok": self.ok,
            "errors": list(self.errors),
        }


def _hex_bytes(text: str) -> bytes | None:
    lowered = text.strip().lower()
    for pattern in _MAC_PATTERNS:
        match = pattern.match(lowered)
        if match:
            digits = "".join(group for group in match.groups() if group not in (":", "-"))
            return bytes.fromhex(digits)
    return None


def parse_mac(value: object, host: str = "-") -> bytes:
    """Parse a MAC address in colon, hyphen, bare or dotted form into 6 bytes.

    Raises LabShiftError for text that is not a MAC address or names a multicast or broadcast
    address, which no NIC owns.
    """
    if not isinstance(value, str):
        raise LabShiftError("wol.mac_invalid", value=value, host=host)
    mac = _hex_bytes(value)
    if mac is None:
        raise LabShiftError("wol.mac_invalid", value=value, host=host)
    # The least significant bit of the first byte marks group (multicast and broadcast) addresses.
    if mac[0] & 0x01:
        raise LabShiftError("wol.mac_not_unicast", value=value, host=host)
    return mac


def format_mac(mac: bytes) -> str:
    """Format 6 bytes as lower-case colon-separated text."""
    return ":".join(f"{byte:02x}" for byte in mac)


def parse_secureon_password(value: str | None) -> bytes:
    """Parse a SecureOn password of 4 or 6 hex bytes; None or empty text means no password."""
    if value is None or value == "":
        return b""
    digits = re.sub(r"[:\-.]", "", value.strip().lower())
    if not re.fullmatch(r"[0-9a-f]*", digits) or len(digits) not in (8, 12):
        raise LabShiftError("wol.password_invalid", value=value)
    return bytes.fromhex(digits)


def magic_packet(mac: bytes, password: bytes = b"") -> bytes:
    """Build the magic packet for ``mac``, with the SecureOn ``password`` appended if given."""
    if len(mac) != 6:
        raise ValueError(f"a MAC address has 6 bytes, got {len(mac)}")
    if len(password) not in (0, 4, 6):
        raise ValueError(f"a SecureOn password has 4 or 6 bytes, got {len(password)}")
    return MAGIC_PREFIX + mac * MAC_REPEAT + password


def directed_broadcast(network: str) -> str:
    """Return the directed broadcast address of an IPv4 network such as ``10.20.3.0/24``.

    Host bits set in ``network`` are ignored, so ``10.20.3.17/24`` also gives ``10.20.3.255``.
    """
    try:
        parsed = ipaddress.IPv4Network(network, strict=False)
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError) as error:
        raise LabShiftError("wol.network_invalid", value=network) from error
    return str(parsed.broadcast_address)


def validate_broadcast(value: str) -> str:
    """Check that ``value`` is an IPv4 address and return it in canonical form."""
    try:
        return str(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError) as error:
        raise LabShiftError("wol.broadcast_invalid", value=value) from error


def _int_in_range(value: object, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def validate_settings(port: object, repeat: object, interval_ms: object) -> tuple[int, int, int]:
    """Check the port, repeat count and interval; return them as integers."""
    checked_port = _int_in_range(port, 1, 65535)
    checked_repeat = _int_in_range(repeat, 1, 20)
    checked_interval = _int_in_range(interval_ms, 0, 10000)
    errors: list[LabShiftError] = []
    if checked_port is None:
        errors.append(LabShiftError("wol.port_invalid", value=port))
    if checked_repeat is None:
        errors.append(LabShiftError("wol.repeat_invalid", value=repeat))
    if checked_interval is None:
        errors.append(LabShiftError("wol.interval_invalid", value=interval_ms))
    if checked_port is None or checked_repeat is None or checked_interval is None:
        raise errors[0] if len(errors) == 1 else LabShiftErrors(errors)
    return checked_port, checked_repeat, checked_interval


def parse_targets(macs: Sequence[object]) -> list[WakeTarget]:
    """Parse a list of MACs, each a string or a mapping with ``mac`` and ``host``.

    Every invalid or duplicate entry is reported in one LabShiftErrors, so a room's whole list is
    checked before any packet leaves the controller.
    """
    targets: list[WakeTarget] = []
    errors: list[LabShiftError] = []
    hosts_by_mac: dict[bytes, list[str]] = {}
    for index, entry in enumerate(macs):
        if isinstance(entry, dict):
            host = str(entry.get("host", f"#{index}"))
            raw = entry.get("mac")
        else:
            host = f"#{index}"
            raw = entry
        try:
            mac = parse_mac(raw, host=host)
        except LabShiftError as error:
            errors.append(error)
            continue
        hosts_by_mac.setdefault(mac, []).append(host)
        targets.append(WakeTarget(host=host, mac=mac))
    for mac, hosts in hosts_by_mac.items():
        if len(hosts) > 1:
            errors.append(LabShiftError("wol.mac_duplicate", value=format_mac(mac), hosts=", ".join(hosts)))
    if errors:
        raise errors[0] if len(errors) == 1 else LabShiftErrors(errors)
    if not targets:
        raise LabShiftError("wol.no_targets")
    return targets


def send_magic_packets(
    targets: Sequence[WakeTarget],
    broadcast: str,
    port: int = DEFAULT_PORT,
    repeat: int = DEFAULT_REPEAT,
    interval_ms: int = DEFAULT_INTERVAL_MS,
    password: bytes = b"",
    sleep: Callable[[float], None] = time.sleep,
    sock: socket.socket | None = None,
) -> list[WakeResult]:
    """Send ``repeat`` rounds of magic packets, one packet per target per round.

    All packets go out from one UDP socket with SO_BROADCAST set; rounds are ``interval_ms``
    apart, so a packet lost in one burst has later copies. A send
    error is recorded for its target and the other targets go on.
    """
    results = [WakeResult(host=target.host, mac=target.mac_text) for target in targets]
    packets = [magic_packet(target.mac, password) for target in targets]
    owned = sock is None
    udp = sock if sock is not None else socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        for round_index in range(repeat):
            if round_index and interval_ms:
                sleep(interval_ms / 1000.0)
            for result, packet in zip(results, packets, strict=True):
                try:
                    udp.sendto(packet, (broadcast, port))
                except OSError as error:
                    result.errors.append(f"{type(error).__name__}: {error}")
                else:
                    result.packets_sent += 1
    finally:
        if owned:
            udp.close()
    return results
