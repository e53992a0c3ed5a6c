"""Filter plugin: the Kubernetes container resources of each preset, for the GPU-sharing backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.preset_backends import (
    preset_resources as resources_of,
)
from ansible_collections.labshift.lab.plugins.module_utils.presets import load_catalog

DOCUMENTATION = r"""
name: preset_resources
short_description: Compute each preset's container requests and limits for the GPU-sharing backend
version_added: 0.1.0
description:
  - Validates O(_input) (C(labshift_presets)) against O(user_groups) and O(backend), then returns the
    Kubernetes container C(requests) and C(limits) of every preset, keyed by slug.
  - With C(gpu-manager), a GPU share becomes C(tencent.com/vcuda-core) (100 per card) and
    C(tencent.com/vcuda-memory) (units of 256 MiB); with C(hami) it becomes C(nvidia.com/gpu),
    C(nvidia.com/gpumem) (MiB) and C(nvidia.com/gpucores) (percent). Requests equal limits.
  - Every invalid preset or group raises one error listing all problems, in O(language).
positional: user_groups
extends_documentation_fragment:
  - labshift.lab.presets
options:
  _input:
    description: The preset list, C(labshift_presets).
    type: list
    elements: dict
    required: true
  rooms:
    description: C(labshift_rooms); when given, C(nodes.room) of each preset must be one of its keys.
    type: dict
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Show what Teaching A requests from the cluster
  ansible.builtin.debug:
    msg: "{{ (labshift_presets | labshift.lab.preset_resources(labshift_user_groups,
              backend=labshift_gpu_sharing_backend, language=labshift_language))['teaching-a'] }}"
  # gpu-manager: {'requests': {'cpu': '1', 'memory': '2Gi', 'tencent.com/vcuda-core': '50',
  #               'tencent.com/vcuda-memory': '16'}, 'limits': {...the same...}}
"""

RETURN = r"""
_value:
  description: Preset slug to C({requests, limits}), each a mapping of resource name to quantity string.
  type: dict
"""


@filter_errors()
def preset_resources(
    presets: Sequence[Any],
    user_groups: Sequence[Any],
    backend: str = "gpu-manager",
    share_memory_mib: int = 4096,
    rooms: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> dict[str, dict[str, dict[str, str]]]:
    """Return ``{slug: {requests, limits}}`` for every preset."""
    catalog = load_catalog(
        presets, user_groups, backend, share_memory_mib, None if rooms is None else list(rooms)
    )
    return {preset.slug: resources_of(preset, catalog.backend).as_dict() for preset in catalog.presets}


class FilterModule:
    """Preset resource filter."""

    def filters(self) -> dict[str, Any]:
        return {"preset_resources": preset_resources}
