"""Action plugin labshift.lab.presets_check: check the presets and count sessions, before any file is written.

The preset filters check the same input, but a filter's error reaches the user wrapped in Ansible's
"Task failed: Finalization of task args" text. This action reports every problem as a plain task
failure in ``labshift_language``. The documentation lives in plugins/modules/presets_check.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, ClassVar

from ansible.plugins.action import ActionBase

from ansible_collections.labshift.lab.plugins.module_utils.capacity import capacity_report, inventory_nodes
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, normalize_language
from ansible_collections.labshift.lab.plugins.module_utils.presets import load_catalog


class ActionModule(ActionBase):
    """Validate presets, user groups and room workstations on the controller."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        "presets": {"type": "raw", "required": True},
        "user_groups": {"type": "raw", "required": True},
        "rooms": {"type": "dict", "required": True},
        "backend": {"type": "str", "default": "gpu-manager"},
        "share_memory_mib": {"type": "raw", "default": 4096},
        "language": {"type": "str", "default": "zh"},
    }

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        task_vars = task_vars or {}
        language = "zh"
        try:
            language = normalize_language(args["language"])
            report = self.check(args, task_vars)
        except LabShiftError as error:
            result.update(failed=True, msg=error.message(language))
            return result
        result.update(changed=False, capacity=report["capacity"], nodes=report["nodes"])
        return result

    @staticmethod
    def check(args: Mapping[str, Any], task_vars: Mapping[str, Any]) -> dict[str, Any]:
        """Return the workstations of every room and the capacity report, or raise LabShiftError."""
        rooms = args["rooms"]
        nodes = inventory_nodes(task_vars.get("groups", {}), task_vars.get("hostvars", {}), rooms)
        catalog = load_catalog(
            args["presets"], args["user_groups"], args["backend"], args["share_memory_mib"], list(rooms)
        )
        return {"nodes": [asdict(node) for node in nodes], "capacity": capacity_report(catalog, nodes, rooms)}
