"""Unit tests for preset and user-group validation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, LabShiftErrors
from ansible_collections.labshift.lab.plugins.module_utils.presets import (
    GpuShare,
    LocalizedText,
    NodeSelection,
    load_catalog,
)

DATA = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "presets"
    / "inventory"
    / "group_vars"
    / "all"
    / "presets.yml"
)
ROOMS = ["a", "b"]


def lab() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return loaded


def errors_of(raised: pytest.ExceptionInfo[LabShiftError]) -> list[LabShiftError]:
    error = raised.value
    return error.errors if isinstance(error, LabShiftErrors) else [error]


def test_catalog_loads_test_lab() -> None:
    data = lab()
    catalog = load_catalog(data["labshift_presets"], data["labshift_user_groups"], "gpu-manager", 4096, ROOMS)

    assert [preset.slug for preset in catalog.presets] == ["teaching-a", "teaching-b", "cpu-small"]
    teaching_a, teaching_b, cpu_small = catalog.presets
    assert teaching_a.name == LocalizedText(zh="教学 A", en="Teaching A")
    assert (teaching_a.cpu_request_m, teaching_a.cpu_limit_m) == (1000, 1000)
    assert (teaching_a.memory_request_bytes, teaching_a.memory_limit_bytes) == (2 * 1024**3, 2 * 1024**3)
    assert teaching_a.gpu == GpuShare(memory_mib=4096, cores=50, count=1)
    assert [image.image for image in teaching_a.images] == [
        "harbor.test/teaching/notebook:1",
        "harbor.test/teaching/pytorch:1",
    ]
    assert teaching_a.images[0].name == LocalizedText(zh="基础", en="Base")
    assert teaching_a.images[1].name is None
    assert teaching_a.default is True
    assert teaching_b.gpu == GpuShare(memory_mib=8192, cores=100, count=1)
    assert teaching_b.nodes == NodeSelection(room="a", gpu_model="NVIDIA GeForce RTX 3070")
    assert cpu_small.gpu is None
    assert (cpu_small.cpu_request_m, cpu_small.cpu_limit_m) == (500, 1000)
    assert cpu_small.description is None


def test_groups_get_default_namespace() -> None:
    data = lab()
    catalog = load_catalog(data["labshift_presets"], data["labshift_user_groups"])

    assert [group.namespace for group in catalog.groups] == [
        "labshift-students",
        "labshift-teachers",
        "labshift-course-ai101",
    ]
    assert [preset.slug for preset in catalog.presets_for_group("students")] == ["teaching-a", "cpu-small"]
    assert catalog.group("teachers").max_sessions == 4


def preset_case(change: dict[str, Any], index: int = 0, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    presets: list[dict[str, Any]] = copy.deepcopy(lab()["labshift_presets"])
    presets[index].update(change)
    for key in drop:
        del presets[index][key]
    return presets


# Each case: the preset list, the backend, and the expected (message key, preset, field or value).
BAD_PRESETS: list[tuple[str, list[dict[str, Any]], str, tuple[str, str | None, str | None]]] = [
    (
        "memory GB",
        preset_case({"memory": "2GB"}),
        "gpu-manager",
        ("preset.memory_unit", "teaching-a", "memory"),
    ),
    (
        "memory G",
        preset_case({"memory": {"request": "2G", "limit": "2Gi"}}),
        "gpu-manager",
        ("preset.memory_unit", "teaching-a", "memory.request"),
    ),
    (
        "memory number",
        preset_case({"memory": 2048}),
        "gpu-manager",
        ("preset.memory_unit", "teaching-a", "memory"),
    ),
    ("cpu word", preset_case({"cpu": "two"}), "gpu-manager", ("preset.cpu_invalid", "teaching-a", "cpu")),
    ("cpu zero", preset_case({"cpu": 0}), "gpu-manager", ("preset.not_positive", "teaching-a", "cpu")),
    (
        "request above limit",
        preset_case({"cpu": {"request": 2, "limit": 1}}),
        "gpu-manager",
        ("preset.request_above_limit", "teaching-a", "cpu"),
    ),
    (
        "gpu not 256 MiB units",
        preset_case({"gpu": {"memory": 4000, "cores": 50}}),
        "gpu-manager",
        ("preset.gpu_memory_backend_unit", "teaching-a", None),
    ),
    (
        "gpu fraction of MiB",
        preset_case({"gpu": {"memory": "0.3Gi", "cores": 50}}),
        "hami",
        ("preset.gpu_memory_precision", "teaching-a", "gpu.memory"),
    ),
    (
        "gpu memory GB",
        preset_case({"gpu": {"memory": "4GB", "cores": 50}}),
        "hami",
        ("preset.gpu_memory_unit", "teaching-a", "gpu.memory"),
    ),
    (
        "gpu cores over 100",
        preset_case({"gpu": {"memory": "4Gi", "cores": 150}}),
        "gpu-manager",
        ("preset.gpu_cores_invalid", "teaching-a", None),
    ),
    (
        "gpu cores missing",
        preset_case({"gpu": {"memory": "4Gi"}}),
        "gpu-manager",
        ("preset.field_missing", "teaching-a", "gpu.cores"),
    ),
    (
        "gpu count zero",
        preset_case({"gpu": {"memory": "4Gi", "cores": 50, "count": 0}}),
        "hami",
        ("preset.gpu_count_invalid", "teaching-a", None),
    ),
    (
        "fraction on two cards",
        preset_case({"gpu": {"memory": "4Gi", "cores": 50, "count": 2}}),
        "gpu-manager",
        ("preset.gpu_multi_fractional", "teaching-a", None),
    ),
    (
        "unknown group",
        preset_case({"groups": ["students", "physics"]}),
        "gpu-manager",
        ("preset.group_unknown", "teaching-a", "physics"),
    ),
    ("empty groups", preset_case({"groups": []}), "gpu-manager", ("preset.groups_empty", "teaching-a", None)),
    (
        "missing groups",
        preset_case({}, drop=("groups",)),
        "gpu-manager",
        ("preset.field_missing", "teaching-a", "groups"),
    ),
    (
        "missing memory",
        preset_case({}, drop=("memory",)),
        "gpu-manager",
        ("preset.field_missing", "teaching-a", "memory"),
    ),
    (
        "english name only",
        preset_case({"name": {"en": "Teaching A"}}),
        "gpu-manager",
        ("preset.text_invalid", "teaching-a", "name"),
    ),
    (
        "unknown field",
        preset_case({"cpus": 2}),
        "gpu-manager",
        ("preset.field_unknown", "teaching-a", "cpus"),
    ),
    (
        "unknown room",
        preset_case({"nodes": {"room": "c"}}, index=1),
        "gpu-manager",
        ("preset.room_unknown", "teaching-b", "c"),
    ),
    (
        "bad image",
        preset_case({"images": ["has space:1"]}),
        "gpu-manager",
        ("preset.image_invalid", "teaching-a", None),
    ),
    (
        "default not bool",
        preset_case({"default": "yes"}),
        "gpu-manager",
        ("preset.bool_invalid", "teaching-a", "default"),
    ),
    ("missing slug", preset_case({}, drop=("slug",)), "gpu-manager", ("preset.slug_missing", None, None)),
    (
        "bad slug",
        preset_case({"slug": "Teaching_A"}),
        "gpu-manager",
        ("preset.slug_invalid", None, "Teaching_A"),
    ),
    (
        "duplicate slug",
        preset_case({"slug": "teaching-a"}, index=1),
        "gpu-manager",
        ("preset.slug_duplicate", "teaching-a", None),
    ),
    (
        "two defaults",
        preset_case({"default": True}, index=2),
        "gpu-manager",
        ("preset.default_many", None, None),
    ),
]


@pytest.mark.parametrize(
    ("presets", "backend", "expected"),
    [case[1:] for case in BAD_PRESETS],
    ids=[case[0] for case in BAD_PRESETS],
)
def test_bad_preset_names_preset_and_field(
    presets: list[dict[str, Any]], backend: str, expected: tuple[str, str | None, str | None]
) -> None:
    key, preset, detail = expected
    with pytest.raises(LabShiftError) as raised:
        load_catalog(presets, lab()["labshift_user_groups"], backend, 4096, ROOMS)

    errors = errors_of(raised)
    assert [error.key for error in errors] == [key]
    error = errors[0]
    if preset is not None:
        assert error.params["preset"] == preset
    for language in ("zh", "en"):
        text = error.message(language)
        if preset is not None:
            assert preset in text
        if detail is not None:
            assert detail in text
    # Both languages are distinct texts, not one template.
    assert error.message("zh") != error.message("en")


def test_every_problem_reported_at_once() -> None:
    presets = preset_case({"memory": "2GB", "cpu": "lots", "groups": ["nobody"]})
    presets[1]["gpu"] = {"memory": 3000, "cores": 100}

    with pytest.raises(LabShiftErrors) as raised:
        load_catalog(presets, lab()["labshift_user_groups"], "gpu-manager", 4096)

    keys = sorted((error.key, error.params.get("preset")) for error in raised.value.errors)
    assert keys == [
        ("preset.cpu_invalid", "teaching-a"),
        ("preset.gpu_memory_backend_unit", "teaching-b"),
        ("preset.group_unknown", "teaching-a"),
        ("preset.memory_unit", "teaching-a"),
    ]
    assert len(raised.value.message("en").splitlines()) == 4


def test_gpu_manager_unit_hint_gives_neighbours() -> None:
    with pytest.raises(LabShiftErrors) as raised:
        load_catalog(preset_case({"gpu": {"memory": 4000, "cores": 50}}), lab()["labshift_user_groups"])

    text = raised.value.message("en")
    assert "4000 MiB" in text
    assert "3840 or 4096 MiB" in text


def test_hami_accepts_any_whole_mib() -> None:
    catalog = load_catalog(
        preset_case({"gpu": {"memory": 4000, "cores": 50, "count": 2}}),
        lab()["labshift_user_groups"],
        "hami",
        4096,
    )
    assert catalog.presets[0].gpu == GpuShare(memory_mib=4000, cores=50, count=2)


GROUP_BASE = {
    "name": "g1",
    "kind": "students",
    "display_name": {"zh": "组", "en": "Group"},
    "max_sessions": 5,
}

BAD_GROUPS: list[tuple[str, Any, str]] = [
    ("kind", [{**GROUP_BASE, "kind": "staff"}], "group.kind_invalid"),
    ("display name", [{**GROUP_BASE, "display_name": "Group"}], "group.text_invalid"),
    ("namespace", [{**GROUP_BASE, "namespace": "Bad_NS"}], "group.namespace_invalid"),
    ("name needs namespace", [{**GROUP_BASE, "name": "计算机 1 班"}], "group.namespace_invalid"),
    (
        "namespace twice",
        [GROUP_BASE, {**GROUP_BASE, "name": "g2", "namespace": "labshift-g1"}],
        "group.namespace_duplicate",
    ),
    ("name twice", [GROUP_BASE, GROUP_BASE], "group.name_duplicate"),
    (
        "no sessions",
        [{key: value for key, value in GROUP_BASE.items() if key != "max_sessions"}],
        "group.max_sessions_missing",
    ),
    ("zero sessions", [{**GROUP_BASE, "max_sessions": 0}], "group.max_sessions_invalid"),
    ("unknown field", [{**GROUP_BASE, "quota": 3}], "group.field_unknown"),
    ("empty name", [{**GROUP_BASE, "name": ""}], "group.name_invalid"),
    ("not a list", "students", "preset.list_invalid"),
]


@pytest.mark.parametrize(
    ("groups", "key"), [case[1:] for case in BAD_GROUPS], ids=[case[0] for case in BAD_GROUPS]
)
def test_bad_group_is_reported(groups: list[Any], key: str) -> None:
    presets = [{"slug": "p", "name": {"zh": "甲", "en": "P"}, "cpu": 1, "memory": "1Gi", "groups": ["g1"]}]
    with pytest.raises(LabShiftError) as raised:
        load_catalog(presets, groups)
    assert key in [error.key for error in errors_of(raised)]


def test_group_with_chinese_name_and_namespace() -> None:
    groups = [{**GROUP_BASE, "name": "计算机 1 班", "namespace": "labshift-cs1"}]
    presets = [
        {"slug": "p", "name": {"zh": "甲", "en": "P"}, "cpu": 1, "memory": "1Gi", "groups": ["计算机 1 班"]}
    ]
    catalog = load_catalog(presets, groups)
    assert catalog.groups[0].namespace == "labshift-cs1"
    assert catalog.presets[0].groups == ("计算机 1 班",)


@pytest.mark.parametrize(
    ("backend", "share"), [("kubernetes", 4096), ("hami", 0), ("gpu-manager", 4000), ("hami", "4Gi")]
)
def test_bad_backend_settings(backend: str, share: object) -> None:
    data = lab()
    with pytest.raises(LabShiftError) as raised:
        load_catalog(data["labshift_presets"], data["labshift_user_groups"], backend, share)
    assert raised.value.key in ("preset.backend_invalid", "preset.share_memory_invalid")
    assert repr(backend if raised.value.key == "preset.backend_invalid" else share) in raised.value.message(
        "en"
    )


@pytest.mark.parametrize("raw", [None, "teaching-a", {"slug": "x"}])
def test_presets_must_be_a_list(raw: object) -> None:
    with pytest.raises(LabShiftErrors) as raised:
        load_catalog(raw, lab()["labshift_user_groups"])
    assert [error.key for error in raised.value.errors] == ["preset.list_invalid"]
