"""Action plugin labshift.lab.inventory_check: preflight validation of the inventory on the controller.

It copies the groups, the checked host variables and the site-wide ``labshift_*`` settings out of
Ansible's variables, runs the typed checks of module_utils/inventory_check.py and reports every
problem at once in ``labshift_language``. The documentation lives in plugins/modules/inventory_check.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.labshift.lab.plugins.module_utils.inventory_check import (
    HOST_VARIABLES,
    InventorySnapshot,
    check_inventory,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    DEFAULT_LANGUAGE,
    LabShiftError,
    normalize_language,
    render,
)

SETTING_PREFIX = "labshift_"


class ActionModule(ActionBase):
    """Check the whole inventory once, on the controller, without connecting to any host."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("fail_on_problems", "language", "inventory_name"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        fail_on_problems = bool(args.get("fail_on_problems", True))

        settings, unresolved = self._collect_settings(task_vars)
        language = self._choose_language(args.get("language"), settings.get("labshift_language"))
        hosts, host_unresolved = self._collect_hosts(task_vars)
        unresolved.update(host_unresolved)
        groups = {name: list(members) for name, members in task_vars.get("groups", {}).items()}

        snapshot = InventorySnapshot(groups=groups, hosts=hosts, settings=settings, unresolved=unresolved)
        problems = check_inventory(snapshot)

        inventory_name = args.get("inventory_name") or self._inventory_name(task_vars)
        result["changed"] = False
        result["problems"] = [self._describe(problem, language) for problem in problems]
        result["messages"] = [problem.message(language) for problem in problems]
        result["checked_hosts"] = len(hosts)
        if problems and fail_on_problems:
            header = render("inventory.failed", language, count=len(problems), inventory=inventory_name)
            result["failed"] = True
            result["msg"] = "\n".join([header, *(f"- {line}" for line in result["messages"])])
        elif not problems:
            result["msg"] = render("inventory.passed", language, count=len(hosts), inventory=inventory_name)
        return result

    def _collect_settings(self, task_vars: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Template every ``labshift_*`` variable; a failing template is recorded, not raised."""
        settings: dict[str, Any] = {}
        unresolved: dict[str, str] = {}
        for name in sorted(task_vars):
            if not name.startswith(SETTING_PREFIX):
                continue
            try:
                settings[name] = self._templar.template(task_vars[name])
            except AnsibleError as error:
                unresolved[name] = _first_line(error)
        return settings, unresolved

    def _collect_hosts(
        self, task_vars: Mapping[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        hostvars = task_vars.get("hostvars", {})
        hosts: dict[str, dict[str, Any]] = {}
        unresolved: dict[str, str] = {}
        for host in task_vars.get("groups", {}).get("all", []):
            host_variables = hostvars[host]
            collected: dict[str, Any] = {}
            for name in HOST_VARIABLES:
                try:
                    if name in host_variables:
                        collected[name] = host_variables[name]
                except AnsibleError as error:
                    unresolved[f"{host}: {name}"] = _first_line(error)
            hosts[host] = collected
        return hosts, unresolved

    @staticmethod
    def _choose_language(requested: Any, setting: Any) -> str:
        for candidate in (requested, setting):
            if candidate in (None, ""):
                continue
            try:
                return normalize_language(str(candidate))
            except LabShiftError:
                # An invalid labshift_language is itself reported as a problem, rendered in the default.
                continue
        return DEFAULT_LANGUAGE

    @staticmethod
    def _inventory_name(task_vars: Mapping[str, Any]) -> str:
        sources = task_vars.get("ansible_inventory_sources") or []
        return ", ".join(str(source) for source in sources) or "?"

    @staticmethod
    def _describe(problem: LabShiftError, language: str) -> dict[str, Any]:
        params = problem.params
        return {
            "key": problem.key,
            "host": params.get("host"),
            "variable": params.get("variable"),
            "value": params.get("value"),
            "message": problem.message(language),
            "message_zh": problem.message("zh"),
            "message_en": problem.message("en"),
        }


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
