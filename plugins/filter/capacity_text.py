"""Filter plugin: the capacity report as readable text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.capacity import capacity_text as render_text

DOCUMENTATION = r"""
name: capacity_text
short_description: Render a capacity report as readable lines in Chinese or English
version_added: 0.1.0
description:
  - Turns the mapping returned by P(labshift.lab.capacity_report#filter) into lines for people.
  - The text has a title with the backend and card count, one line per preset with its total and
    per-room sessions, and the presets that fit on no node with the reason.
options:
  _input:
    description: A capacity report.
    type: dict
    required: true
  language:
    description: C(zh) or C(en), normally C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Print the capacity report
  ansible.builtin.debug:
    msg: "{{ (__presets_capacity | labshift.lab.capacity_text(language=labshift_language)).splitlines() }}"
"""

RETURN = r"""
_value:
  description: The report, lines separated by newlines.
  type: str
"""


@filter_errors()
def capacity_text(report: Mapping[str, Any], language: str | None = None) -> str:
    """Return the report as text in ``language``."""
    return render_text(report, language)


class FilterModule:
    """Capacity text filter."""

    def filters(self) -> dict[str, Any]:
        return {"capacity_text": capacity_text}
