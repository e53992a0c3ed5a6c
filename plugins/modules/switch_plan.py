#!/usr/bin/python
"""Documentation of labshift.lab.switch_plan; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_plan
short_description: Choose the nodes, deadlines and holds of one switch-over run
description:
  - Reads the inventory on the controller (room groups C(room_<id>), C(workstation_mac),
    C(workstation_boot_method), C(workstation_bmc_address)) and returns the run state that the
    other switch steps take as O(labshift.lab.switch_nodes#module:switch).
  - The workstations are those of O(rooms), or when O(rooms) is empty, the play's hosts after
    C(--limit).
  - For C(teaching), the deadline of each room is the start of the next class, read from the
    planner's C(plan.json) (the window that contains the current time); O(deadline) overrides it.
    For C(platform), it is now plus the join timeout.
  - Holds from O(holds) mark nodes as held; both directions leave held nodes alone.
  - Changes nothing. Invalid input fails with a Chinese or English message naming the value.
version_added: 0.1.0
author: LabShift developers
options:
  direction:
    description: C(platform) or C(teaching).
    type: str
    required: true
  rooms:
    description: Room ids (list or comma-separated string); empty means the play's hosts.
    type: raw
  labshift_rooms:
    description: The site-wide C(labshift_rooms) mapping of room id to group and names.
    type: dict
    required: true
  holds:
    description: Manual holds, each with C(room) or C(node), C(reason) and an optional ISO 8601 C(until).
    type: list
    elements: raw
    default: []
  deadline:
    description: ISO 8601 time with a zone by which the switch must be complete; overrides the plan.
    type: str
  plan_path:
    description: Path of the planner's C(plan.json); read for C(teaching) when O(deadline) is not set.
    type: path
  settings:
    description:
      - Timing settings in seconds (C(grace_seconds), C(handback_reserve_seconds),
        C(join_timeout_seconds), C(leave_min_seconds), C(poll_seconds), C(lease_seconds),
        C(lock_wait_seconds)), C(delete_node_objects), C(lock_namespace) and C(workers).
    type: dict
    default: {}
  run_id:
    description: Identity of this run, used as the Lease holder; the AWX job id when AWX runs it.
    type: str
    required: true
  language:
    description: Language of messages and reports, normally C(labshift_language).
    type: str
    default: zh
  timezone:
    description: IANA time zone used for the closing time shown to users.
    type: str
    default: Asia/Shanghai
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Plan a hand-back of room a with an explicit deadline
  labshift.lab.switch_plan:
    direction: teaching
    rooms: [a]
    labshift_rooms: "{{ labshift_rooms }}"
    deadline: "2026-03-02T13:30:00+08:00"
    run_id: manual-1
  delegate_to: localhost
  run_once: true
  register: __switch_planned
"""

RETURN = r"""
switch:
  description: The run state passed to the next switch steps (rooms, hosts, per-node results).
  returned: success
  type: dict
"""
