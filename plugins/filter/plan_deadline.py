"""Filter plugin labshift.lab.plan_deadline: the hand-back deadline of a room at a given time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.windows import deadline_for

DOCUMENTATION = r"""
name: plan_deadline
short_description: Return a room's hand-back deadline from plan.json
version_added: 0.1.0
description:
  - Finds the window of O(room) whose switch span [to_platform_at, next_class_start) contains O(now)
    and returns its hand-back deadline (next class start minus the hand-back buffer) as ISO 8601
    text with its UTC offset.
  - Returns null when O(now) is in teaching time, outside every window's switch span.
positional: room
options:
  _input:
    description: The parsed plan.json document.
    type: dict
    required: true
  room:
    description: Room id, a key of C(labshift_rooms).
    type: str
    required: true
  now:
    description: ISO 8601 time with a UTC offset; the current time when omitted.
    type: str
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Read the hand-back deadline of room a
  ansible.builtin.set_fact:
    __deadline: "{{ lookup('ansible.builtin.file', labshift_output_dir ~ '/plan/plan.json') | from_json
                    | labshift.lab.plan_deadline('a') }}"
"""

RETURN = r"""
_value:
  description: ISO 8601 deadline with offset, or null in teaching time.
  type: str
"""


@filter_errors()
def plan_deadline(
    plan: Mapping[str, Any], room: str, now: str | None = None, language: str = "zh"
) -> str | None:
    """Return the hand-back deadline of ``room`` at ``now`` as ISO text, or None."""
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    deadline = deadline_for(plan, room, moment)
    return deadline.isoformat() if deadline is not None else None


class FilterModule:
    """labshift.lab.plan_deadline."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"plan_deadline": plan_deadline}
