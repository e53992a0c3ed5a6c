"""Run ansible-playbook from the test virtualenv on localhost with the repository's ansible.cfg."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ANSIBLE_BIN = Path(sys.executable).parent


def run_local_playbook(
    playbook: Path,
    *extra: str,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 180,
) -> subprocess.CompletedProcess[str]:
    """Run ``playbook`` against localhost over the local connection and capture its output.

    ``extra`` follows the playbook on the command line; ``env`` adds to the inherited environment.
    """
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), **(env or {}))
    command = [
        str(ANSIBLE_BIN / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
        *extra,
    ]
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
