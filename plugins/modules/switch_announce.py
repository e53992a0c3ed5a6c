#!/usr/bin/python
"""Documentation of labshift.lab.switch_announce; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_announce
short_description: Tell JupyterHub users when the rooms of a hand-back close
description:
  - Posts one announcement with the closing time of each room, in Chinese and English, to the
    jupyterhub-announcement service at O(announcement_prefix) below O(hub_url). That service takes
    updates from its own form only, so the plugin reads the form's XSRF value from the service's
    page with the token and posts the form. The service accepts posts from JupyterHub admins only.
    When the latest announcement has the same text, nothing is posted again.
  - Writes a notice file O(notice_name) into every running user server on the run's nodes through
    the Jupyter server contents API, found from the C(hub.jupyter.org/username) and
    C(hub.jupyter.org/servername) annotations that KubeSpawner puts on user pods. The token needs
    the C(access:servers) scope. A file of that name that LabShift did not write is left untouched.
  - A failed request is a warning, not a failure, so the hand-back keeps its deadline. Notices
    still unwritten after O(budget_seconds) are given up and reported.
version_added: 0.1.0
author: LabShift developers
options:
  switch:
    description: The run state returned by the previous switch step.
    type: dict
    required: true
  hub_url:
    description: Public URL of JupyterHub (its proxy); empty skips every notice.
    type: str
    default: ""
  api_token:
    description: JupyterHub API token of a service or user in the admin role, from vault.
    type: str
    default: ""
  announcement_prefix:
    description: URL path of the jupyterhub-announcement service.
    type: str
    default: /services/announcement/
  notice_name:
    description: File name of the notice, relative to the root of each user server.
    type: str
    default: LabShift-room-closing.txt
  notify_servers:
    description: Write the notice file into the user servers as well as the announcement.
    type: bool
    default: true
  budget_seconds:
    description: Time allowed for all notice files of the run.
    type: float
    default: 60.0
  timeout:
    description: Timeout of each request, in seconds.
    type: int
    default: 10
  validate_certs:
    description: Verify the hub's TLS certificate.
    type: bool
    default: true
  kubeconfig:
    description: Path of the kubeconfig used to list the user pods; empty uses the in-cluster config.
    type: path
  context:
    description: Context of O(kubeconfig) to use.
    type: str
attributes:
  check_mode:
    support: full
    details: In check mode the text is built and nothing is sent or written.
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
  description: >-
    The run state, with C(announced), C(server_notices) (per node, C(user/server: outcome) lines)
    and C(announce_error) set as they apply.
  returned: success
  type: dict
"""
