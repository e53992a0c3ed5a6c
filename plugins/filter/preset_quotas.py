"""Filter plugin: per-group Namespace, ResourceQuota and LimitRange objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.preset_quotas import namespace_quotas
from ansible_collections.labshift.lab.plugins.module_utils.presets import load_catalog

DOCUMENTATION = r"""
name: preset_quotas
short_description: Build each user group's Namespace, ResourceQuota and LimitRange from the presets
version_added: 0.1.0
description:
  - Validates O(_input) (C(labshift_presets)) and returns, for every group in O(user_groups), the
    Kubernetes objects of its namespace.
  - The ResourceQuota allows C(max_sessions) sessions of the group's largest preset, resource by
    resource, with the quota keys the backend enforces. Kubernetes enforces C(pods), C(requests.cpu),
    C(limits.cpu), C(requests.memory), C(limits.memory), and for extended resources only the
    C(requests.) prefix (C(requests.tencent.com/vcuda-core), C(requests.tencent.com/vcuda-memory),
    C(requests.nvidia.com/gpu)). The HAMi scheduler (2.7.0 and later) enforces
    C(limits.nvidia.com/gpumem) and C(limits.nvidia.com/gpucores).
  - The LimitRange gives containers without resources the group's default preset and caps CPU and
    memory at its largest preset. A group without presets gets a zero quota and no LimitRange.
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
- name: Write one manifest file per group namespace
  ansible.builtin.copy:
    content: |
      {% for object in item.objects %}
      ---
      {{ object | to_nice_yaml(indent=2) }}
      {%- endfor %}
    dest: "{{ labshift_output_dir }}/presets/quotas/{{ item.namespace }}.yaml"
    mode: "0644"
  loop: "{{ labshift_presets | labshift.lab.preset_quotas(labshift_user_groups,
            backend=labshift_gpu_sharing_backend) }}"
  loop_control:
    label: "{{ item.namespace }}"
"""

RETURN = r"""
_value:
  description: One entry per user group, in the order of O(user_groups).
  type: list
  elements: dict
  contains:
    group:
      description: JupyterHub group name.
      type: str
    namespace:
      description: Kubernetes namespace of the group's sessions.
      type: str
    objects:
      description: Namespace, ResourceQuota C(labshift-sessions) and LimitRange C(labshift-session-defaults).
      type: list
      elements: dict
"""


@filter_errors()
def preset_quotas(
    presets: Sequence[Any],
    user_groups: Sequence[Any],
    backend: str = "gpu-manager",
    share_memory_mib: int = 4096,
    rooms: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> list[dict[str, Any]]:
    """Return ``[{group, namespace, objects}]`` for every user group."""
    catalog = load_catalog(
        presets, user_groups, backend, share_memory_mib, None if rooms is None else list(rooms)
    )
    return namespace_quotas(catalog)


class FilterModule:
    """Preset quota filter."""

    def filters(self) -> dict[str, Any]:
        return {"preset_quotas": preset_quotas}
