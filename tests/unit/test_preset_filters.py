"""Unit tests for the filter plugins' argument handling and error rendering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.labshift.lab.plugins.filter import (
    capacity_nodes,
    capacity_report,
    capacity_text,
    preset_profiles,
    preset_quotas,
    preset_resources,
)

INVENTORY = Path(__file__).resolve().parent.parent / "data" / "presets" / "inventory"


def lab() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (INVENTORY / "group_vars" / "all" / "presets.yml").read_text(encoding="utf-8")
    )
    return data


def test_filter_modules_export_their_filter() -> None:
    modules = [
        capacity_nodes,
        capacity_report,
        capacity_text,
        preset_profiles,
        preset_quotas,
        preset_resources,
    ]
    for module in modules:
        name = module.__name__.rsplit(".", 1)[-1]
        assert list(module.FilterModule().filters()) == [name]
        # ansible-doc parses these blocks as YAML; a parse error hides the plugin's documentation.
        documentation = yaml.safe_load(module.DOCUMENTATION)
        assert documentation["name"] == name
        assert "_input" in documentation["options"]
        assert yaml.safe_load(module.EXAMPLES)
        assert "_value" in yaml.safe_load(module.RETURN)


def test_doc_fragment_options_rendered() -> None:
    names = ["preset_profiles", "preset_quotas", "preset_resources", "capacity_report"]
    repo = INVENTORY.parents[3]
    command = [str(Path(sys.executable).parent / "ansible-doc"), "-t", "filter", "--json"]
    command += [f"labshift.lab.{name}" for name in names]
    env = dict(os.environ, ANSIBLE_CONFIG=str(repo / "ansible.cfg"))

    run = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)

    assert run.returncode == 0, run.stderr
    documents = json.loads(run.stdout)
    for name in names:
        options = documents[f"labshift.lab.{name}"]["doc"]["options"]
        assert {"user_groups", "backend", "share_memory_mib"} <= set(options), name
        assert options["share_memory_mib"]["default"] == 4096, name


def test_resources_keyed_by_slug() -> None:
    data = lab()
    resources = preset_resources.preset_resources(
        data["labshift_presets"], data["labshift_user_groups"], backend="hami"
    )
    assert list(resources) == ["teaching-a", "teaching-b", "cpu-small"]
    assert resources["teaching-a"]["limits"]["nvidia.com/gpumem"] == "4096"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Preset 'teaching-a': field memory value '2GB' is not a memory size with a binary unit"),
        ("zh", "预设 'teaching-a'：字段 memory 的值 '2GB' 不是带二进制单位的内存大小"),
        (None, "预设 'teaching-a'：字段 memory 的值 '2GB' 不是带二进制单位的内存大小"),
    ],
)
def test_filter_error_in_language(language: str | None, expected: str) -> None:
    data = lab()
    data["labshift_presets"][0]["memory"] = "2GB"
    with pytest.raises(AnsibleFilterError) as raised:
        preset_profiles.preset_profiles(
            data["labshift_presets"], data["labshift_user_groups"], language=language
        )
    assert expected in str(raised.value)


def test_report_filters_chain() -> None:
    data = lab()
    rooms = {"a": {"group": "room_a", "name": {"zh": "甲", "en": "A"}}}
    hostvars = {"ws1": {"workstation_gpu_memory_mib": 8192}, "ws2": {"workstation_gpu_memory_mib": 8192}}
    nodes = capacity_nodes.capacity_nodes({"room_a": ["ws1", "ws2"]}, hostvars, rooms)

    report = capacity_report.capacity_report(
        data["labshift_presets"], data["labshift_user_groups"], nodes=nodes, rooms=rooms
    )
    text = capacity_text.capacity_text(report, language="en")

    assert nodes[0] == {
        "name": "ws1",
        "room": "a",
        "gpu_memory_mib": 8192,
        "gpu_model": "",
        "gpu_count": 1,
        "cpu_m": None,
        "memory_bytes": None,
    }
    assert "Preset Teaching A (teaching-a): 4 sessions in total; A 4" in text
    # teaching-b requires room a and an RTX 3070, but these nodes have no GPU model set.
    assert "- Teaching B (teaching-b): no workstation has GPU model NVIDIA GeForce RTX 3070" in text


def test_quota_filter_returns_namespaces() -> None:
    data = lab()
    entries = preset_quotas.preset_quotas(data["labshift_presets"], data["labshift_user_groups"])
    assert [entry["namespace"] for entry in entries] == [
        "labshift-students",
        "labshift-teachers",
        "labshift-course-ai101",
    ]
