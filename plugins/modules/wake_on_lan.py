#!/usr/bin/python
"""Send Wake-on-LAN magic packets for a whole room from the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
module: wake_on_lan
short_description: Send Wake-on-LAN magic packets to many workstations in one call
description:
  - Sends magic packets (six 0xFF bytes, then the MAC address sixteen times, optionally a SecureOn
    password) for every MAC in O(macs) to the directed broadcast address of the lab subnet.
  - All packets leave from one UDP socket on the host that runs the module, usually the controller
    with delegate_to set to localhost and run_once set to true, so one task wakes a whole room.
  - Every MAC is validated before the first packet is sent; invalid or duplicate MACs fail the task
    with a Chinese or English message chosen by O(language).
  - Unlike M(community.general.wakeonlan), which sends for one MAC per call, this module batches a
    room and returns per-MAC results.
version_added: 0.1.0
author: LabShift developers
options:
  macs:
    description:
      - MAC addresses to wake. Each item is either a MAC string or a mapping with C(mac) and C(host)
        (the inventory host name, used in results and error messages).
      - Accepted forms are C(aa:bb:cc:dd:ee:ff), C(aa-bb-cc-dd-ee-ff), C(aabbccddeeff) and
        C(aabb.ccdd.eeff).
    type: list
    elements: raw
    required: true
  broadcast:
    description:
      - Destination IPv4 address, normally the directed broadcast address of the lab subnet such as
        C(10.20.3.255).
      - When omitted, it is computed from O(network).
    type: str
  network:
    description:
      - The lab subnet, normally C(labshift_lab_network) such as C(10.20.3.0/24). Used only when
        O(broadcast) is omitted.
    type: str
  port:
    description: UDP destination port. Most NICs listen on 9 (discard); some on 7.
    type: int
    default: 9
  repeat:
    description: Number of rounds; each round sends one packet per MAC.
    type: int
    default: 3
  interval_ms:
    description: Pause between rounds, in milliseconds.
    type: int
    default: 100
  password:
    description: SecureOn password of 4 or 6 hex bytes, appended to every packet.
    type: str
  language:
    description: Language of error messages, normally C(labshift_language).
    type: str
    default: zh
    choices: [zh, en]
attributes:
  check_mode:
    support: full
    details: In check mode the MACs and settings are validated and no packet is sent.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Wake the workstations of room a
  labshift.lab.wake_on_lan:
    macs: "{{ groups['room_a'] | map('extract', hostvars) | map(attribute='workstation_mac') | list }}"
    network: "{{ labshift_lab_network }}"
    language: "{{ labshift_language }}"
  delegate_to: localhost
  run_once: true

- name: Wake two hosts, naming them in the results
  labshift.lab.wake_on_lan:
    macs:
      - {host: ws-a-01, mac: "52:54:00:12:34:01"}
      - {host: ws-a-02, mac: "52:54:00:12:34:02"}
    broadcast: 10.20.3.255
    repeat: 5
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
broadcast:
  description: Destination address the packets were sent to.
  returned: always
  type: str
  sample: 10.20.3.255
port:
  description: Destination UDP port.
  returned: always
  type: int
  sample: 9
results:
  description: One entry per MAC, in the order of O(macs).
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Inventory host name, or C(#index) for a bare MAC string.
      type: str
    mac:
      description: MAC address in lower-case colon form.
      type: str
    packets_sent:
      description: Packets sent without a socket error; 0 in check mode.
      type: int
    ok:
      description: True when every round was sent.
      type: bool
    errors:
      description: Socket errors raised while sending to this MAC.
      type: list
      elements: str
failed_hosts:
  description: Host names whose packets could not be sent.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError  # noqa: E402
from ansible_collections.labshift.lab.plugins.module_utils.wol import (  # noqa: E402
    WakeResult,
    directed_broadcast,
    parse_secureon_password,
    parse_targets,
    send_magic_packets,
    validate_broadcast,
    validate_settings,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "macs": {"type": "list", "elements": "raw", "required": True},
            "broadcast": {"type": "str"},
            "network": {"type": "str"},
            "port": {"type": "int", "default": 9},
            "repeat": {"type": "int", "default": 3},
            "interval_ms": {"type": "int", "default": 100},
            "password": {"type": "str", "no_log": True},
            "language": {"type": "str", "default": "zh", "choices": ["zh", "en"]},
        },
        required_one_of=[("broadcast", "network")],
        supports_check_mode=True,
    )
    params = module.params
    language = params["language"]

    try:
        targets = parse_targets(params["macs"])
        if params["broadcast"]:
            broadcast = validate_broadcast(params["broadcast"])
        else:
            broadcast = directed_broadcast(params["network"])
        port, repeat, interval_ms = validate_settings(params["port"], params["repeat"], params["interval_ms"])
        password = parse_secureon_password(params["password"])
    except LabShiftError as error:
        module.fail_json(msg=error.message(language), error_key=error.key)

    if module.check_mode:
        results = [WakeResult(host=target.host, mac=target.mac_text) for target in targets]
    else:
        results = send_magic_packets(
            targets, broadcast, port=port, repeat=repeat, interval_ms=interval_ms, password=password
        )

    failed_hosts = [result.host for result in results if result.errors]
    module.exit_json(
        changed=not module.check_mode,
        broadcast=broadcast,
        port=port,
        results=[result.as_dict() for result in results],
        failed_hosts=failed_hosts,
    )


if __name__ == "__main__":
    main()
