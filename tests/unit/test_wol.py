"""Unit tests for the Wake-on-LAN core: MAC parsing, packet layout, broadcast and sending."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors
from ansible_collections.labshift.lab.plugins.module_utils.wol import (
    MAGIC_PACKET_LENGTH,
    WakeTarget,
    directed_broadcast,
    format_mac,
    magic_packet,
    parse_mac,
    parse_secureon_password,
    parse_targets,
    send_magic_packets,
    validate_broadcast,
    validate_settings,
)


@pytest.mark.parametrize(
    "text",
    ["52:54:00:AB:cd:01", "52-54-00-ab-cd-01", "525400abcd01", "5254.00ab.cd01", " 52:54:00:ab:cd:01 "],
)
def test_parse_mac_accepted_forms(text: str) -> None:
    assert parse_mac(text) == bytes.fromhex("525400abcd01")


@pytest.mark.parametrize(
    "text",
    ["52:54:00:ab:cd", "52:54:00:ab:cd:01:02", "52:54-00:ab:cd:01", "zz:54:00:ab:cd:01", "", "5254.00ab"],
)
def test_parse_mac_rejects_malformed(text: str) -> None:
    with pytest.raises(LabShiftError) as raised:
        parse_mac(text, host="ws-a-01")
    assert raised.value.key == "wol.mac_invalid"
    assert text in raised.value.message("en")
    assert "ws-a-01" in raised.value.message("zh")


@pytest.mark.parametrize("text", ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01"])
def test_parse_mac_rejects_group_address(text: str) -> None:
    with pytest.raises(LabShiftError) as raised:
        parse_mac(text)
    assert raised.value.key == "wol.mac_not_unicast"


def test_parse_mac_rejects_non_string() -> None:
    with pytest.raises(LabShiftError):
        parse_mac(525400)


def test_magic_packet_layout() -> None:
    mac = bytes.fromhex("525400abcd01")
    packet = magic_packet(mac)
    assert len(packet) == MAGIC_PACKET_LENGTH == 102
    assert packet[:6] == b"\xff" * 6
    for index in range(16):
        assert packet[6 + 6 * index : 12 + 6 * index] == mac


def test_magic_packet_with_secureon_password() -> None:
    mac = bytes.fromhex("525400abcd01")
    password = parse_secureon_password("01:02:03:04:05:06")
    packet = magic_packet(mac, password)
    assert len(packet) == 108
    assert packet[-6:] == bytes([1, 2, 3, 4, 5, 6])
    assert magic_packet(mac, parse_secureon_password("c0-a8-01-02"))[-4:] == bytes([0xC0, 0xA8, 1, 2])


@pytest.mark.parametrize("text", ["01:02:03", "01:02:03:04:05:06:07", "gg:02:03:04"])
def test_secureon_password_rejects_bad_length(text: str) -> None:
    with pytest.raises(LabShiftError) as raised:
        parse_secureon_password(text)
    assert raised.value.key == "wol.password_invalid"


def test_secureon_password_empty_means_none() -> None:
    assert parse_secureon_password(None) == b""
    assert parse_secureon_password("") == b""


@pytest.mark.parametrize(
    ("network", "expected"),
    [("10.20.3.0/24", "10.20.3.255"), ("10.20.3.17/24", "10.20.3.255"), ("172.16.0.0/22", "172.16.3.255")],
)
def test_directed_broadcast(network: str, expected: str) -> None:
    assert directed_broadcast(network) == expected


@pytest.mark.parametrize("network", ["10.20.3.0/33", "fd00::/64", "lab-net", ""])
def test_directed_broadcast_rejects_bad_network(network: str) -> None:
    with pytest.raises(LabShiftError) as raised:
        directed_broadcast(network)
    assert raised.value.key == "wol.network_invalid"


def test_validate_broadcast() -> None:
    assert validate_broadcast("127.0.0.1") == "127.0.0.1"
    with pytest.raises(LabShiftError):
        validate_broadcast("10.20.3.256")


def test_validate_settings_reports_every_bad_value() -> None:
    assert validate_settings(9, 3, 100) == (9, 3, 100)
    with pytest.raises(LabShiftErrors) as raised:
        validate_settings(0, 21, -1)
    keys = [error.key for error in raised.value.errors]
    assert keys == ["wol.port_invalid", "wol.repeat_invalid", "wol.interval_invalid"]


def test_parse_targets_collects_all_errors() -> None:
    with pytest.raises(LabShiftErrors) as raised:
        parse_targets(
            [
                {"host": "ws-a-01", "mac": "52:54:00:00:00:01"},
                {"host": "ws-a-02", "mac": "not-a-mac"},
                {"host": "ws-a-03", "mac": "52:54:00:00:00:01"},
            ]
        )
    keys = [error.key for error in raised.value.errors]
    assert keys == ["wol.mac_invalid", "wol.mac_duplicate"]
    assert "ws-a-01, ws-a-03" in raised.value.message("en")


def test_parse_targets_rejects_empty_list() -> None:
    with pytest.raises(LabShiftError) as raised:
        parse_targets([])
    assert raised.value.key == "wol.no_targets"


def test_parse_targets_names_bare_strings_by_index() -> None:
    targets = parse_targets(["52:54:00:00:00:01", "52:54:00:00:00:02"])
    assert [target.host for target in targets] == ["#0", "#1"]
    assert format_mac(targets[1].mac) == "52:54:00:00:00:02"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(2.0)
    yield receiver
    receiver.close()


def test_send_magic_packets_byte_for_byte(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    targets = [
        WakeTarget("ws-a-01", bytes.fromhex("525400000001")),
        WakeTarget("ws-a-02", bytes.fromhex("525400000002")),
    ]
    pauses: list[float] = []

    results = send_magic_packets(
        targets, "127.0.0.1", port=port, repeat=2, interval_ms=250, sleep=pauses.append
    )

    received = [listener.recvfrom(2048)[0] for _ in range(4)]
    expected_one = b"\xff" * 6 + bytes.fromhex("525400000001") * 16
    expected_two = b"\xff" * 6 + bytes.fromhex("525400000002") * 16
    assert received == [expected_one, expected_two, expected_one, expected_two]
    assert pauses == [0.25]
    assert [result.packets_sent for result in results] == [2, 2]
    assert all(result.ok for result in results)


class _FailingSocket(socket.socket):
    """A UDP socket whose sendto raises for one destination MAC, to test per-target errors."""

    def __init__(self, bad_mac: bytes) -> None:
        super().__init__(socket.AF_INET, socket.SOCK_DGRAM)
        self.bad_mac = bad_mac

    def sendto(self, data: object, *args: object) -> int:
        assert isinstance(data, bytes)
        if data[6:12] == self.bad_mac:
            raise PermissionError(13, "Permission denied")
        return len(data)


def test_send_error_recorded_per_target() -> None:
    bad = bytes.fromhex("525400000002")
    targets = [WakeTarget("ws-a-01", bytes.fromhex("525400000001")), WakeTarget("ws-a-02", bad)]
    with _FailingSocket(bad) as failing:
        results = send_magic_packets(targets, "127.0.0.1", port=9, repeat=3, interval_ms=0, sock=failing)
    assert results[0].ok
    assert results[0].packets_sent == 3
    assert not results[1].ok
    assert results[1].packets_sent == 0
    assert len(results[1].errors) == 3
    assert "PermissionError" in results[1].errors[0]
