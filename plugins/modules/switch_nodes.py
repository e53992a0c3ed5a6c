#!/usr/bin/python
"""Documentation of labshift.lab.switch_nodes; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_nodes
short_description: Join, drain or remove the Kubernetes nodes of a switch-over run
description:
  - One call handles every node of the run, concurrently, with one list request per poll.
  - C(inspect) reads the nodes, applies the C(labshift.io/hold) annotation, lists the machines to
    power on and, for C(teaching), the PodDisruptionBudgets that would block draining.
  - C(join) waits for each node to be Ready, then uncordons it and labels it
    C(labshift.io/mode=platform). Nodes not Ready by the deadline are reported as failed.
  - C(drain) cordons the nodes, annotates user pods with the closing time and a notice, evicts
    pods after the grace period (honouring PodDisruptionBudgets; DaemonSet and mirror pods stay),
    and deletes what is left with a zero grace period at the hard deadline.
  - C(leave) waits until each node stops reporting Ready, deletes its Node object, and sets the
    final result (switched, late or failed); hosts whose reboot step failed count as failed.
version_added: 0.1.0
author: LabShift developers
options:
  switch:
    description: The run state returned by the previous switch step.
    type: dict
    required: true
  action:
    description: The step to run.
    type: str
    choices: [inspect, join, drain, leave]
    required: true
  reach_var:
    description:
      - Host variable registered by the reboot step.
      - A failed or unreachable result there marks the node as failed.
    type: str
    default: __switch_reach
  kubeconfig:
    description: Path of the kubeconfig file; when omitted the in-cluster service account is used.
    type: path
  context:
    description: Context in O(kubeconfig); omitted means its current context.
    type: str
attributes:
  check_mode:
    support: partial
    details: C(inspect) runs; the other actions change nothing and return the state unchanged.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Wait for nodes to be Ready, then uncordon and label them
  labshift.lab.switch_nodes:
    switch: "{{ __switch_inspected.switch }}"
    action: join
    kubeconfig: /etc/labshift/kubeconfig
  delegate_to: localhost
  run_once: true
  register: __switch_joined
"""

RETURN = r"""
switch:
  description: The run state with updated per-node results, targets, power-on lists and findings.
  returned: success
  type: dict
"""
