"""Filter plugin: KubeSpawner profile lists built from the presets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.preset_profiles import (
    profile_list,
    profiles_by_group,
)
from ansible_collections.labshift.lab.plugins.module_utils.presets import load_catalog

DOCUMENTATION = r"""
name: preset_profiles
short_description: Build the JupyterHub KubeSpawner profile_list from the presets
version_added: 0.1.0
description:
  - Validates O(_input) (C(labshift_presets)) and returns KubeSpawner C(profile_list) entries, one per
    preset, with C(kubespawner_override) keys C(cpu_guarantee), C(cpu_limit), C(mem_guarantee),
    C(mem_limit) (JupyterHub byte strings, C(2G) meaning 2 GiB), C(extra_resource_guarantees),
    C(extra_resource_limits) (the backend's GPU resources), C(node_selector) and C(image).
    A preset with several images gets an C(image) choice in C(profile_options).
  - With O(by_group=true) it returns C({group_order, groups}) instead, where C(groups) maps each
    JupyterHub group to the profiles it may use, each with C(namespace) set to the group's namespace.
    The hub reads that file through C(preset_hub.make_profile_list), which shows every user only the
    presets of their groups.
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
  by_group:
    description: Return the per-group lists with namespaces instead of the flat list.
    type: bool
    default: false
  language:
    description: Language of display names, descriptions and error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Render the hub's profile list
  ansible.builtin.copy:
    content: "{{ labshift_presets | labshift.lab.preset_profiles(labshift_user_groups,
                 backend=labshift_gpu_sharing_backend, language=labshift_language) | to_nice_json }}"
    dest: "{{ labshift_output_dir }}/presets/profiles.json"
    mode: "0644"

- name: Render the per-group lists that preset_hub.make_profile_list reads
  ansible.builtin.copy:
    content: "{{ labshift_presets | labshift.lab.preset_profiles(labshift_user_groups, by_group=true,
                 backend=labshift_gpu_sharing_backend, language=labshift_language) | to_nice_json }}"
    dest: "{{ labshift_output_dir }}/presets/profiles_by_group.json"
    mode: "0644"
"""

RETURN = r"""
_value:
  description:
    - Without O(by_group), a list of KubeSpawner profiles (C(slug), C(display_name), C(description),
      C(kubespawner_override), optional C(default) and C(profile_options)).
    - With O(by_group), a mapping with C(group_order) (list of group names) and C(groups)
      (group name to list of profiles).
  type: raw
"""


@filter_errors()
def preset_profiles(
    presets: Sequence[Any],
    user_groups: Sequence[Any],
    backend: str = "gpu-manager",
    share_memory_mib: int = 4096,
    rooms: Mapping[str, Any] | None = None,
    by_group: bool = False,
    language: str | None = None,
) -> Any:
    """Return the KubeSpawner profile list, or the per-group lists when ``by_group`` is true."""
    catalog = load_catalog(
        presets, user_groups, backend, share_memory_mib, None if rooms is None else list(rooms)
    )
    if by_group:
        return profiles_by_group(catalog, language or "zh")
    return profile_list(catalog, language or "zh")


class FilterModule:
    """Preset profile filter."""

    def filters(self) -> dict[str, Any]:
        return {"preset_profiles": preset_profiles}
