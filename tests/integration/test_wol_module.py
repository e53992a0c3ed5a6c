"""The labshift.lab.wake_on_lan module through ansible-playbook, captured on a loopback listener.

The module sends to 127.0.0.1 on a test port, so no packet reaches a real network.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ansible_run import run_local_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

PLAYBOOK = """
- name: Wake a room from the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Send magic packets
      labshift.lab.wake_on_lan:
        macs: {macs}
        broadcast: 127.0.0.1
        port: {port}
        repeat: 2
        interval_ms: 10
        password: "{password}"
        language: en
      register: wake
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ wake | to_json }}}}"
        dest: "{result}"
        mode: "0600"
"""


def run_playbook(tmp_path: Path, text: str, *extra: str) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "wake.yml"
    playbook.write_text(text, encoding="utf-8")
    return run_local_playbook(playbook, *extra, env={"ANSIBLE_STDOUT_CALLBACK": "default"}, timeout=120)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    yield receiver
    receiver.close()


def drain(receiver: socket.socket) -> list[bytes]:
    packets: list[bytes] = []
    while True:
        try:
            packets.append(receiver.recvfrom(2048)[0])
        except TimeoutError:
            return packets


def test_module_sends_exact_packets(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    result_file = tmp_path / "result.json"
    macs = json.dumps(
        [{"host": "ws-a-01", "mac": "52:54:00:00:00:01"}, {"host": "ws-a-02", "mac": "5254.0000.0002"}]
    )
    text = PLAYBOOK.format(macs=macs, port=port, password="0a:0b:0c:0d:0e:0f", result=result_file)

    completed = run_playbook(tmp_path, text)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    password = bytes.fromhex("0a0b0c0d0e0f")
    first = b"\xff" * 6 + bytes.fromhex("525400000001") * 16 + password
    second = b"\xff" * 6 + bytes.fromhex("525400000002") * 16 + password
    assert drain(listener) == [first, second, first, second]
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result["changed"] is True
    assert [entry["mac"] for entry in result["results"]] == ["52:54:00:00:00:01", "52:54:00:00:00:02"]
    assert [entry["packets_sent"] for entry in result["results"]] == [2, 2]
    assert result["failed_hosts"] == []


def test_module_rejects_bad_mac_before_sending(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    macs = json.dumps(
        [{"host": "ws-a-01", "mac": "52:54:00:00:00:01"}, {"host": "ws-a-02", "mac": "52:54:00:00:00"}]
    )
    text = PLAYBOOK.format(macs=macs, port=port, password="", result=tmp_path / "result.json")

    completed = run_playbook(tmp_path, text)

    assert completed.returncode != 0
    assert "'52:54:00:00:00' (host ws-a-02) is invalid" in completed.stdout
    assert drain(listener) == []


def test_module_check_mode_sends_nothing(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    result_file = tmp_path / "result.json"
    macs = json.dumps(["52:54:00:00:00:01"])
    text = PLAYBOOK.format(macs=macs, port=port, password="", result=result_file)

    completed = run_playbook(tmp_path, text, "--check")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert drain(listener) == []
