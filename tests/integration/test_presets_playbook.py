"""playbooks/presets.yml run by ansible-playbook against the small test inventory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent.parent
INVENTORY = REPO / "tests" / "data" / "presets" / "inventory"
PLAYBOOK = REPO / "playbooks" / "presets.yml"

pytestmark = pytest.mark.integration


def run_playbook(inventory: Path, output_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(inventory),
        str(PLAYBOOK),
        "-e",
        f"labshift_output_dir={output_dir}",
        *extra,
    ]
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=300, check=False
    )


def test_renders_everything_and_reruns_unchanged(tmp_path: Path) -> None:
    first = run_playbook(INVENTORY, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    presets_dir = tmp_path / "presets"

    capacity = json.loads((presets_dir / "capacity.json").read_text(encoding="utf-8"))
    totals = {entry["slug"]: (entry["per_room"], entry["total"]) for entry in capacity["presets"]}
    assert totals == {
        "teaching-a": ({"a": 6, "b": 2}, 8),
        "teaching-b": ({"a": 3, "b": 0}, 3),
        "cpu-small": ({"a": 48, "b": 32}, 80),
    }
    text = (presets_dir / "capacity.txt").read_text(encoding="utf-8")
    assert "预设 教学 A（teaching-a）：共 8 个会话；测试 A 机房 6，测试 B 机房 2" in text
    # The play output shows the same report.
    assert "预设 教学 A（teaching-a）：共 8 个会话" in first.stdout

    profiles = json.loads((presets_dir / "profiles.json").read_text(encoding="utf-8"))
    assert [entry["slug"] for entry in profiles] == ["teaching-a", "teaching-b", "cpu-small"]
    assert profiles[0]["display_name"] == "教学 A"
    assert profiles[0]["kubespawner_override"]["extra_resource_limits"] == {
        "tencent.com/vcuda-core": "50",
        "tencent.com/vcuda-memory": "16",
    }
    by_group = json.loads((presets_dir / "profiles_by_group.json").read_text(encoding="utf-8"))
    assert by_group["group_order"] == ["students", "teachers", "course-ai101"]

    quota_files = sorted(path.name for path in (presets_dir / "quotas").iterdir())
    assert quota_files == ["labshift-course-ai101.yaml", "labshift-students.yaml", "labshift-teachers.yaml"]
    documents = list(
        yaml.safe_load_all((presets_dir / "quotas" / "labshift-teachers.yaml").read_text(encoding="utf-8"))
    )
    assert [document["kind"] for document in documents] == ["Namespace", "ResourceQuota", "LimitRange"]
    assert documents[1]["spec"]["hard"]["requests.tencent.com/vcuda-core"] == "400"

    stale = presets_dir / "quotas" / "labshift-old-course.yaml"
    stale.write_text("---\n", encoding="utf-8")
    second = run_playbook(INVENTORY, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    # Only the stale manifest of a removed group changes on a rerun.
    assert "changed=1 " in second.stdout
    assert not stale.exists()


def test_bad_preset_fails_before_writing(tmp_path: Path) -> None:
    presets = yaml.safe_load((INVENTORY / "group_vars" / "all" / "presets.yml").read_text(encoding="utf-8"))
    presets["labshift_presets"][0]["memory"] = "2GB"
    presets["labshift_presets"][1]["gpu"]["memory"] = "16Gi"
    overrides = tmp_path / "bad.yml"
    overrides.write_text(yaml.safe_dump({"labshift_presets": presets["labshift_presets"]}), encoding="utf-8")

    result = run_playbook(INVENTORY, tmp_path / "out", "-e", f"@{overrides}", "-e", "labshift_language=en")

    assert result.returncode != 0
    assert (
        "Preset 'teaching-a': field memory value '2GB' is not a memory size with a binary unit"
        in result.stdout
    )
    assert "Finalization of task args" not in result.stdout
    assert not (tmp_path / "out").exists()

    # The card-size check needs presets that pass the format checks, so it gets its own run.

    presets["labshift_presets"][0]["memory"] = "2Gi"
    overrides.write_text(yaml.safe_dump({"labshift_presets": presets["labshift_presets"]}), encoding="utf-8")
    result = run_playbook(INVENTORY, tmp_path / "out", "-e", f"@{overrides}")

    assert result.returncode != 0
    assert (
        "预设 'teaching-b'：字段 gpu.memory 为 16384 MiB，大于所有节点的 GPU 显存（最大 8192 MiB）"
        in result.stdout
    )
    assert not (tmp_path / "out").exists()


def test_undefined_presets_is_ansible_error(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory)
    (inventory / "group_vars" / "all" / "presets.yml").unlink()

    result = run_playbook(inventory, tmp_path / "out")

    assert result.returncode != 0
    assert "'labshift_presets' is undefined" in result.stdout
    assert not (tmp_path / "out").exists()


def test_undefined_inside_preset_is_ansible_error(tmp_path: Path) -> None:
    presets = yaml.safe_load((INVENTORY / "group_vars" / "all" / "presets.yml").read_text(encoding="utf-8"))
    presets["labshift_presets"][0]["memory"] = "{{ teaching_memory }}"
    overrides = tmp_path / "undefined.yml"
    overrides.write_text(yaml.safe_dump({"labshift_presets": presets["labshift_presets"]}), encoding="utf-8")

    result = run_playbook(INVENTORY, tmp_path / "out", "-e", f"@{overrides}")

    assert result.returncode != 0
    assert "'teaching_memory' is undefined" in result.stdout
    assert not (tmp_path / "out").exists()


def test_check_mode_writes_nothing(tmp_path: Path) -> None:
    result = run_playbook(INVENTORY, tmp_path / "out", "--check")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "预设 教学 A（teaching-a）：共 8 个会话" in result.stdout
    assert not (tmp_path / "out").exists()
