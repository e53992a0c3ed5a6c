"""IPMI power core: validation and idempotence with a fake command, then the module against a BMC double.

The BMC double is pyghmi's own IPMI 2.0 server (pyghmi.ipmi.bmc.Bmc) on loopback UDP ports, in a
separate process. It behaves like a BMC that supports only cipher suite 3 (SHA-1): pyghmi's server
implements no other suite, so the double rejects the client's SHA-256 request and the client falls
back, as it does with such BMCs.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors
from ansible_collections.labshift.lab.plugins.module_utils.power_ipmi import (
    BmcTarget,
    needs_request,
    parse_targets,
    set_power_many,
    validate_state,
)
from tests.ansible_run import run_local_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeCommand:
    """A PowerCommand that keeps the power state in memory and records requests."""

    def __init__(self, power: str, fail_on_set: bool = False) -> None:
        self.power = power
        self.requests: list[str] = []
        self.fail_on_set = fail_on_set

    def get_power(self) -> Mapping[str, Any]:
        return {"powerstate": self.power}

    def set_power(self, powerstate: str, wait: bool | int = False) -> Mapping[str, Any]:
        if self.fail_on_set:
            raise RuntimeError("BMC refused the command")
        self.requests.append(powerstate)
        self.power = "off" if powerstate in ("off", "shutdown") else "on"
        return {"powerstate": self.power}


@pytest.mark.parametrize(
    ("state", "before", "expected"),
    [
        ("on", "on", False),
        ("on", "off", True),
        ("off", "off", False),
        ("shutdown", "on", True),
        ("reset", "on", True),
        ("boot", "off", True),
    ],
)
def test_needs_request(state: str, before: str, expected: bool) -> None:
    assert needs_request(state, before) is expected


def test_validate_state_rejects_unknown() -> None:
    with pytest.raises(LabShiftError) as raised:
        validate_state("hibernate")
    assert "hibernate" in raised.value.message("en")


def test_parse_targets_reports_every_problem() -> None:
    with pytest.raises(LabShiftErrors) as raised:
        parse_targets(
            [
                {"host": "ws-a-01", "address": "10.20.4.11"},
                {"host": "ws-a-02"},
                {"host": "ws-a-03", "address": "10.20.4.13", "port": 70000},
                {"host": "ws-a-04", "address": "10.20.4.11"},
            ]
        )
    keys = [error.key for error in raised.value.errors]
    assert keys == ["ipmi.address_missing", "ipmi.port_invalid", "ipmi.address_duplicate"]
    assert "ws-a-02" in raised.value.errors[0].message("zh")


def test_parse_targets_defaults_port() -> None:
    targets = parse_targets([{"host": "ws-a-01", "address": " 10.20.4.11 ", "port": None}])
    assert targets == [BmcTarget("ws-a-01", "10.20.4.11", 623)]


def test_set_power_many_with_fake_commands() -> None:
    commands = {
        "ws-a-01": FakeCommand("off"),
        "ws-a-02": FakeCommand("on"),
        "ws-a-03": FakeCommand("off", fail_on_set=True),
    }
    targets = [BmcTarget(host, f"10.20.4.{index}") for index, host in enumerate(commands, start=11)]

    results = set_power_many(
        targets, "on", "admin", "pw", command_factory=lambda target, _user, _password: commands[target.host]
    )

    assert [result.host for result in results] == ["ws-a-01", "ws-a-02", "ws-a-03"]
    assert (results[0].before, results[0].after, results[0].changed) == ("off", "on", True)
    assert (results[1].before, results[1].after, results[1].changed) == ("on", "on", False)
    assert results[2].error is not None
    assert "BMC refused" in results[2].error
    assert commands["ws-a-02"].requests == []


def test_set_power_many_check_mode_sends_nothing() -> None:
    command = FakeCommand("off")
    results = set_power_many(
        [BmcTarget("ws-a-01", "10.20.4.11")],
        "on",
        "admin",
        "pw",
        check_mode=True,
        command_factory=lambda _target, _user, _password: command,
    )
    assert results[0].changed is True
    assert command.requests == []


def test_set_power_many_records_login_failure() -> None:
    def refuse(_target: BmcTarget, _user: str, _password: str) -> FakeCommand:
        raise ConnectionRefusedError("no BMC")

    results = set_power_many(
        [BmcTarget("ws-a-01", "10.20.4.11")], "on", "admin", "pw", command_factory=refuse
    )
    assert results[0].error == "ConnectionRefusedError: no BMC"


BMC_DOUBLE = r"""
import sys
import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.serversession as serversession

suite3_response = serversession.ServerSession.create_open_session_response


def open_session_response(self, request):
    # Byte 12 is the requested authentication algorithm; 1 is RAKP-HMAC-SHA1 (cipher suite 3).
    if request[12] != 1:
        return bytearray([request[0], 0x11, 0, 0]) + request[4:8]
    return suite3_response(self, request)


serversession.ServerSession.create_open_session_response = open_session_response


class PowerBmc(bmc.Bmc):
    def __init__(self, port):
        super().__init__({"admin": "secret"}, port=port, address="127.0.0.1")
        self.power = "off"

    def get_power_state(self):
        return self.power

    def power_on(self):
        self.power = "on"

    def power_off(self):
        self.power = "off"

    def power_shutdown(self):
        self.power = "off"


servers = [PowerBmc(int(port)) for port in sys.argv[1:]]
print("ready", flush=True)
bmc.Bmc.listen()
"""


def free_udp_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    for udp in sockets:
        udp.bind(("127.0.0.1", 0))
    ports = [udp.getsockname()[1] for udp in sockets]
    for udp in sockets:
        udp.close()
    return ports


@pytest.fixture
def bmc_ports() -> Iterator[list[int]]:
    ports = free_udp_ports(3)
    process = subprocess.Popen(
        [sys.executable, "-c", BMC_DOUBLE, *map(str, ports)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield ports
    process.kill()
    process.wait(timeout=10)


PLAYBOOK = """
- name: Power BMCs through the module
  hosts: localhost
  gather_facts: false
  vars:
    bmcs: {bmcs}
  tasks:
    - name: Power on
      labshift.lab.ipmi_power:
        hosts: "{{{{ bmcs }}}}"
        state: "on"
        username: admin
        password: secret
        language: en
      register: first
    - name: Power on again
      labshift.lab.ipmi_power:
        hosts: "{{{{ bmcs }}}}"
        state: "on"
        username: admin
        password: secret
      register: second
    - name: Power off with a wrong password
      labshift.lab.ipmi_power:
        hosts: "{{{{ bmcs[:1] }}}}"
        state: "off"
        username: admin
        password: wrong
      register: refused
    - name: Save the results
      ansible.builtin.copy:
        content: "{{{{ {{'first': first, 'second': second, 'refused': refused}} | to_json }}}}"
        dest: "{result}"
        mode: "0600"
"""


@pytest.mark.integration
def test_module_against_bmc_double(tmp_path: Path, bmc_ports: list[int]) -> None:
    bmcs = [
        {"host": f"ws-a-0{index}", "address": "127.0.0.1", "port": port}
        for index, port in enumerate(bmc_ports)
    ]
    result_file = tmp_path / "result.json"
    playbook = tmp_path / "power.yml"
    playbook.write_text(PLAYBOOK.format(bmcs=json.dumps(bmcs), result=result_file), encoding="utf-8")

    completed = run_local_playbook(playbook)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result["first"]["changed"] is True
    assert [entry["before"] for entry in result["first"]["results"]] == ["off", "off", "off"]
    assert [entry["after"] for entry in result["first"]["results"]] == ["on", "on", "on"]
    assert result["second"]["changed"] is False
    assert [entry["before"] for entry in result["second"]["results"]] == ["on", "on", "on"]
    assert result["refused"]["failed_hosts"] == ["ws-a-00"]
    assert "password" in result["refused"]["results"][0]["error"].lower()
