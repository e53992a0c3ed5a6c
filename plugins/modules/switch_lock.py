#!/usr/bin/python
"""Documentation of labshift.lab.switch_lock; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_lock
short_description: Take or release the per-room lock of a switch-over run
description:
  - The lock is a C(coordination.k8s.io/v1) Lease named C(labshift-switch-<room>) in the lock
    namespace, so runs from any operations host (AWX or systemd timers) exclude each other.
  - A Lease expires C(lease_seconds) after its last renewal; the node steps renew it while they
    wait, and a run after a crashed one takes it over once it expired.
  - With O(state=present), a room held by another live run is not switched, and its nodes are
    reported as skipped, and the other rooms go on.
version_added: 0.1.0
author: LabShift developers
options:
  switch:
    description: The run state returned by M(labshift.lab.switch_plan) or a later step.
    type: dict
    required: true
  state:
    description:
      - C(present) acquires, waiting up to C(lock_wait_seconds) but never past the deadline.
      - C(absent) releases the Leases this run holds.
    type: str
    choices: [present, absent]
    default: present
  kubeconfig:
    description: Path of the kubeconfig file; when omitted the in-cluster service account is used.
    type: path
  context:
    description: Context in O(kubeconfig); omitted means its current context.
    type: str
attributes:
  check_mode:
    support: full
    details: In check mode no Lease is written.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Lock the rooms of the run
  labshift.lab.switch_lock:
    switch: "{{ __switch_planned.switch }}"
    kubeconfig: /etc/labshift/kubeconfig
  delegate_to: localhost
  run_once: true
  register: __switch_locked
"""

RETURN = r"""
switch:
  description: The run state with C(locked), C(lock_holder) and C(lock_expires) set per room.
  returned: success
  type: dict
"""
