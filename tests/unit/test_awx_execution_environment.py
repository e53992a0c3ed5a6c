"""execution-environment.yml renders a build context with ansible-builder, and its pins match the tests.

No image is built here: that needs a container registry and network access to the base image.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import ansible_collections
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_BUILDER = Path(sys.executable).parent / "ansible-builder"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def installed_collection_version(name: str) -> str | None:
    namespace, collection = name.split(".")
    for root in ansible_collections.__path__:
        manifest = Path(root) / namespace / collection / "MANIFEST.json"
        if manifest.is_file():
            version: str = json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]
            return version
    return None


@pytest.mark.skipif(
    not ANSIBLE_BUILDER.exists(), reason="ansible-builder is not installed in this Python environment"
)
def test_builder_renders_build_context(tmp_path: Path) -> None:
    context = tmp_path / "context"

    completed = subprocess.run(
        [
            str(ANSIBLE_BUILDER),
            "create",
            "-f",
            str(REPO_ROOT / "execution-environment.yml"),
            "-c",
            str(context),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    containerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    assert "quay.io/ansible/awx-ee:24.6.1" in containerfile
    assert "ansible-core==2.19.14" in containerfile
    rendered_collections = load_yaml(context / "_build" / "requirements.yml")
    assert rendered_collections == load_yaml(REPO_ROOT / "requirements.yml")
    python_lines = (context / "_build" / "requirements.txt").read_text(encoding="utf-8").split()
    assert "pyghmi==1.6.19" in python_lines
    assert "kubernetes==37.0.2" in python_lines


def test_python_pins_match_requirements_txt() -> None:
    definition = load_yaml(REPO_ROOT / "execution-environment.yml")
    controller = {
        line.split("==")[0].lower(): line.strip()
        for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    for pin in definition["dependencies"]["python"]:
        name = pin.split("==")[0].lower()
        if name in controller:
            assert controller[name] == pin, f"{pin} differs from requirements.txt ({controller[name]})"
    assert definition["dependencies"]["ansible_core"]["package_pip"] == controller["ansible-core"]


def test_collection_pins_match_installed() -> None:
    pins = load_yaml(REPO_ROOT / "requirements.yml")["collections"]
    for pin in pins:
        installed = installed_collection_version(pin["name"])
        assert installed == pin["version"], (
            f"{pin['name']}: requirements.yml {pin['version']}, installed {installed}"
        )
