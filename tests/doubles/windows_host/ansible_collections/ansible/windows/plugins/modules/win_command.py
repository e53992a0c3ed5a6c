#!/usr/bin/python
"""Double of ansible.windows.win_command for tests: a Windows host's bcdedit and shutdown.exe.

It is not Windows and does not speak WinRM. Tests put this directory first on the collections
path so that ``ansible.windows.win_command`` resolves here and runs on the controller. It handles
the commands that the workstation_dualboot role sends from Windows:

- ``bcdedit /enum firmware`` prints the file ``$WINDOWS_DOUBLE_DIR/bcdedit-enum-firmware.txt``;
- ``bcdedit /set {fwbootmgr} bootsequence {GUID}`` accepts a GUID listed in that output, as
  bcdedit does, and fails for another one;
- ``shutdown.exe /r|/s ...`` succeeds.

Every command and its result is appended as one JSON line to ``$WINDOWS_DOUBLE_DIR/commands.jsonl``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: win_command
short_description: Test double of ansible.windows.win_command (bcdedit and shutdown.exe only)
options:
  _raw_params:
    description: The command line.
    type: str
    required: true
"""


def run(command: str, directory: Path) -> tuple[int, str, str]:
    words = shlex.split(command, posix=False)
    listing = (directory / "bcdedit-enum-firmware.txt").read_text(encoding="utf-8")
    if words[:3] == ["bcdedit", "/enum", "firmware"]:
        return 0, listing, ""
    if words[:4] == ["bcdedit", "/set", "{fwbootmgr}", "bootsequence"] and len(words) == 5:
        if words[4] in re.findall(r"\{[0-9a-fA-F-]{36}\}", listing):
            return 0, "The operation completed successfully.\r\n", ""
        return (
            1,
            "",
            "The element data type specified is not recognized, "
            "or does not apply to the specified entry.\r\n",
        )
    if words and words[0].lower() == "shutdown.exe" and words[1:2] in (["/r"], ["/s"]):
        return 0, "", ""
    return 1, "", f"the Windows double does not handle: {command}\r\n"


def main() -> None:
    module = AnsibleModule(argument_spec={"_raw_params": {"type": "str", "required": True}})
    directory = Path(os.environ["WINDOWS_DOUBLE_DIR"])
    command = module.params["_raw_params"].strip()
    rc, stdout, stderr = run(command, directory)
    with (directory / "commands.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps({"command": command, "rc": rc}) + "\n")
    result = {"cmd": command, "rc": rc, "stdout": stdout, "stderr": stderr, "changed": True}
    if rc != 0:
        module.fail_json(msg="non-zero return code", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
