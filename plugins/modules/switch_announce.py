#!/usr/bin/python
"""Documentation of labshift.lab.switch_announce; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_announce
short_description: Announce on JupyterHub when the rooms of a switch-over run close
description:
  - Posts one announcement with the closing time of each room, in Chinese and English, to the
    jupyterhub-announcement service. The request is a C(POST) to O(hub_url) followed by O(path),
    with a JSON body whose C(announcement) field is the text, and the header C(Authorization) set
    to C(token <api_token>).
  - A failed request is a warning, not a failure, so the hand-back keeps its deadline.
version_added: 0.1.0
author: LabShift developers
options:
  switch:
    description: The run state returned by the previous switch step.
    type: dict
    required: true
  hub_url:
    description: Base URL of JupyterHub; empty skips the announcement.
    type: str
    default: ""
  api_token:
    description: API token with the right to update the announcement, from vault.
    type: str
    default: ""
  path:
    description: Path of the announcement service's update endpoint.
    type: str
    default: /services/announcement/update
  timeout:
    description: Request timeout in seconds.
    type: int
    default: 10
  validate_certs:
    description: Verify the hub's TLS certificate.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: In check mode the text is built and nothing is sent.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Announce the closing time
  labshift.lab.switch_announce:
    switch: "{{ __switch_inspected.switch }}"
    hub_url: https://hub.lab.example.edu
    api_token: "{{ vault_labshift_hub_announcement_token }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
announcement:
  description: The text sent.
  returned: always
  type: str
switch:
  description: The run state, with C(announced) or C(announce_error) set.
  returned: success
  type: dict
"""
