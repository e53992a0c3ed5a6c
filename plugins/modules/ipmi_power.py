#!/usr/bin/python
"""Set the power state of many workstations through their BMCs, concurrently."""

from __future__ import annotations

DOCUMENTATION = r"""
module: ipmi_power
short_description: Set the power state of a room's workstations through IPMI, concurrently
description:
  - Opens an IPMI 2.0 LAN session to each BMC in O(hosts) with pyghmi, reads the power state and
    requests O(state) when it differs, using a thread pool so one call handles a whole room.
  - This is a batch form of M(community.general.ipmi_power), which handles one BMC per call and is
    built on the same pyghmi library.
  - Every entry is validated before any BMC is contacted. A BMC that fails (login, timeout) is
    reported in its result and the task goes on with the others; O(fail_on_error) decides whether
    the task then fails.
version_added: 0.1.0
author: LabShift developers
requirements:
  - pyghmi (PyPI) on the host that runs the module
options:
  hosts:
    description: BMCs to act on.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Inventory host name, used in results and messages.
        type: str
        required: true
      address:
        description: BMC address, normally C(workstation_bmc_address).
        type: str
      port:
        description: BMC UDP port.
        type: int
        default: 623
  state:
    description:
      - Requested power state. C(on), C(off) and C(shutdown) (soft power-off through ACPI) change
        nothing on a machine already in that state; C(reset) always resets; C(boot) powers on a
        machine that is off and resets one that is on.
    type: str
    choices: [on, off, shutdown, reset, boot]
    required: true
  username:
    description: BMC user name.
    type: str
    required: true
  password:
    description: BMC password, from ansible-vault.
    type: str
    required: true
  workers:
    description: Maximum number of BMC sessions open at once.
    type: int
    default: 16
  fail_on_error:
    description: Fail the task when any BMC returns an error, after all BMCs were tried.
    type: bool
    default: false
  language:
    description: Language of error messages, normally C(labshift_language).
    type: str
    default: zh
    choices: [zh, en]
attributes:
  check_mode:
    support: full
    details: In check mode the power state is read and no change is requested.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Power on two BMCs given by address
  labshift.lab.ipmi_power:
    hosts:
      - {host: ws-a-01, address: 10.20.4.11}
      - {host: ws-a-02, address: 10.20.4.12}
    state: "on"
    username: admin
    password: "{{ vault_labshift_ipmi_password }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
results:
  description: One entry per BMC, in the order of O(hosts).
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Inventory host name.
      type: str
    bmc_address:
      description: BMC address.
      type: str
    before:
      description: Power state read before the request (C(on) or C(off)), or null on error.
      type: str
    after:
      description: Power state read after the request; equal to C(before) when nothing changed.
      type: str
    changed:
      description: True when a request was sent (or would be sent in check mode).
      type: bool
    ok:
      description: False when the BMC could not be reached or refused the request.
      type: bool
    error:
      description: Error text for a failed BMC, otherwise null.
      type: str
failed_hosts:
  description: Host names whose BMC returned an error.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError  # noqa: E402
from ansible_collections.labshift.lab.plugins.module_utils.power_ipmi import (  # noqa: E402
    POWER_STATES,
    parse_targets,
    set_power_many,
)

try:
    import pyghmi  # type: ignore[import-untyped]  # noqa: F401
except ImportError:
    HAS_PYGHMI = False
else:
    HAS_PYGHMI = True


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "hosts": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "host": {"type": "str", "required": True},
                    "address": {"type": "str"},
                    "port": {"type": "int", "default": 623},
                },
            },
            "state": {"type": "str", "required": True, "choices": list(POWER_STATES)},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "workers": {"type": "int", "default": 16},
            "fail_on_error": {"type": "bool", "default": False},
            "language": {"type": "str", "default": "zh", "choices": ["zh", "en"]},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not HAS_PYGHMI:
        module.fail_json(msg=missing_required_lib("pyghmi"))

    try:
        targets = parse_targets(params["hosts"])
    except LabShiftError as error:
        module.fail_json(msg=error.message(params["language"]), error_key=error.key)

    results = set_power_many(
        targets,
        params["state"],
        params["username"],
        params["password"],
        workers=params["workers"],
        check_mode=module.check_mode,
    )
    failed_hosts = [result.host for result in results if result.error]
    output = {
        "changed": any(result.changed for result in results),
        "results": [result.as_dict() for result in results],
        "failed_hosts": failed_hosts,
    }
    if failed_hosts and params["fail_on_error"]:
        failure = LabShiftError("ipmi.request_failed", hosts=", ".join(failed_hosts))
        module.fail_json(msg=failure.message(params["language"]), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
