#!/usr/bin/python
"""Create, update and delete the planned AWX schedules of the LabShift job templates in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: awx_schedules
short_description: Make the schedules of the LabShift job templates in AWX match the plan, in one call
description:
  - Uses the awx.awx collection's API client (the code behind M(awx.awx.schedule)) with one login
    for the whole plan, instead of one module run and one login per schedule.
  - Reads the existing schedules of every job template in O(job_templates), updates those whose
    fields differ from O(schedules), creates the missing ones and deletes the schedules that O(schedules)
    does not contain for that job template, so a new semester's plan replaces the old one.
  - O(schedules) is normally RV(labshift.lab.awx_schedule_plan#module:schedules), which has already
    checked every rrule.
version_added: 0.1.0
author: LabShift developers
extends_documentation_fragment:
  - awx.awx.auth
options:
  organization:
    description: Organization of the job templates.
    type: str
    required: true
  job_templates:
    description: Names of the job templates whose schedules this module manages.
    type: list
    elements: str
    required: true
  schedules:
    description: Planned schedules.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Schedule name, unique per job template.
        type: str
        required: true
      unified_job_template:
        description: Name of the job template, one of O(job_templates).
        type: str
        required: true
      rrule:
        description: AWX rrule text.
        type: str
        required: true
      description:
        description: Schedule description.
        type: str
        default: ""
attributes:
  check_mode:
    support: partial
    details: In check mode the module stops at the first change it would make and reports changed.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Planned schedules
  labshift.lab.awx_schedules:
    controller_host: "{{ labshift_awx_host }}"
    controller_username: "{{ labshift_awx_username }}"
    controller_password: "{{ labshift_awx_password }}"
    organization: LabShift
    job_templates: "{{ awx_plan.job_templates | map(attribute='name') | list }}"
    schedules: "{{ awx_plan.schedules }}"
"""

RETURN = r"""
created:
  description: Names of the schedules created.
  returned: always
  type: list
  elements: str
updated:
  description: Names of the schedules whose fields changed.
  returned: always
  type: list
  elements: str
deleted:
  description: Names of the schedules deleted because the plan no longer contains them.
  returned: always
  type: list
  elements: str
"""

from typing import Any  # noqa: E402

from ansible_collections.awx.awx.plugins.module_utils.controller_api import (  # type: ignore[import-untyped]  # noqa: E402
    ControllerAPIModule,
)


def main() -> None:
    module = ControllerAPIModule(
        argument_spec={
            "organization": {"type": "str", "required": True},
            "job_templates": {"type": "list", "elements": "str", "required": True},
            "schedules": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "name": {"type": "str", "required": True},
                    "unified_job_template": {"type": "str", "required": True},
                    "rrule": {"type": "str", "required": True},
                    "description": {"type": "str", "default": ""},
                },
            },
        },
    )
    params = module.params
    organization_id = module.resolve_name_to_id("organizations", params["organization"])

    templates: dict[str, int] = {}
    existing: dict[tuple[str, int], dict[str, Any]] = {}
    for template_name in params["job_templates"]:
        template = module.get_exactly_one(
            "job_templates", name_or_id=template_name, data={"organization": organization_id}
        )
        templates[template_name] = template["id"]
        listed = module.get_all_endpoint("schedules", data={"unified_job_template": template["id"]})
        for item in listed["json"]["results"]:
            existing[(item["name"], template["id"])] = item

    created: list[str] = []
    updated: list[str] = []
    planned_keys: set[tuple[str, int]] = set()
    for schedule in params["schedules"]:
        template_name = schedule["unified_job_template"]
        if template_name not in templates:
            module.fail_json(
                msg=f"Schedule {schedule['name']} names job template {template_name}, "
                "which is not in job_templates."
            )
        key = (schedule["name"], templates[template_name])
        planned_keys.add(key)
        fields = {
            "name": schedule["name"],
            "unified_job_template": templates[template_name],
            "rrule": schedule["rrule"],
            "description": schedule["description"],
            "enabled": True,
        }
        module.json_output["changed"] = False
        module.create_or_update_if_needed(
            existing.get(key), fields, endpoint="schedules", item_type="schedule", auto_exit=False
        )
        if module.json_output["changed"]:
            (updated if key in existing else created).append(schedule["name"])

    deleted: list[str] = []
    for key, item in sorted(existing.items()):
        if key in planned_keys:
            continue
        response = module.delete_endpoint(item["url"])
        if response["status_code"] not in (202, 204):
            module.fail_json(msg=f"Unable to delete schedule {item['name']}: {response.get('json')}")
        deleted.append(item["name"])

    module.exit_json(
        changed=bool(created or updated or deleted), created=created, updated=updated, deleted=deleted
    )


if __name__ == "__main__":
    main()
