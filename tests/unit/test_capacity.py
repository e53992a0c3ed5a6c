"""Unit tests for the capacity report; every expected count is computed by hand in the comments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.labshift.lab.plugins.module_utils.capacity import (
    Node,
    capacity_report,
    capacity_text,
    check_presets_fit,
    inventory_nodes,
    nodes_from_facts,
    sessions_on_node,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors
from ansible_collections.labshift.lab.plugins.module_utils.presets import Catalog, load_catalog

INVENTORY = Path(__file__).resolve().parent.parent / "data" / "presets" / "inventory"
RTX = "NVIDIA GeForce RTX 3070"
GROUPS = [
    {
        "name": "students",
        "kind": "students",
        "display_name": {"zh": "学生", "en": "Students"},
        "max_sessions": 9,
    }
]
ROOMS = {
    "a": {"group": "room_a", "name": {"zh": "信息楼 301 机房", "en": "Lab 301"}},
    "b": {"group": "room_b", "name": {"zh": "信息楼 302 机房", "en": "Lab 302"}},
}


def preset(
    slug: str, cpu: Any = 1, memory: Any = "2Gi", gpu: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    entry = {
        "slug": slug,
        "name": {"zh": slug, "en": slug},
        "cpu": cpu,
        "memory": memory,
        "groups": ["students"],
    }
    if gpu is not None:
        entry["gpu"] = gpu
    entry.update(extra)
    return entry


def catalog(presets: list[dict[str, Any]], backend: str = "gpu-manager", share: int = 4096) -> Catalog:
    return load_catalog(presets, GROUPS, backend, share, list(ROOMS))


def lab_nodes(room_a: int = 30, room_b: int = 20, memory_mib: int = 8192) -> list[Node]:
    nodes = [
        Node(name=f"ws-a{i:02d}", room="a", gpu_memory_mib=memory_mib, gpu_model=RTX) for i in range(room_a)
    ]
    nodes += [
        Node(name=f"ws-b{i:02d}", room="b", gpu_memory_mib=memory_mib, gpu_model=RTX) for i in range(room_b)
    ]
    return nodes


TEACHING_A = preset("teaching-a", 1, "2Gi", {"memory": "4Gi", "cores": 50})
TEACHING_B = preset("teaching-b", 2, "8Gi", {"memory": "8Gi", "cores": 100})


@pytest.mark.parametrize("backend", ["gpu-manager", "hami"])
def test_fifty_cards_hold_hundred_teaching_a(backend: str) -> None:
    # 50 cards of 8192 MiB; a 4096 MiB / 50 % share fits twice per card: 50 x 2 = 100.
    report = capacity_report(catalog([TEACHING_A, TEACHING_B], backend), lab_nodes(), ROOMS)

    by_slug = {entry["slug"]: entry for entry in report["presets"]}
    assert by_slug["teaching-a"]["total"] == 100
    assert by_slug["teaching-a"]["per_room"] == {"a": 60, "b": 40}
    # 8192 MiB / 100 % takes a whole card: 50 x 1.
    assert by_slug["teaching-b"]["total"] == 50
    assert by_slug["teaching-b"]["per_room"] == {"a": 30, "b": 20}
    assert report["nodes"] == 50
    assert report["gpus"] == 50
    assert report["unfit"] == []
    assert [room["gpu_memory_mib"] for room in report["rooms"]] == [30 * 8192, 20 * 8192]


# (preset, backend, share MiB, node, expected sessions on that node)
NODE_CASES: list[tuple[str, dict[str, Any], str, int, Node, int | None]] = [
    # 8192 // 2048 = 4 by memory, 100 // 25 = 4 by cores.
    (
        "quarter cards",
        preset("p", gpu={"memory": "2Gi", "cores": 25}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192),
        4,
    ),
    # Memory allows 4 (2048 MiB), compute only 2 (50 %).
    (
        "cores limit",
        preset("p", gpu={"memory": "2Gi", "cores": 50}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192),
        2,
    ),
    # gpu-manager: 8192 MiB = 32 units, 3072 MiB = 12 units: 32 // 12 = 2.
    (
        "memory units",
        preset("p", gpu={"memory": "3Gi", "cores": 10}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192),
        2,
    ),
    # HAMi split count 8192 // 4096 = 2 caps a 1 GiB share at 2 per card, not 8.
    ("hami split", preset("p", gpu={"memory": "1Gi", "cores": 10}), "hami", 4096, Node("n", "a", 8192), 2),
    # With a 1024 MiB vGPU size the split is 8 and memory allows 8; cores 10 % allow 10.
    (
        "hami small vgpu",
        preset("p", gpu={"memory": "1Gi", "cores": 10}),
        "hami",
        1024,
        Node("n", "a", 8192),
        8,
    ),
    # Two cards of 12 GiB, 6000 MiB shares: HAMi 2 per card x 2 cards.
    (
        "hami two cards",
        preset("p", gpu={"memory": 6000, "cores": 50}),
        "hami",
        6144,
        Node("n", "a", 12288, gpu_count=2),
        4,
    ),
    # A two-card preset on a four-card node: 4 // 2 whole-card sessions.
    (
        "two-card preset",
        preset("p", gpu={"memory": "8Gi", "cores": 100, "count": 2}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192, gpu_count=4),
        2,
    ),
    # HAMi two vGPUs per pod, split 2 per card, 3 cards: 2 x 3 // 2 = 3.
    (
        "hami two vgpus",
        preset("p", gpu={"memory": "4Gi", "cores": 50, "count": 2}),
        "hami",
        4096,
        Node("n", "a", 8192, gpu_count=3),
        3,
    ),
    # Card too small for this share.
    (
        "card too small",
        preset("p", gpu={"memory": "8Gi", "cores": 100}),
        "gpu-manager",
        4096,
        Node("n", "a", 6144),
        0,
    ),
    # GPU allows 2, CPU 4000m // 1000m = 4, memory 6 GiB // 2 GiB = 3: the GPU sets the count.
    (
        "gpu before cpu",
        preset("p", gpu={"memory": "4Gi", "cores": 50}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192, cpu_m=4000, memory_bytes=6 * 1024**3),
        2,
    ),
    # CPU 3 cores / 2 cores = 1 session, below the GPU's 2.
    (
        "cpu limits",
        preset("p", cpu=2, gpu={"memory": "4Gi", "cores": 50}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192, cpu_m=3000),
        1,
    ),
    # CPU-only preset: 8 cores / 500m = 16, 16 GiB / 1 GiB request = 16.
    (
        "cpu only known",
        preset("p", cpu={"request": "500m", "limit": 1}, memory={"request": "1Gi", "limit": "2Gi"}),
        "gpu-manager",
        4096,
        Node("n", "a", 0, gpu_count=0, cpu_m=8000, memory_bytes=16 * 1024**3),
        16,
    ),
    # CPU-only preset on a node with unknown CPU and memory: nothing limits it.
    ("cpu only unknown", preset("p"), "gpu-manager", 4096, Node("n", "a", 8192), None),
    # Room and model selection.
    (
        "other room",
        preset("p", gpu={"memory": "4Gi", "cores": 50}, nodes={"room": "b"}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192),
        0,
    ),
    (
        "other model",
        preset("p", gpu={"memory": "4Gi", "cores": 50}, nodes={"gpu_model": "RTX 4090"}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192, gpu_model=RTX),
        0,
    ),
    (
        "same model",
        preset("p", gpu={"memory": "4Gi", "cores": 50}, nodes={"gpu_model": RTX}),
        "gpu-manager",
        4096,
        Node("n", "a", 8192, gpu_model=RTX),
        2,
    ),
]


@pytest.mark.parametrize(
    ("raw", "backend", "share", "node", "expected"),
    [case[1:] for case in NODE_CASES],
    ids=[case[0] for case in NODE_CASES],
)
def test_sessions_on_node(
    raw: dict[str, Any], backend: str, share: int, node: Node, expected: int | None
) -> None:
    built = catalog([raw], backend, share)
    assert sessions_on_node(built.presets[0], node, backend, share) == expected


def test_test_inventory_counts() -> None:
    data = yaml.safe_load((INVENTORY / "group_vars" / "all" / "presets.yml").read_text(encoding="utf-8"))
    hosts = yaml.safe_load((INVENTORY / "hosts.yml").read_text(encoding="utf-8"))
    rooms = yaml.safe_load((INVENTORY / "group_vars" / "all" / "main.yml").read_text(encoding="utf-8"))[
        "labshift_rooms"
    ]
    workstations = hosts["all"]["children"]["workstations"]
    groups = {name: list(group["hosts"]) for name, group in workstations["children"].items()}
    hostvars = {
        host: {**workstations["vars"], **variables}
        for group in workstations["children"].values()
        for host, variables in group["hosts"].items()
    }
    built = load_catalog(
        data["labshift_presets"], data["labshift_user_groups"], "gpu-manager", 4096, list(rooms)
    )

    report = capacity_report(built, inventory_nodes(groups, hostvars, rooms), rooms)

    totals = {entry["slug"]: (entry["per_room"], entry["total"]) for entry in report["presets"]}
    # teaching-a: GPU 2, CPU 8 // 1 = 8, memory 16 // 2 = 8 -> 2 per GPU node; ws-b02 has no GPU.
    assert totals["teaching-a"] == ({"a": 6, "b": 2}, 8)
    # teaching-b: room a only; GPU 1, CPU 8 // 2 = 4, memory 16 // 8 = 2 -> 1 per node.
    assert totals["teaching-b"] == ({"a": 3, "b": 0}, 3)
    # cpu-small: CPU 8000 // 500 = 16, memory 16 GiB // 1 GiB = 16 on all five nodes.
    assert totals["cpu-small"] == ({"a": 48, "b": 32}, 80)
    assert report["gpus"] == 4


def test_unfit_presets_with_reasons() -> None:
    presets = [
        TEACHING_A,
        preset("room-b", gpu={"memory": "4Gi", "cores": 50}, nodes={"room": "b"}),
        preset("rtx4090", gpu={"memory": "4Gi", "cores": 50}, nodes={"gpu_model": "RTX 4090"}),
        preset("big-cpu", cpu=64, gpu={"memory": "4Gi", "cores": 50}),
    ]
    nodes = [Node("ws-a01", "a", 8192, RTX, cpu_m=8000), Node("ws-a02", "a", 6144, "RTX 3060", cpu_m=8000)]

    report = capacity_report(catalog(presets), nodes, ROOMS)

    unfit = {item["slug"]: (item["reason"], item["params"]) for item in report["unfit"]}
    assert unfit == {
        "room-b": ("room", {"room": "b"}),
        "rtx4090": ("gpu_model", {"gpu_model": "RTX 4090"}),
        "big-cpu": ("cpu_memory", {}),
    }
    # 8192 // 4096 + 6144 // 4096 = 2 + 1.
    assert report["presets"][0]["total"] == 3
    assert report["presets"][0]["nodes"] == 2


def test_unfit_when_gpu_too_small_for_selection() -> None:
    # The 8 GiB share fits the lab's largest card, but not the RTX 3060 it is pinned to.
    presets = [preset("b-3060", gpu={"memory": "8Gi", "cores": 100}, nodes={"gpu_model": "RTX 3060"})]
    nodes = [Node("ws-a01", "a", 8192, RTX), Node("ws-a02", "a", 6144, "RTX 3060")]

    report = capacity_report(catalog(presets), nodes, ROOMS)

    assert report["unfit"][0]["reason"] == "gpu"
    assert report["unfit"][0]["params"] == {"count": 1, "mib": 8192}


def test_no_nodes_makes_every_preset_unfit() -> None:
    report = capacity_report(catalog([TEACHING_A]), [], ROOMS)
    assert report["unfit"][0]["reason"] == "no_nodes"
    assert report["presets"][0]["total"] == 0


def test_share_bigger_than_every_card_is_an_error() -> None:
    built = catalog(
        [
            preset("huge", gpu={"memory": "16Gi", "cores": 100}),
            preset("two", gpu={"memory": "4Gi", "cores": 100, "count": 2}),
        ]
    )

    with pytest.raises(LabShiftErrors) as raised:
        check_presets_fit(built, lab_nodes())

    assert [(error.key, error.params["preset"]) for error in raised.value.errors] == [
        ("preset.gpu_too_big", "huge"),
        ("preset.gpu_count_too_big", "two"),
    ]
    for language in ("en", "zh"):
        text = raised.value.message(language)
        assert "'huge'" in text
        assert "gpu.memory" in text
        assert "16384 MiB" in text
        assert "8192 MiB" in text
    with pytest.raises(LabShiftErrors):
        capacity_report(built, lab_nodes(), ROOMS)


def test_cpu_only_preset_without_node_facts_is_unbounded() -> None:
    report = capacity_report(catalog([preset("cpu")]), lab_nodes(2, 1), ROOMS)
    entry = report["presets"][0]
    assert entry["total"] is None
    assert entry["per_room"] == {"a": None, "b": None}
    assert entry["fits"] is True
    assert "workstation_cpu_cores" in capacity_text(report, "en")


def test_text_report_in_both_languages() -> None:
    report = capacity_report(
        catalog([TEACHING_A, preset("room-b", gpu={"memory": "4Gi", "cores": 50}, nodes={"room": "b"})]),
        lab_nodes(30, 0),
        ROOMS,
    )

    english = capacity_text(report, "en").splitlines()
    assert (
        english[0]
        == "Capacity report: GPU-sharing backend gpu-manager, vGPU size 4096 MiB; 30 workstations, 30 GPUs."
    )
    assert "Preset teaching-a (teaching-a): 60 sessions in total; Lab 301 60, Lab 302 0" in english
    assert "- room-b (room-b): room b has no workstations" in english
    chinese = capacity_text(report, "zh").splitlines()
    assert "预设 teaching-a（teaching-a）：共 60 个会话；信息楼 301 机房 60，信息楼 302 机房 0" in chinese
    assert "- room-b（room-b）：机房 b 中没有工作站" in chinese


def test_inventory_nodes_reads_host_variables() -> None:
    groups = {"room_a": ["ws-a01", "ws-a02"], "room_b": ["ws-b01"]}
    hostvars: dict[str, dict[str, Any]] = {
        "ws-a01": {"workstation_gpu_memory_mib": 8192, "workstation_gpu_model": RTX},
        "ws-a02": {"workstation_gpu_memory_mib": 0},
        "ws-b01": {
            "workstation_gpu_memory_mib": 12288,
            "workstation_gpu_count": 2,
            "workstation_cpu_cores": 16,
            "workstation_memory_mib": 65536,
        },
    }

    nodes = inventory_nodes(groups, hostvars, ROOMS)

    assert nodes == [
        Node("ws-a01", "a", 8192, RTX, 1),
        Node("ws-a02", "a", 0, "", 0),
        Node("ws-b01", "b", 12288, "", 2, cpu_m=16000, memory_bytes=65536 * 1024**2),
    ]


@pytest.mark.parametrize(
    ("groups", "hostvars", "key"),
    [
        ({"room_a": ["ws1"]}, {"ws1": {}}, "capacity.host_value_missing"),
        ({"room_a": ["ws1"]}, {"ws1": {"workstation_gpu_memory_mib": "8GB"}}, "capacity.host_value_invalid"),
        (
            {"room_a": ["ws1"]},
            {"ws1": {"workstation_gpu_memory_mib": 8192, "workstation_cpu_cores": -1}},
            "capacity.host_value_invalid",
        ),
        (
            {"room_a": ["ws1"], "room_b": ["ws1"]},
            {"ws1": {"workstation_gpu_memory_mib": 8192}},
            "capacity.host_two_rooms",
        ),
    ],
)
def test_inventory_nodes_rejects_bad_hosts(
    groups: dict[str, list[str]], hostvars: dict[str, dict[str, Any]], key: str
) -> None:
    with pytest.raises(LabShiftErrors) as raised:
        inventory_nodes(groups, hostvars, ROOMS)
    assert [error.key for error in raised.value.errors] == [key]
    assert "ws1" in raised.value.message("zh")
    assert "ws1" in raised.value.message("en")


def test_rooms_must_map_to_groups() -> None:
    with pytest.raises(LabShiftError) as raised:
        inventory_nodes({}, {}, {"a": "room_a"})
    assert raised.value.key == "capacity.rooms_invalid"


def test_nodes_from_facts_rejects_bad_entries() -> None:
    assert nodes_from_facts([{"name": "n", "room": "a", "gpu_memory_mib": 8192}]) == [Node("n", "a", 8192)]
    for facts in ([{"name": "n"}], [{"name": "n", "room": "a", "gpu_memory_mib": "8Gi"}], "nodes"):
        with pytest.raises(LabShiftError) as raised:
            nodes_from_facts(facts)
        assert raised.value.key == "capacity.node_invalid"
