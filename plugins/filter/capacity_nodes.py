"""Filter plugin: the workstation list that the capacity report counts on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.capacity import inventory_nodes

DOCUMENTATION = r"""
name: capacity_nodes
short_description: List the lab's GPU workstations from the inventory for the capacity report
version_added: 0.1.0
description:
  - Walks the room groups named in O(rooms) (C(labshift_rooms)) and reads each workstation's host
    variables C(workstation_gpu_memory_mib) (required, MiB, 0 for no GPU), C(workstation_gpu_model),
    and the optional C(workstation_gpu_count) (default 1 with a GPU), C(workstation_cpu_cores) and
    C(workstation_memory_mib) (allocatable CPU cores and memory of the node).
  - A workstation in two room groups, or a missing or invalid C(workstation_gpu_memory_mib), raises
    an error naming the host, in O(language).
positional: hostvars, rooms
options:
  _input:
    description: Ansible's C(groups) magic variable.
    type: dict
    required: true
  hostvars:
    description: Ansible's C(hostvars) magic variable.
    type: dict
    required: true
  rooms:
    description: C(labshift_rooms), room id to C({group, name}).
    type: dict
    required: true
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Collect the workstations of every room
  ansible.builtin.set_fact:
    __presets_nodes: "{{ groups | labshift.lab.capacity_nodes(hostvars, labshift_rooms,
                         language=labshift_language) }}"
"""

RETURN = r"""
_value:
  description: One mapping per workstation, in room order then inventory order.
  type: list
  elements: dict
  contains:
    name:
      description: Inventory host name.
      type: str
    room:
      description: Room id (key of C(labshift_rooms)).
      type: str
    gpu_memory_mib:
      description: Memory of each GPU in MiB.
      type: int
    gpu_model:
      description: GPU model, empty when unknown.
      type: str
    gpu_count:
      description: Number of GPUs.
      type: int
    cpu_m:
      description: Allocatable CPU in millicores, null when unknown.
      type: int
    memory_bytes:
      description: Allocatable memory in bytes, null when unknown.
      type: int
"""


@filter_errors()
def capacity_nodes(
    groups: Mapping[str, Sequence[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    rooms: Mapping[str, Any],
    language: str | None = None,
) -> list[dict[str, Any]]:
    """Return the workstations of every room as plain mappings."""
    return [asdict(node) for node in inventory_nodes(groups, hostvars, rooms)]


class FilterModule:
    """Capacity node filter."""

    def filters(self) -> dict[str, Any]:
        return {"capacity_nodes": capacity_nodes}
