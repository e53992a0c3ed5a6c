"""Table-driven unit tests of the preflight inventory checks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.labshift.lab.plugins.module_utils.inventory_check import (
    InventorySnapshot,
    check_inventory,
    normalize_mac,
    validate_inventory,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors

Snapshot = dict[str, Any]


def make_snapshot() -> Snapshot:
    """Return a valid lab: three control-plane VMs, two rooms of two workstations, local ops host."""
    workstations = {
        "ws-a01": ("10.20.1.101", "b4:2e:99:3a:10:01"),
        "ws-a02": ("10.20.1.102", "b4:2e:99:3a:10:02"),
        "ws-b01": ("10.20.2.101", "74:56:3c:1b:20:01"),
        "ws-b02": ("10.20.2.102", "74:56:3c:1b:20:02"),
    }
    hosts: dict[str, dict[str, Any]] = {
        "cp-01": {"ansible_host": "10.20.0.11"},
        "cp-02": {"ansible_host": "10.20.0.12"},
        "cp-03": {"ansible_host": "10.20.0.13"},
        "nas-01": {"ansible_host": "10.20.0.21"},
        "harbor-01": {"ansible_host": "10.20.0.31"},
        "localhost": {"ansible_connection": "local"},
    }
    for name, (address, mac) in workstations.items():
        hosts[name] = {
            "ansible_host": address,
            "workstation_mac": mac,
            "workstation_gpu_model": "NVIDIA GeForce RTX 3070",
            "workstation_gpu_memory_mib": 8192,
            "workstation_boot_method": "wol",
        }
    groups = {
        "all": list(hosts),
        "ungrouped": [],
        "control_plane": ["cp-01", "cp-02", "cp-03"],
        "storage": ["nas-01"],
        "registry": ["harbor-01"],
        "ops": ["localhost"],
        "workstations": list(workstations),
        "room_a": ["ws-a01", "ws-a02"],
        "room_b": ["ws-b01", "ws-b02"],
    }
    settings = {
        "labshift_language": "zh",
        "labshift_timezone": "Asia/Shanghai",
        "labshift_lab_network": "10.20.0.0/16",
        "labshift_output_dir": "/srv/labshift/output",
        "labshift_rooms": {
            "a": {"group": "room_a", "name": {"zh": "301 机房", "en": "Lab 301"}},
            "b": {"group": "room_b", "name": {"zh": "302 机房", "en": "Lab 302"}},
        },
    }
    return {"groups": groups, "hosts": hosts, "settings": settings, "unresolved": {}}


def run_checks(data: Snapshot) -> list[LabShiftError]:
    return check_inventory(InventorySnapshot(**data))


def set_host(host: str, variable: str, value: Any) -> Callable[[Snapshot], None]:
    def mutate(data: Snapshot) -> None:
        data["hosts"][host][variable] = value

    return mutate


def drop_host_var(host: str, variable: str) -> Callable[[Snapshot], None]:
    def mutate(data: Snapshot) -> None:
        del data["hosts"][host][variable]

    return mutate


def set_setting(variable: str, value: Any) -> Callable[[Snapshot], None]:
    def mutate(data: Snapshot) -> None:
        data["settings"][variable] = value

    return mutate


def set_group(group: str, members: list[str]) -> Callable[[Snapshot], None]:
    def mutate(data: Snapshot) -> None:
        data["groups"][group] = members

    return mutate


def combine(*mutations: Callable[[Snapshot], None]) -> Callable[[Snapshot], None]:
    def mutate(data: Snapshot) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


def test_valid_inventory_has_no_problem() -> None:
    assert run_checks(make_snapshot()) == []


def test_validate_inventory_passes_valid() -> None:
    validate_inventory(InventorySnapshot(**make_snapshot()))


# Each case: id, mutation, expected message key, expected host, variable and value of the problem.
PROBLEM_CASES: list[tuple[str, Callable[[Snapshot], None], str, Any, Any, Any]] = [
    (
        "mac missing",
        drop_host_var("ws-a01", "workstation_mac"),
        "inventory.mac_missing",
        "ws-a01",
        "workstation_mac",
        None,
    ),
    (
        "mac malformed",
        set_host("ws-a01", "workstation_mac", "b4:2e:99:3a:10"),
        "inventory.mac_invalid",
        "ws-a01",
        "workstation_mac",
        "b4:2e:99:3a:10",
    ),
    (
        "mac mixed separators",
        set_host("ws-a01", "workstation_mac", "b4:2e-99:3a:10:01"),
        "inventory.mac_invalid",
        "ws-a01",
        "workstation_mac",
        "b4:2e-99:3a:10:01",
    ),
    (
        "mac not hex",
        set_host("ws-a01", "workstation_mac", "g4:2e:99:3a:10:01"),
        "inventory.mac_invalid",
        "ws-a01",
        "workstation_mac",
        "g4:2e:99:3a:10:01",
    ),
    (
        "mac as number",
        set_host("ws-a01", "workstation_mac", 123456),
        "inventory.mac_unquoted",
        "ws-a01",
        "workstation_mac",
        123456,
    ),
    (
        "mac multicast",
        set_host("ws-a01", "workstation_mac", "01:00:5e:00:00:01"),
        "inventory.mac_not_unicast",
        "ws-a01",
        "workstation_mac",
        "01:00:5e:00:00:01",
    ),
    (
        "mac broadcast",
        set_host("ws-a01", "workstation_mac", "ff:ff:ff:ff:ff:ff"),
        "inventory.mac_not_unicast",
        "ws-a01",
        "workstation_mac",
        "ff:ff:ff:ff:ff:ff",
    ),
    (
        "mac zero",
        set_host("ws-a01", "workstation_mac", "00:00:00:00:00:00"),
        "inventory.mac_not_unicast",
        "ws-a01",
        "workstation_mac",
        "00:00:00:00:00:00",
    ),
    (
        "mac duplicate other case",
        set_host("ws-b02", "workstation_mac", "B4-2E-99-3A-10-01"),
        "inventory.mac_duplicate",
        "ws-b02",
        "workstation_mac",
        "B4-2E-99-3A-10-01",
    ),
    (
        "ip missing",
        drop_host_var("ws-a02", "ansible_host"),
        "inventory.ansible_host_missing",
        "ws-a02",
        "ansible_host",
        None,
    ),
    (
        "ip is a name",
        set_host("ws-a02", "ansible_host", "ws-a02.lab"),
        "inventory.ip_invalid",
        "ws-a02",
        "ansible_host",
        "ws-a02.lab",
    ),
    (
        "ip bad octet",
        set_host("ws-a02", "ansible_host", "10.20.1.300"),
        "inventory.ip_invalid",
        "ws-a02",
        "ansible_host",
        "10.20.1.300",
    ),
    (
        "ip outside network",
        set_host("ws-a02", "ansible_host", "192.168.1.20"),
        "inventory.ip_outside_network",
        "ws-a02",
        "ansible_host",
        "192.168.1.20",
    ),
    (
        "ip duplicate with vm",
        set_host("ws-b01", "ansible_host", "10.20.0.11"),
        "inventory.ip_duplicate",
        "ws-b01",
        "ansible_host",
        "10.20.0.11",
    ),
    (
        "gpu memory missing",
        drop_host_var("ws-b01", "workstation_gpu_memory_mib"),
        "inventory.gpu_memory_missing",
        "ws-b01",
        "workstation_gpu_memory_mib",
        None,
    ),
    (
        "gpu memory negative",
        set_host("ws-b01", "workstation_gpu_memory_mib", -1),
        "inventory.gpu_memory_invalid",
        "ws-b01",
        "workstation_gpu_memory_mib",
        -1,
    ),
    (
        "gpu memory with unit",
        set_host("ws-b01", "workstation_gpu_memory_mib", "8GB"),
        "inventory.gpu_memory_invalid",
        "ws-b01",
        "workstation_gpu_memory_mib",
        "8GB",
    ),
    (
        "gpu memory boolean",
        set_host("ws-b01", "workstation_gpu_memory_mib", True),
        "inventory.gpu_memory_invalid",
        "ws-b01",
        "workstation_gpu_memory_mib",
        True,
    ),
    (
        "gpu model missing",
        drop_host_var("ws-b01", "workstation_gpu_model"),
        "inventory.gpu_model_missing",
        "ws-b01",
        "workstation_gpu_model",
        None,
    ),
    (
        "boot method unknown",
        set_host("ws-b02", "workstation_boot_method", "pxe"),
        "inventory.boot_method_invalid",
        "ws-b02",
        "workstation_boot_method",
        "pxe",
    ),
    (
        "ipmi without bmc",
        set_host("ws-b02", "workstation_boot_method", "ipmi"),
        "inventory.bmc_missing",
        "ws-b02",
        "workstation_bmc_address",
        None,
    ),
    (
        "ipmi with bad bmc",
        combine(
            set_host("ws-b02", "workstation_boot_method", "ipmi"),
            set_host("ws-b02", "workstation_bmc_address", "bmc_01!"),
        ),
        "inventory.bmc_invalid",
        "ws-b02",
        "workstation_bmc_address",
        "bmc_01!",
    ),
    (
        "control plane even",
        set_group("control_plane", ["cp-01", "cp-02"]),
        "inventory.control_plane_even",
        "control_plane",
        "groups",
        2,
    ),
    (
        "ungrouped host",
        set_group("ungrouped", ["BEGIN:VCALENDAR"]),
        "inventory.host_ungrouped",
        "BEGIN:VCALENDAR",
        "groups",
        "ungrouped",
    ),
    (
        "language unknown",
        set_setting("labshift_language", "fr"),
        "inventory.language_invalid",
        "all",
        "labshift_language",
        "fr",
    ),
    (
        "timezone unknown",
        set_setting("labshift_timezone", "Asia/Beijing"),
        "inventory.timezone_invalid",
        "all",
        "labshift_timezone",
        "Asia/Beijing",
    ),
    (
        "network host bits",
        set_setting("labshift_lab_network", "10.20.1.1/16"),
        "inventory.network_invalid",
        "all",
        "labshift_lab_network",
        "10.20.1.1/16",
    ),
    (
        "network without prefix",
        set_setting("labshift_lab_network", "10.20.0.0"),
        "inventory.network_invalid",
        "all",
        "labshift_lab_network",
        "10.20.0.0",
    ),
    (
        "rooms not a mapping",
        set_setting("labshift_rooms", ["room_a", "room_b"]),
        "inventory.rooms_invalid",
        "all",
        "labshift_rooms",
        ["room_a", "room_b"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "key", "host", "variable", "value"),
    [case[1:] for case in PROBLEM_CASES],
    ids=[case[0] for case in PROBLEM_CASES],
)
def test_single_problem_reported(
    mutation: Callable[[Snapshot], None], key: str, host: Any, variable: Any, value: Any
) -> None:
    data = make_snapshot()
    mutation(data)

    problems = run_checks(data)

    assert [problem.key for problem in problems] == [key]
    problem = problems[0]
    assert problem.params.get("host") == host
    assert problem.params.get("variable") == variable
    assert problem.params.get("value") == value


# Each case: id, mutation, expected message keys in order.
GROUP_CASES: list[tuple[str, Callable[[Snapshot], None], list[str]]] = [
    ("storage group missing", lambda data: data["groups"].pop("storage"), ["inventory.group_missing"]),
    ("ops group empty", set_group("ops", []), ["inventory.group_missing"]),
    ("workstation in no room", set_group("room_a", ["ws-a01"]), ["inventory.workstation_no_room"]),
    (
        "workstation in two rooms",
        set_group("room_b", ["ws-b01", "ws-b02", "ws-a01"]),
        ["inventory.workstation_many_rooms"],
    ),
    (
        "workstation also a vm",
        set_group("storage", ["nas-01", "ws-a01"]),
        ["inventory.workstation_is_server"],
    ),
    (
        "room group missing",
        lambda data: data["groups"].pop("room_b"),
        ["inventory.room_group_missing", "inventory.workstation_no_room", "inventory.workstation_no_room"],
    ),
    (
        "room group outside workstations",
        set_group("room_a", ["ws-a01", "ws-a02", "nas-01"]),
        ["inventory.room_group_outside"],
    ),
    ("room group not listed", set_group("room_c", ["ws-a01"]), ["inventory.room_group_unlisted"]),
    (
        "room entry without group",
        lambda data: data["settings"]["labshift_rooms"]["b"].pop("group"),
        [
            "inventory.room_group_invalid",
            "inventory.room_group_unlisted",
            "inventory.workstation_no_room",
            "inventory.workstation_no_room",
        ],
    ),
    (
        "room name without english",
        lambda data: data["settings"]["labshift_rooms"]["a"]["name"].pop("en"),
        ["inventory.room_name_invalid"],
    ),
    (
        "output dir missing",
        lambda data: data["settings"].pop("labshift_output_dir"),
        ["inventory.setting_missing"],
    ),
    ("timezone empty", set_setting("labshift_timezone", ""), ["inventory.setting_missing"]),
    (
        "unresolved vault secret",
        lambda data: data["unresolved"].update({"labshift_vsphere_password": "'vault_x' is undefined"}),
        ["inventory.setting_undefined"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "keys"), [case[1:] for case in GROUP_CASES], ids=[case[0] for case in GROUP_CASES]
)
def test_group_and_setting_problems(mutation: Callable[[Snapshot], None], keys: list[str]) -> None:
    data = make_snapshot()
    mutation(data)

    assert [problem.key for problem in run_checks(data)] == keys


def test_language_default_when_unset() -> None:
    data = make_snapshot()
    del data["settings"]["labshift_language"]
    assert run_checks(data) == []


def test_boot_method_defaults_to_wol() -> None:
    data = make_snapshot()
    del data["hosts"]["ws-a01"]["workstation_boot_method"]
    assert run_checks(data) == []


def test_ipmi_with_bmc_name_passes() -> None:
    data = make_snapshot()
    data["hosts"]["ws-b02"]["workstation_boot_method"] = "ipmi"
    data["hosts"]["ws-b02"]["workstation_bmc_address"] = "bmc-b02.lab.example.edu.cn"
    assert run_checks(data) == []


def test_gpu_memory_zero_needs_no_model() -> None:
    data = make_snapshot()
    data["hosts"]["ws-a01"]["workstation_gpu_memory_mib"] = 0
    del data["hosts"]["ws-a01"]["workstation_gpu_model"]
    assert run_checks(data) == []


def test_gpu_memory_digit_string_passes() -> None:
    data = make_snapshot()
    data["hosts"]["ws-a01"]["workstation_gpu_memory_mib"] = "8192"
    assert run_checks(data) == []


def test_network_list_accepts_each_subnet() -> None:
    data = make_snapshot()
    data["settings"]["labshift_lab_network"] = ["10.20.1.0/24", "10.20.2.0/24"]
    assert run_checks(data) == []


def test_network_list_rejects_outside() -> None:
    data = make_snapshot()
    data["settings"]["labshift_lab_network"] = ["10.20.1.0/24"]
    problems = run_checks(data)
    assert [problem.params["host"] for problem in problems] == ["ws-b01", "ws-b02"]
    assert {problem.key for problem in problems} == {"inventory.ip_outside_network"}


def test_local_hosts_skip_address_uniqueness() -> None:
    data = make_snapshot()
    data["hosts"]["localhost"]["ansible_host"] = "10.20.0.11"
    assert run_checks(data) == []


def test_all_problems_reported_together() -> None:
    data = make_snapshot()
    data["hosts"]["ws-a01"]["workstation_mac"] = "nonsense"
    data["hosts"]["ws-a02"]["ansible_host"] = "172.16.0.9"
    data["hosts"]["ws-b01"]["workstation_gpu_memory_mib"] = None
    data["groups"]["control_plane"] = ["cp-01", "cp-02"]

    with pytest.raises(LabShiftErrors) as raised:
        validate_inventory(InventorySnapshot(**data))

    keys = sorted(error.key for error in raised.value.errors)
    assert keys == sorted(
        [
            "inventory.mac_invalid",
            "inventory.ip_outside_network",
            "inventory.gpu_memory_missing",
            "inventory.control_plane_even",
        ]
    )


def test_duplicate_mac_names_first_owner() -> None:
    data = make_snapshot()
    data["hosts"]["ws-b02"]["workstation_mac"] = data["hosts"]["ws-a02"]["workstation_mac"]
    problems = run_checks(data)
    assert problems[0].params["other"] == "ws-a02"
    assert "ws-a02" in problems[0].message("en")
    assert "ws-a02" in problems[0].message("zh")


def test_room_name_lists_missing_language() -> None:
    data = make_snapshot()
    data["settings"]["labshift_rooms"]["a"]["name"].pop("en")
    problems = run_checks(data)
    assert [problem.key for problem in problems] == ["inventory.room_name_invalid"]
    assert "lacks en" in problems[0].message("en")
    assert "缺少 en" in problems[0].message("zh")


def test_unquoted_mac_says_quote_it() -> None:
    data = make_snapshot()
    # YAML 1.1 reads an unquoted 10:20:30:40:50:59 as a base-60 integer.
    data["hosts"]["ws-a01"]["workstation_mac"] = 8041827059
    problems = run_checks(data)
    assert [problem.key for problem in problems] == ["inventory.mac_unquoted"]
    assert "8041827059" in problems[0].message("en")
    assert "quote it" in problems[0].message("en")
    assert "引号" in problems[0].message("zh")


@pytest.mark.parametrize(
    ("key", "host", "variable", "value"),
    [case[2:] for case in PROBLEM_CASES],
    ids=[case[0] for case in PROBLEM_CASES],
)
def test_messages_name_host_and_value(key: str, host: Any, variable: Any, value: Any) -> None:
    """Every per-host message names the host, the variable and the offending value in both languages."""
    case = next(case for case in PROBLEM_CASES if case[2] == key and case[3] == host and case[5] == value)
    data = make_snapshot()
    case[1](data)
    problem = run_checks(data)[0]

    for language in ("zh", "en"):
        text = problem.message(language)
        if host != "all":
            assert str(host) in text
        if variable == "groups":
            continue
        assert str(variable) in text
        if value is not None:
            assert repr(value) in text or str(value) in text


def test_messages_differ_by_language() -> None:
    data = make_snapshot()
    data["hosts"]["ws-a01"]["workstation_mac"] = "nonsense"
    problem = run_checks(data)[0]
    assert "不是 MAC 地址" in problem.message("zh")
    assert "is not a MAC address" in problem.message("en")
    assert problem.message(None) == problem.message("zh")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AA:BB:CC:DD:EE:FF", "aa:bb:cc:dd:ee:ff"),
        ("aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:ff"),
        (" 02:00:00:00:00:01 ", "02:00:00:00:00:01"),
    ],
)
def test_normalize_mac_forms(raw: str, expected: str) -> None:
    assert normalize_mac(raw) == expected


def test_snapshot_not_modified() -> None:
    data = make_snapshot()
    before = copy.deepcopy(data)
    run_checks(data)
    assert data == before
