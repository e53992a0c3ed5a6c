#!/usr/bin/python
"""Validate the planner's AWX schedules and list the job templates and schedules to create."""

from __future__ import annotations

DOCUMENTATION = r"""
module: awx_schedule_plan
short_description: Turn the planner's awx-schedules.json into AWX job templates and schedules
description:
  - Reads the list that C(playbooks/plan.yml) writes to C(<labshift_output_dir>/plan/awx-schedules.json),
    checks every entry and rrule, and returns the job templates (two per room) and the schedules that
    C(playbooks/awx.yml) creates with awx.awx.
  - Each rrule must pass the checks AWX 24 applies (one DTSTART with a time zone, INTERVAL in every
    rule, no EXDATE, RDATE, SECONDLY, numbered BYDAY, COUNT above 999 or COUNT with UNTIL) and the
    LabShift rules (DTSTART with a TZID, UNTIL in UTC).
  - Every problem in the file is reported in one failure, before any AWX object changes.
  - M(labshift.lab.awx_schedules) then applies the schedules to AWX and deletes those the plan no
    longer contains.
version_added: 0.1.0
author: LabShift developers
options:
  plan_file:
    description: Path of awx-schedules.json on the host that runs the module.
    type: path
    required: true
  rooms:
    description: The C(labshift_rooms) mapping of room id to its inventory group and names.
    type: dict
    required: true
  name_prefix:
    description: First word of every job template name, followed by the room and the direction.
    type: str
    default: LabShift
  language:
    description: Language of error messages, normally C(labshift_language).
    type: str
    default: zh
    choices: [zh, en]
attributes:
  check_mode:
    support: full
    details: The module only reads the plan file.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read and check the planned schedules
  labshift.lab.awx_schedule_plan:
    plan_file: "{{ labshift_output_dir }}/plan/awx-schedules.json"
    rooms: "{{ labshift_rooms }}"
    language: "{{ labshift_language }}"
  register: awx_plan
"""

RETURN = r"""
job_templates:
  description: Two job templates per room, sorted by room id.
  returned: always
  type: list
  elements: dict
  sample:
    - name: "LabShift room a: switch to platform"
      room: a
      job: to_platform
      limit: room_a
      extra_vars: {labshift_switch_direction: platform, labshift_switch_rooms: a}
schedules:
  description: One entry per planned rrule, with the job template it belongs to.
  returned: always
  type: list
  elements: dict
  sample:
    - name: labshift-a-to-platform-001
      unified_job_template: "LabShift room a: switch to platform"
      rrule: "DTSTART;TZID=Asia/Shanghai:20260907T114000 RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20260930T034000Z"
      description: "Room a: switch to platform"
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.labshift.lab.plugins.module_utils.awx_schedules import (  # noqa: E402
    job_templates,
    load_plan,
    schedules,
)
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "plan_file": {"type": "path", "required": True},
            "rooms": {"type": "dict", "required": True},
            "name_prefix": {"type": "str", "default": "LabShift"},
            "language": {"type": "str", "default": "zh", "choices": ["zh", "en"]},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        entries = load_plan(params["plan_file"])
        planned = schedules(entries, params["rooms"], params["name_prefix"])
    except LabShiftError as error:
        module.fail_json(msg=error.message(params["language"]), error_key=error.key)

    module.exit_json(
        changed=False,
        job_templates=[spec.as_dict() for spec in job_templates(params["rooms"], params["name_prefix"])],
        schedules=planned,
    )


if __name__ == "__main__":
    main()
