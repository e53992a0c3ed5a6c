#!/usr/bin/python
"""Documentation of labshift.lab.presets_check; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: presets_check
short_description: Check the resource presets against the user groups and the workstations
description:
  - Validates C(labshift_presets) and C(labshift_user_groups) (quantities, GPU shares, images,
    group references, room references) and checks that every preset fits at least one workstation
    of its rooms. Every problem is reported at once, in O(language), naming the preset, the field,
    the value and the fix.
  - Returns the workstations of every room and the capacity report, which the preset filters and
    C(playbooks/presets.yml) use after the check.
  - Runs on the controller only (action plugin); it reads the inventory's host variables and
    contacts no host.
version_added: 0.1.0
author: LabShift developers
options:
  presets:
    description: The preset list, C(labshift_presets).
    type: raw
    required: true
  user_groups:
    description: The user groups, C(labshift_user_groups).
    type: raw
    required: true
  rooms:
    description: C(labshift_rooms), whose groups list the workstations.
    type: dict
    required: true
  backend:
    description: GPU-sharing backend, C(labshift_gpu_sharing_backend).
    type: str
    default: gpu-manager
  share_memory_mib:
    description: vGPU size in MiB, C(labshift_gpu_share_memory_mib).
    type: raw
    default: 4096
  language:
    description: Language of the error messages, C(labshift_language).
    type: str
    default: zh
attributes:
  check_mode:
    support: full
    details: The check changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Check the presets
  labshift.lab.presets_check:
    presets: "{{ labshift_presets }}"
    user_groups: "{{ labshift_user_groups }}"
    rooms: "{{ labshift_rooms }}"
    language: "{{ labshift_language }}"
  register: __presets_check
"""

RETURN = r"""
nodes:
  description: The workstations of every room, as P(labshift.lab.capacity_nodes#filter) returns them.
  returned: success
  type: list
  elements: dict
capacity:
  description: The capacity report, as P(labshift.lab.capacity_report#filter) returns it.
  returned: success
  type: dict
"""
