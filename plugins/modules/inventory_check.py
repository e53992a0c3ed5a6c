#!/usr/bin/python
"""Documentation of the labshift.lab.inventory_check action; the work is done on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_check
short_description: Validate a LabShift inventory before anything changes
description:
  - Checks the whole inventory on the controller and reports every problem at once, one message
    per problem naming the host, the variable, the value and the fix, in Chinese or English.
  - Checks that the groups C(control_plane), C(storage), C(registry), C(workstations) and C(ops)
    exist and that C(control_plane) has an odd number of hosts.
  - Checks the site settings C(labshift_language), C(labshift_timezone) (an IANA name),
    C(labshift_lab_network) (CIDR, or a list of CIDRs), C(labshift_output_dir) and
    C(labshift_rooms), and that every other C(labshift_*) variable can be templated, which catches
    missing C(vault_*) secrets.
  - Checks that every C(room_<id>) group of C(labshift_rooms) exists under C(workstations) and
    that every workstation is in exactly one room group and in no VM group.
  - Checks every workstation's C(ansible_host) (an IP address inside C(labshift_lab_network)),
    C(workstation_mac) (a unicast MAC, unique), C(workstation_gpu_memory_mib) (a whole number of
    MiB, with C(workstation_gpu_model) set when above 0), C(workstation_boot_method) (C(wol) or
    C(ipmi)) and, for C(ipmi), C(workstation_bmc_address). IP addresses must be unique across all
    hosts that are not reached by the local connection.
  - Runs on the controller only and never connects to a host, so use it with O(ignore:run_once=true).
version_added: 0.1.0
author: LabShift developers
options:
  fail_on_problems:
    description: Fail the task when a problem is found. With C(false) the problems are only returned.
    type: bool
    default: true
  language:
    description: Language of the messages, C(zh) or C(en). Defaults to C(labshift_language), then C(zh).
    type: str
  inventory_name:
    description: Name of the inventory in the summary line. Defaults to the inventory sources.
    type: str
attributes:
  check_mode:
    support: full
    details: The check only reads variables, so check mode behaves the same.
  diff_mode:
    support: none
notes:
  - Implemented as an action plugin; this file holds its documentation.
"""

EXAMPLES = r"""
- name: Preflight | validate the inventory
  labshift.lab.inventory_check:
  run_once: true

- name: Preflight | list the problems in English without failing
  labshift.lab.inventory_check:
    fail_on_problems: false
    language: en
  run_once: true
  register: preflight
"""

RETURN = r"""
problems:
  description: One entry per problem, in a stable order.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: Message key in the LabShift catalog, for example C(inventory.mac_duplicate).
      type: str
    host:
      description: Host or group concerned, C(all) for a site setting, or null.
      type: str
    variable:
      description: Variable concerned, or null.
      type: str
    value:
      description: The offending value, or null when the variable is missing.
      type: raw
    message:
      description: The message in the chosen language.
      type: str
    message_zh:
      description: The message in Chinese.
      type: str
    message_en:
      description: The message in English.
      type: str
messages:
  description: The messages of RV(problems) in the chosen language.
  returned: always
  type: list
  elements: str
checked_hosts:
  description: Number of hosts in the inventory that were checked.
  returned: always
  type: int
"""
