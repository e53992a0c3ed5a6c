"""The switch modules' documentation parses and matches the arguments their action plugins accept."""

from __future__ import annotations

import importlib

import pytest
import yaml

MODULES = ["switch_plan", "switch_lock", "switch_nodes", "switch_announce", "switch_report"]
PREFIX = "ansible_collections.labshift.lab.plugins"


@pytest.mark.parametrize("name", MODULES)
def test_module_docs_match_arguments(name: str) -> None:
    module = importlib.import_module(f"{PREFIX}.modules.{name}")
    action = importlib.import_module(f"{PREFIX}.action.{name}")

    documentation = yaml.safe_load(module.DOCUMENTATION)
    examples = yaml.safe_load(module.EXAMPLES)
    returned = yaml.safe_load(module.RETURN)

    assert documentation["module"] == name
    assert set(documentation["options"]) == set(action.ActionModule.ARGUMENT_SPEC)
    assert all(f"labshift.lab.{name}" in task for task in examples)
    assert returned
