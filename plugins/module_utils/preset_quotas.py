"""Per-group Namespace, ResourceQuota and LimitRange objects.

The quota of a group is sized so that ``max_sessions`` sessions of the largest preset the group
may use fit: for each resource, ``max_sessions`` times the largest per-session amount among the
group's presets. Only quota keys that something enforces are written:

- ``pods``, ``requests.cpu``, ``limits.cpu``, ``requests.memory``, ``limits.memory``: the
  Kubernetes quota admission.
- gpu-manager: ``requests.tencent.com/vcuda-core`` and ``requests.tencent.com/vcuda-memory``.
  Kubernetes quota admission counts extended resources under the ``requests.`` prefix only.
- HAMi: ``requests.nvidia.com/gpu`` (Kubernetes), plus ``limits.nvidia.com/gpumem`` and
  ``limits.nvidia.com/gpucores``, which the HAMi scheduler checks from HAMi 2.7.0 on.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.preset_backends import (
    GPU_MANAGER_CORE,
    GPU_MANAGER_MEMORY,
    GPU_RESOURCE_NAMES,
    HAMI_CORES,
    HAMI_GPU,
    HAMI_MEMORY,
    gpu_amounts,
)
from ansible_collections.labshift.lab.plugins.module_utils.presets import (
    BACKEND_GPU_MANAGER,
    Catalog,
    Preset,
    UserGroup,
)
from ansible_collections.labshift.lab.plugins.module_utils.quantities import format_cpu, format_memory

QUOTA_NAME = "labshift-sessions"
LIMIT_RANGE_NAME = "labshift-session-defaults"
MANAGED_BY = {"app.kubernetes.io/managed-by": "labshift"}
GROUP_LABEL = "labshift.io/group"


def _quota_gpu_keys(backend: str) -> dict[str, str]:
    """Map each extended resource to its quota key for ``backend``."""
    if backend == BACKEND_GPU_MANAGER:
        return {
            GPU_MANAGER_CORE: f"requests.{GPU_MANAGER_CORE}",
            GPU_MANAGER_MEMORY: f"requests.{GPU_MANAGER_MEMORY}",
        }
    return {
        HAMI_GPU: f"requests.{HAMI_GPU}",
        HAMI_MEMORY: f"limits.{HAMI_MEMORY}",
        HAMI_CORES: f"limits.{HAMI_CORES}",
    }


def _session_gpu_totals(preset: Preset, backend: str) -> dict[str, int]:
    """Return one session's GPU amounts as the quota counts them (per pod, over all its cards)."""
    amounts = gpu_amounts(preset.gpu, backend)
    if preset.gpu is not None and backend != BACKEND_GPU_MANAGER:
        # HAMi's gpumem and gpucores are per vGPU, but its quota counts them over all vGPUs of a pod.
        amounts[HAMI_MEMORY] *= preset.gpu.count
        amounts[HAMI_CORES] *= preset.gpu.count
    return amounts


def quota_hard(group: UserGroup, presets: list[Preset], backend: str) -> dict[str, str]:
    """Return the ``spec.hard`` of the group's ResourceQuota."""
    sessions = group.max_sessions if presets else 0

    def largest(values: list[int]) -> int:
        return max(values, default=0)

    hard = {
        "pods": str(sessions),
        "requests.cpu": format_cpu(sessions * largest([p.cpu_request_m for p in presets])),
        "limits.cpu": format_cpu(sessions * largest([p.cpu_limit_m for p in presets])),
        "requests.memory": format_memory(sessions * largest([p.memory_request_bytes for p in presets])),
        "limits.memory": format_memory(sessions * largest([p.memory_limit_bytes for p in presets])),
    }
    keys = _quota_gpu_keys(backend)
    totals = [_session_gpu_totals(preset, backend) for preset in presets]
    for resource in GPU_RESOURCE_NAMES[backend]:
        # A zero entry forbids GPU use in namespaces whose presets are all CPU-only.
        hard[keys[resource]] = str(sessions * largest([total.get(resource, 0) for total in totals]))
    return hard


def _metadata(name: str, group: UserGroup, namespace: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {**MANAGED_BY, GROUP_LABEL: group.name}}
    if namespace is not None:
        metadata["namespace"] = namespace
    return metadata


def _default_preset(presets: list[Preset]) -> Preset:
    return next((preset for preset in presets if preset.default), presets[0])


def limit_range(group: UserGroup, presets: list[Preset]) -> dict[str, Any]:
    """Return the LimitRange: defaults from the group's default preset, maxima from its largest."""
    default = _default_preset(presets)
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _metadata(LIMIT_RANGE_NAME, group, group.namespace),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {
                        "cpu": format_cpu(default.cpu_limit_m),
                        "memory": format_memory(default.memory_limit_bytes),
                    },
                    "defaultRequest": {
                        "cpu": format_cpu(default.cpu_request_m),
                        "memory": format_memory(default.memory_request_bytes),
                    },
                    "max": {
                        "cpu": format_cpu(max(p.cpu_limit_m for p in presets)),
                        "memory": format_memory(max(p.memory_limit_bytes for p in presets)),
                    },
                }
            ]
        },
    }


def group_objects(catalog: Catalog, group: UserGroup) -> list[dict[str, Any]]:
    """Return the Namespace, ResourceQuota and (for a group with presets) LimitRange of one group."""
    presets = catalog.presets_for_group(group.name)
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(group.namespace, group, None)},
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": _metadata(QUOTA_NAME, group, group.namespace),
            "spec": {"hard": quota_hard(group, presets, catalog.backend)},
        },
    ]
    if presets:
        objects.append(limit_range(group, presets))
    return objects


def namespace_quotas(catalog: Catalog) -> list[dict[str, Any]]:
    """Return one entry per user group: ``{group, namespace, objects}``."""
    return [
        {"group": group.name, "namespace": group.namespace, "objects": group_objects(catalog, group)}
        for group in catalog.groups
    ]
