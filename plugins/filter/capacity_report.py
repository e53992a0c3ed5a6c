"""Filter plugin: how many sessions of each preset the lab holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.capacity import capacity_report as build_report
from ansible_collections.labshift.lab.plugins.module_utils.capacity import nodes_from_facts
from ansible_collections.labshift.lab.plugins.module_utils.presets import load_catalog

DOCUMENTATION = r"""
name: capacity_report
short_description: Count how many sessions of each preset the lab's workstations hold
version_added: 0.1.0
description:
  - Validates O(_input) (C(labshift_presets)), then counts for each preset, on its own, how many
    sessions fit at once on O(nodes), per room and in total, and lists the presets that fit on no
    node with the reason.
  - Per card, a session needs its GPU memory and compute share. gpu-manager counts memory in
    256 MiB units. HAMi also caps each card at C(card memory // share_memory_mib) vGPUs. Known node
    CPU and memory cap the count by the preset's requests.
  - A GPU share larger than every node's card, or more cards than any node has, raises an error
    naming the preset, before any report is built.
positional: user_groups
extends_documentation_fragment:
  - labshift.lab.presets
options:
  _input:
    description: The preset list, C(labshift_presets).
    type: list
    elements: dict
    required: true
  nodes:
    description: The workstations, as returned by P(labshift.lab.capacity_nodes#filter).
    type: list
    elements: dict
    required: true
  rooms:
    description: C(labshift_rooms), for room order, room names and the check of C(nodes.room).
    type: dict
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Count sessions per preset
  ansible.builtin.set_fact:
    __presets_capacity: "{{ labshift_presets | labshift.lab.capacity_report(labshift_user_groups,
                            nodes=__presets_nodes, rooms=labshift_rooms,
                            backend=labshift_gpu_sharing_backend,
                            share_memory_mib=labshift_gpu_share_memory_mib,
                            language=labshift_language) }}"
# For 50 workstations with one 8 GB card each, a preset with 4 GiB of GPU memory and 50 percent
# compute gives 100 sessions.
"""

RETURN = r"""
_value:
  description: The capacity report.
  type: dict
  contains:
    backend:
      description: GPU-sharing backend.
      type: str
    share_memory_mib:
      description: vGPU size in MiB.
      type: int
    nodes:
      description: Number of workstations.
      type: int
    gpus:
      description: Number of GPUs.
      type: int
    rooms:
      description: Per room C(id), C(name) (zh and en), C(nodes), C(gpus) and C(gpu_memory_mib).
      type: list
      elements: dict
    presets:
      description:
        - Per preset C(slug), C(name), C(per_room) (room id to sessions), C(total), C(nodes) (nodes
          holding at least one session) and C(fits).
        - C(total) and C(per_room) values are null for a CPU-only preset when node CPU and memory
          are unknown.
      type: list
      elements: dict
    unfit:
      description: Presets that fit on no node, with C(reason) (C(no_nodes), C(room), C(gpu_model),
        C(gpu) or C(cpu_memory)) and its C(params).
      type: list
      elements: dict
"""


@filter_errors()
def capacity_report(
    presets: Sequence[Any],
    user_groups: Sequence[Any],
    nodes: Sequence[Mapping[str, Any]],
    rooms: Mapping[str, Any] | None = None,
    backend: str = "gpu-manager",
    share_memory_mib: int = 4096,
    language: str | None = None,
) -> dict[str, Any]:
    """Return the capacity report of the presets on ``nodes``."""
    catalog = load_catalog(
        presets, user_groups, backend, share_memory_mib, None if rooms is None else list(rooms)
    )
    return build_report(catalog, nodes_from_facts(nodes), rooms)


class FilterModule:
    """Capacity report filter."""

    def filters(self) -> dict[str, Any]:
        return {"capacity_report": capacity_report}
