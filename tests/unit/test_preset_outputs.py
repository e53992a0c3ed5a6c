"""Unit tests for the generated vGPU resources, KubeSpawner profiles and namespace quotas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.labshift.lab.plugins.module_utils.capacity import Node, sessions_on_node
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError
from ansible_collections.labshift.lab.plugins.module_utils.preset_backends import preset_resources
from ansible_collections.labshift.lab.plugins.module_utils.preset_profiles import (
    label_value,
    node_labels,
    node_selector,
    profile_list,
    profiles_by_group,
)
from ansible_collections.labshift.lab.plugins.module_utils.preset_quotas import namespace_quotas
from ansible_collections.labshift.lab.plugins.module_utils.presets import Catalog, load_catalog

DATA = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "presets"
    / "inventory"
    / "group_vars"
    / "all"
    / "presets.yml"
)


def lab_catalog(backend: str = "gpu-manager") -> Catalog:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return load_catalog(data["labshift_presets"], data["labshift_user_groups"], backend, 4096, ["a", "b"])


def single(gpu: dict[str, Any], backend: str) -> Catalog:
    groups = [{"name": "g", "kind": "students", "display_name": {"zh": "组", "en": "G"}, "max_sessions": 3}]
    presets = [
        {"slug": "p", "name": {"zh": "甲", "en": "P"}, "cpu": 1, "memory": "1Gi", "gpu": gpu, "groups": ["g"]}
    ]
    return load_catalog(presets, groups, backend, 4096)


# (GPU share, backend, expected extended resources)
RESOURCE_CASES: list[tuple[dict[str, Any], str, dict[str, str]]] = [
    (
        {"memory": "4Gi", "cores": 50},
        "gpu-manager",
        {"tencent.com/vcuda-core": "50", "tencent.com/vcuda-memory": "16"},
    ),
    (
        {"memory": "8Gi", "cores": 100},
        "gpu-manager",
        {"tencent.com/vcuda-core": "100", "tencent.com/vcuda-memory": "32"},
    ),
    (
        {"memory": 256, "cores": 5},
        "gpu-manager",
        {"tencent.com/vcuda-core": "5", "tencent.com/vcuda-memory": "1"},
    ),
    # Two whole cards: 200 cores, memory summed over both cards (2 x 8192 / 256).
    (
        {"memory": "8Gi", "cores": 100, "count": 2},
        "gpu-manager",
        {"tencent.com/vcuda-core": "200", "tencent.com/vcuda-memory": "64"},
    ),
    (
        {"memory": "4Gi", "cores": 50},
        "hami",
        {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "4096", "nvidia.com/gpucores": "50"},
    ),
    (
        {"memory": 3000, "cores": 30, "count": 2},
        "hami",
        {"nvidia.com/gpu": "2", "nvidia.com/gpumem": "3000", "nvidia.com/gpucores": "30"},
    ),
]


@pytest.mark.parametrize(("gpu", "backend", "expected"), RESOURCE_CASES)
def test_gpu_resources_per_backend(gpu: dict[str, Any], backend: str, expected: dict[str, str]) -> None:
    resources = preset_resources(single(gpu, backend).presets[0], backend)
    assert resources.requests == {"cpu": "1", "memory": "1Gi", **expected}
    assert resources.limits == resources.requests


def test_cpu_only_preset_has_no_gpu_resources() -> None:
    catalog = lab_catalog()
    resources = preset_resources(catalog.presets[2], catalog.backend)
    assert resources.requests == {"cpu": "500m", "memory": "1Gi"}
    assert resources.limits == {"cpu": "1", "memory": "2Gi"}


def test_profile_overrides_gpu_manager() -> None:
    profiles = profile_list(lab_catalog(), "en")

    teaching_a, teaching_b, cpu_small = profiles
    assert teaching_a["slug"] == "teaching-a"
    assert teaching_a["display_name"] == "Teaching A"
    assert (
        teaching_a["description"] == "Class exercises (1 CPU · 2 GiB RAM · 4 GiB vGPU memory (50% compute))"
    )
    assert teaching_a["default"] is True
    assert teaching_a["kubespawner_override"] == {
        "cpu_guarantee": 1.0,
        "cpu_limit": 1.0,
        "mem_guarantee": "2G",
        "mem_limit": "2G",
        "extra_resource_guarantees": {"tencent.com/vcuda-core": "50", "tencent.com/vcuda-memory": "16"},
        "extra_resource_limits": {"tencent.com/vcuda-core": "50", "tencent.com/vcuda-memory": "16"},
        "tolerations": [
            {"key": "labshift.io/lab-node", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ],
    }
    choices = teaching_a["profile_options"]["image"]["choices"]
    assert {key: choice["kubespawner_override"]["image"] for key, choice in choices.items()} == {
        "notebook-1": "harbor.test/teaching/notebook:1",
        "pytorch-1": "harbor.test/teaching/pytorch:1",
    }
    assert choices["notebook-1"]["display_name"] == "Base"
    assert teaching_b["kubespawner_override"]["image"] == "harbor.test/teaching/pytorch:1"
    assert teaching_b["kubespawner_override"]["node_selector"] == {
        "labshift.io/room": "a",
        "labshift.io/gpu-model": "NVIDIA-GeForce-RTX-3070",
    }
    assert "default" not in teaching_b
    assert cpu_small["kubespawner_override"]["cpu_guarantee"] == 0.5
    assert cpu_small["kubespawner_override"]["mem_limit"] == "2G"
    assert "extra_resource_limits" not in cpu_small["kubespawner_override"]
    assert cpu_small["description"] == "1 CPU · 2 GiB RAM · no GPU"


def test_profiles_in_chinese_with_hami() -> None:
    teaching_a = profile_list(lab_catalog("hami"), "zh")[0]
    assert teaching_a["display_name"] == "教学 A"
    assert teaching_a["description"] == "课堂练习（1 核 CPU · 2 GiB 内存 · 4 GiB GPU 显存（50% 算力））"
    assert teaching_a["kubespawner_override"]["extra_resource_limits"] == {
        "nvidia.com/gpu": "1",
        "nvidia.com/gpumem": "4096",
        "nvidia.com/gpucores": "50",
    }
    assert teaching_a["profile_options"]["image"]["display_name"] == "镜像"


def test_profiles_by_group_set_namespaces() -> None:
    by_group = profiles_by_group(lab_catalog(), "en")

    assert by_group["group_order"] == ["students", "teachers", "course-ai101"]
    slugs = {group: [entry["slug"] for entry in entries] for group, entries in by_group["groups"].items()}
    assert slugs == {
        "students": ["teaching-a", "cpu-small"],
        "teachers": ["teaching-a", "teaching-b"],
        "course-ai101": ["teaching-a", "teaching-b"],
    }
    namespaces = {
        group: {entry["kubespawner_override"]["namespace"] for entry in entries}
        for group, entries in by_group["groups"].items()
    }
    assert namespaces == {
        "students": {"labshift-students"},
        "teachers": {"labshift-teachers"},
        "course-ai101": {"labshift-course-ai101"},
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NVIDIA GeForce RTX 3070", "NVIDIA-GeForce-RTX-3070"),
        ("a", "a"),
        ("  x / y  ", "x-y"),
        ("-Tesla T4.", "Tesla-T4"),
    ],
)
def test_label_value(text: str, expected: str) -> None:
    assert label_value(text) == expected


def quota_of(catalog: Catalog, group: str) -> dict[str, str]:
    entry = next(item for item in namespace_quotas(catalog) if item["group"] == group)
    quota = next(obj for obj in entry["objects"] if obj["kind"] == "ResourceQuota")
    hard: dict[str, str] = quota["spec"]["hard"]
    return hard


def test_quota_gpu_manager_uses_largest_preset() -> None:
    # teachers: max_sessions 4; largest preset teaching-b (2 CPU, 8 GiB, 100 cores, 32 units).
    assert quota_of(lab_catalog(), "teachers") == {
        "pods": "4",
        "requests.cpu": "8",
        "limits.cpu": "8",
        "requests.memory": "32Gi",
        "limits.memory": "32Gi",
        "requests.tencent.com/vcuda-core": "400",
        "requests.tencent.com/vcuda-memory": "128",
    }


def test_quota_hami_keys() -> None:
    # students: 10 sessions of teaching-a (1 vGPU, 4096 MiB, 50 %) or cpu-small (500m/1, 1Gi/2Gi).
    assert quota_of(lab_catalog("hami"), "students") == {
        "pods": "10",
        "requests.cpu": "10",
        "limits.cpu": "10",
        "requests.memory": "20Gi",
        "limits.memory": "20Gi",
        "requests.nvidia.com/gpu": "10",
        "limits.nvidia.com/gpumem": "40960",
        "limits.nvidia.com/gpucores": "500",
    }


def test_quota_hami_counts_all_vgpus() -> None:
    # 3 sessions x 2 vGPUs x 3000 MiB and x 30 %.
    hard = quota_of(single({"memory": 3000, "cores": 30, "count": 2}, "hami"), "g")
    assert hard["requests.nvidia.com/gpu"] == "6"
    assert hard["limits.nvidia.com/gpumem"] == "18000"
    assert hard["limits.nvidia.com/gpucores"] == "180"


def test_group_without_presets_gets_zero_quota() -> None:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    groups = [
        *data["labshift_user_groups"],
        {
            "name": "guests",
            "kind": "course",
            "display_name": {"zh": "访客", "en": "Guests"},
            "max_sessions": 5,
        },
    ]
    catalog = load_catalog(data["labshift_presets"], groups)

    entry = namespace_quotas(catalog)[-1]

    assert entry["namespace"] == "labshift-guests"
    assert [obj["kind"] for obj in entry["objects"]] == ["Namespace", "ResourceQuota"]
    assert set(entry["objects"][1]["spec"]["hard"].values()) == {"0"}


def test_limit_range_defaults_and_maxima() -> None:
    entry = next(item for item in namespace_quotas(lab_catalog()) if item["group"] == "students")
    limit_range = entry["objects"][2]

    assert limit_range["kind"] == "LimitRange"
    assert limit_range["metadata"]["namespace"] == "labshift-students"
    # Default preset teaching-a; largest limits among teaching-a and cpu-small: 1 CPU, 2Gi.
    assert limit_range["spec"]["limits"] == [
        {
            "type": "Container",
            "default": {"cpu": "1", "memory": "2Gi"},
            "defaultRequest": {"cpu": "1", "memory": "2Gi"},
            "max": {"cpu": "1", "memory": "2Gi"},
        }
    ]


ROOMS = {"a": {"group": "room_a"}, "b": {"group": "room_b"}}


def test_node_labels_for_workstation() -> None:
    labels = node_labels(["workstations", "room_a"], ROOMS, "NVIDIA GeForce RTX 3070", "ws-a01")
    assert labels == {"labshift.io/room": "a", "labshift.io/gpu-model": "NVIDIA-GeForce-RTX-3070"}
    assert node_labels(["control_plane"], ROOMS, "") == {}
    assert node_labels(["room_b"], ROOMS, "  ") == {"labshift.io/room": "b"}


def test_node_labels_reject_two_rooms() -> None:
    with pytest.raises(LabShiftError) as raised:
        node_labels(["room_a", "room_b"], ROOMS, "", "ws-x")
    assert raised.value.key == "preset.host_two_rooms"
    assert "'ws-x'" in raised.value.message("en")
    assert "'ws-x'" in raised.value.message("zh")


@pytest.mark.parametrize(
    ("room", "gpu_model"),
    [
        ("a", "NVIDIA GeForce RTX 3070"),
        ("b", "NVIDIA GeForce RTX 3070"),
        ("a", "NVIDIA RTX A4000"),
        ("b", ""),
    ],
)
def test_selector_matches_like_capacity(room: str, gpu_model: str) -> None:
    # The profile's node_selector must pick exactly the nodes the capacity report counts.
    catalog = lab_catalog()
    labels = node_labels([f"room_{room}"], ROOMS, gpu_model)
    node = Node(name="n", room=room, gpu_memory_mib=8192, gpu_model=gpu_model)
    for preset in catalog.presets:
        selector = node_selector(preset)
        selected = all(labels.get(key) == value for key, value in selector.items())
        counted = sessions_on_node(preset, node, catalog.backend, catalog.share_memory_mib) != 0
        assert selected == counted, preset.slug
