"""Shared base of the switch action plugins: argument checks and bilingual error results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from ansible.plugins.action import ActionBase

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, normalize_language

KUBE_ARGUMENTS: dict[str, Any] = {
    "kubeconfig": {"type": "path"},
    "context": {"type": "str"},
}


def bilingual(error: LabShiftError, language: str) -> str:
    """Render ``error`` in ``language`` first, then in the other language."""
    other = "en" if language == "zh" else "zh"
    return f"{error.message(language)}\n{error.message(other)}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class SwitchAction(ActionBase):  # type: ignore[misc]  # ansible-core ships no type hints
    """Run a switch step on the controller; subclasses implement ``step``."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {}

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        language = "zh"
        try:
            language = normalize_language(self.language_of(args))
            result.update(self.step(args, task_vars or {}, language))
        except LabShiftError as error:
            result.update(failed=True, msg=bilingual(error, language))
        return result

    @staticmethod
    def language_of(args: Mapping[str, Any]) -> str:
        if args.get("language"):
            return str(args["language"])
        switch = args.get("switch")
        if isinstance(switch, Mapping) and switch.get("language"):
            return str(switch["language"])
        return "zh"

    @staticmethod
    def kube(args: Mapping[str, Any], workers: int) -> KubeApi:
        return KubeApi(args.get("kubeconfig"), args.get("context"), pool_size=max(workers, 4))

    @property
    def check_mode(self) -> bool:
        return bool(self._task.check_mode)

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        raise NotImplementedError
