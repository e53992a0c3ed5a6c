"""Filter plugin labshift.lab.bcd_firmware_entry: the GUID of a firmware boot entry in bcdedit output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.bcdedit import find_firmware_entry

DOCUMENTATION = r"""
name: bcd_firmware_entry
short_description: Return the GUID of the firmware boot entry whose text matches a pattern
version_added: 0.1.0
description:
  - Reads the output of C(bcdedit /enum firmware) and returns the identifier GUID of the first
    firmware application whose block matches O(pattern), for C(bcdedit /set {fwbootmgr} bootsequence).
  - Works with localized output (for example a Chinese Windows), because entries are recognised by
    their layout and text, not by field names. Returns an empty string when no entry matches.
positional: pattern
options:
  _input:
    description: Standard output of C(bcdedit /enum firmware).
    type: str
    required: true
  pattern:
    description: Python regular expression searched in each entry's text, such as C((?i)debian|ubuntu).
    type: str
    required: true
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Find the Linux firmware entry
  ansible.builtin.set_fact:
    __linux_guid: "{{ __bcd.stdout | labshift.lab.bcd_firmware_entry('(?i)debian|ubuntu') }}"
"""

RETURN = r"""
_value:
  description: The entry's GUID in braces, or an empty string.
  type: str
"""


@filter_errors()
def bcd_firmware_entry(output: Any, pattern: str, language: str = "zh") -> str:
    """Return the GUID of the first firmware entry in ``output`` whose text matches ``pattern``."""
    if not isinstance(output, str):
        raise AnsibleFilterError(
            f"bcd_firmware_entry expects the text output of bcdedit, got {type(output).__name__}"
        )
    return find_firmware_entry(output, pattern)


class FilterModule:
    """labshift.lab.bcd_firmware_entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"bcd_firmware_entry": bcd_firmware_entry}
