"""KubeSpawner ``profile_list`` entries built from validated presets.

Each preset becomes one profile whose ``kubespawner_override`` sets KubeSpawner traits:
``cpu_guarantee``/``cpu_limit`` (float cores), ``mem_guarantee``/``mem_limit`` (JupyterHub byte
strings, where ``G`` means GiB), ``extra_resource_guarantees``/``extra_resource_limits`` (the
backend's GPU resources), ``node_selector``, ``tolerations`` and ``image``. Several images become a
``profile_options`` choice. The per-group lists also set ``namespace``, so sessions land in the
group's namespace and count against its ResourceQuota.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    normalize_language,
    register,
)
from ansible_collections.labshift.lab.plugins.module_utils.preset_backends import preset_resources
from ansible_collections.labshift.lab.plugins.module_utils.presets import Catalog, Preset
from ansible_collections.labshift.lab.plugins.module_utils.quantities import (
    format_human_cpu,
    format_human_memory,
    format_spawner_bytes,
)

register(
    {
        "preset.host_two_rooms": {
            "zh": "主机 {host!r} 同时属于机房 {first!r} 和 {second!r}，每台工作站只能在一个机房组中。",
            "en": "Host {host!r} is in both room {first!r} and room {second!r}; each workstation belongs to "
            "exactly one room group.",
        },
    }
)

# Node labels that the workstation role puts on each GPU worker node.
ROOM_LABEL = "labshift.io/room"
GPU_MODEL_LABEL = "labshift.io/gpu-model"

# The workstation role taints lab nodes so that only platform workloads land there; every
# session pod tolerates that taint.
LAB_NODE_TOLERATION = {
    "key": "labshift.io/lab-node",
    "operator": "Equal",
    "value": "true",
    "effect": "NoSchedule",
}

_LABEL_VALUE_INVALID = re.compile(r"[^A-Za-z0-9._-]+")

_SUMMARY = {
    "zh": {
        "cpu": "{cpu} 核 CPU",
        "memory": "{memory} 内存",
        "gpu": "{memory} GPU 显存（{cores}% 算力）",
        "gpus": "{count} × {memory} GPU 显存",
        "no_gpu": "无 GPU",
        "image": "镜像",
    },
    "en": {
        "cpu": "{cpu} CPU",
        "memory": "{memory} RAM",
        "gpu": "{memory} vGPU memory ({cores}% compute)",
        "gpus": "{count} x {memory} GPU memory",
        "no_gpu": "no GPU",
        "image": "Image",
    },
}


def label_value(text: str) -> str:
    """Turn ``text`` into a valid Kubernetes label value.

    ``NVIDIA GeForce RTX 3070`` becomes ``NVIDIA-GeForce-RTX-3070``: runs of characters other than
    letters, digits, ``.``, ``_`` and ``-`` become one ``-``, and the value is cut to 63 characters.
    """
    value = _LABEL_VALUE_INVALID.sub("-", text.strip()).strip("-._")
    return value[:63].rstrip("-._")


def node_labels(
    group_names: Sequence[str], rooms: Mapping[str, Any], gpu_model: str, host: str = ""
) -> dict[str, str]:
    """Return the labels a workstation's node needs so that preset ``nodes`` selections match it.

    ``group_names`` are the host's inventory groups and ``rooms`` is ``labshift_rooms``. A host in
    no room group gets no room label, and a host without a GPU model gets no model label. A host
    in two room groups raises ``LabShiftError``.
    """
    room_ids = [
        str(room_id)
        for room_id, room in rooms.items()
        if isinstance(room, Mapping) and room.get("group") in group_names
    ]
    if len(room_ids) > 1:
        raise LabShiftError("preset.host_two_rooms", host=host, first=room_ids[0], second=room_ids[1])
    labels: dict[str, str] = {}
    if room_ids:
        labels[ROOM_LABEL] = label_value(room_ids[0])
    if gpu_model.strip():
        labels[GPU_MODEL_LABEL] = label_value(gpu_model)
    return labels


def node_selector(preset: Preset) -> dict[str, str]:
    """Return the node labels a preset's sessions must run on (empty when it runs anywhere)."""
    selector: dict[str, str] = {}
    if preset.nodes.room is not None:
        selector[ROOM_LABEL] = label_value(preset.nodes.room)
    if preset.nodes.gpu_model is not None:
        selector[GPU_MODEL_LABEL] = label_value(preset.nodes.gpu_model)
    return selector


def summary(preset: Preset, language: str) -> str:
    """Describe a preset's resources in one line, for example ``1 CPU · 2 GiB RAM · 4 GiB vGPU memory``."""
    words = _SUMMARY[normalize_language(language)]
    parts = [
        words["cpu"].format(cpu=format_human_cpu(preset.cpu_limit_m)),
        words["memory"].format(memory=format_human_memory(preset.memory_limit_bytes)),
    ]
    gpu = preset.gpu
    if gpu is None:
        parts.append(words["no_gpu"])
    elif gpu.count == 1:
        parts.append(
            words["gpu"].format(memory=format_human_memory(gpu.memory_mib * 1024**2), cores=gpu.cores)
        )
    else:
        parts.append(
            words["gpus"].format(count=gpu.count, memory=format_human_memory(gpu.memory_mib * 1024**2))
        )
    return " · ".join(parts)


def kubespawner_override(preset: Preset, backend: str) -> dict[str, Any]:
    """Return the KubeSpawner trait overrides for one preset."""
    resources = preset_resources(preset, backend)
    override: dict[str, Any] = {
        "cpu_guarantee": preset.cpu_request_m / 1000,
        "cpu_limit": preset.cpu_limit_m / 1000,
        "mem_guarantee": format_spawner_bytes(preset.memory_request_bytes),
        "mem_limit": format_spawner_bytes(preset.memory_limit_bytes),
        "tolerations": [dict(LAB_NODE_TOLERATION)],
    }
    if resources.gpu:
        gpu_values = {name: str(amount) for name, amount in resources.gpu.items()}
        override["extra_resource_guarantees"] = dict(gpu_values)
        override["extra_resource_limits"] = dict(gpu_values)
    selector = node_selector(preset)
    if selector:
        override["node_selector"] = selector
    if len(preset.images) == 1:
        override["image"] = preset.images[0].image
    return override


def _image_choice_key(image: str, used_keys: set[str]) -> str:
    base = label_value(image.rsplit("/", 1)[-1]).lower() or "image"
    key = base
    suffix = 2
    while key in used_keys:
        key = f"{base}-{suffix}"
        suffix += 1
    used_keys.add(key)
    return key


def profile(preset: Preset, backend: str, language: str, namespace: str | None = None) -> dict[str, Any]:
    """Return one KubeSpawner profile for ``preset``, in ``language``."""
    lang = normalize_language(language)
    description = summary(preset, lang)
    if preset.description is not None:
        opening, closing = ("（", "）") if lang == "zh" else (" (", ")")
        description = f"{preset.description.get(lang)}{opening}{description}{closing}"
    override = kubespawner_override(preset, backend)
    if namespace is not None:
        override["namespace"] = namespace
    entry: dict[str, Any] = {
        "slug": preset.slug,
        "display_name": preset.name.get(lang),
        "description": description,
        "kubespawner_override": override,
    }
    if preset.default:
        entry["default"] = True
    if len(preset.images) > 1:
        used_keys: set[str] = set()
        choices: dict[str, Any] = {}
        for image in preset.images:
            key = _image_choice_key(image.image, used_keys)
            choices[key] = {
                "display_name": image.name.get(lang) if image.name is not None else image.image,
                "kubespawner_override": {"image": image.image},
            }
        entry["profile_options"] = {"image": {"display_name": _SUMMARY[lang]["image"], "choices": choices}}
    return entry


def profile_list(catalog: Catalog, language: str) -> list[dict[str, Any]]:
    """Return every preset as a KubeSpawner ``profile_list``, without group filtering or namespaces."""
    return [profile(preset, catalog.backend, language) for preset in catalog.presets]


def profiles_by_group(catalog: Catalog, language: str) -> dict[str, Any]:
    """Return the per-group profile lists that ``preset_hub.make_profile_list`` reads.

    ``group_order`` is the order of ``labshift_user_groups``: when a user is in several groups
    that allow the same preset, the first group's namespace wins.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for group in catalog.groups:
        groups[group.name] = [
            profile(preset, catalog.backend, language, namespace=group.namespace)
            for preset in catalog.presets_for_group(group.name)
        ]
    return {"group_order": [group.name for group in catalog.groups], "groups": groups}
