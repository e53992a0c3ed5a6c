"""Read the firmware boot entries from the output of ``bcdedit /enum firmware`` on Windows.

bcdedit prints one block per entry, separated by blank lines: a heading, a line of dashes, then
``name value`` lines with the entry's identifier first. Windows localizes the headings and some
field names (a Chinese Windows prints 标识符 for identifier and 描述 for description), so an entry is
recognised by its identifier's position and its text, never by a field name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register

GUID = re.compile(r"\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}")
_BRACED = re.compile(r"\{[^{}\s]+\}")

register(
    {
        "bcdedit.pattern.invalid": {
            "zh": "workstation_dualboot_linux_firmware_pattern 的值 {pattern!r} "
            "不是有效的正则表达式（{error}）：请改为 Python 正则表达式，例如 '(?i)debian|ubuntu'。",
            "en": "workstation_dualboot_linux_firmware_pattern {pattern!r} is not a valid regular expression "
            "({error}): set a Python regular expression such as '(?i)debian|ubuntu'.",
        },
    }
)


@dataclass(frozen=True)
class FirmwareEntry:
    """One block of the output: the entry's identifier (a GUID or a name such as {bootmgr}) and its text."""

    identifier: str
    text: str


def firmware_entries(output: str) -> list[FirmwareEntry]:
    """Split ``output`` into its entries, in the order bcdedit printed them."""
    text = output.replace("\r\n", "\n").replace("\r", "\n")
    entries = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        underline = next((i for i, line in enumerate(lines) if set(line.strip()) == {"-"}), None)
        if underline is None:
            continue
        first_field = lines[underline + 1] if underline + 1 < len(lines) else ""
        identifier = _BRACED.search(first_field)
        if identifier:
            entries.append(FirmwareEntry(identifier=identifier.group(0), text="\n".join(lines)))
    return entries


def find_firmware_entry(output: str, pattern: str) -> str:
    """Return the GUID of the first firmware application whose text matches ``pattern``, or ''.

    Entries with a named identifier ({fwbootmgr}, {bootmgr}) are skipped: the firmware boot
    manager's display order lists every GUID, and Windows Boot Manager is the teaching system.
    """
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise LabShiftError("bcdedit.pattern.invalid", pattern=pattern, error=error) from None
    for entry in firmware_entries(output):
        if GUID.fullmatch(entry.identifier) and regex.search(entry.text):
            return entry.identifier
    return ""
