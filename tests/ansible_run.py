"""Run ansible-playbook from the test virtualenv on localhost with the repository's ansible.cfg."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ANSIBLE_BIN = Path(sys.executable).parent


def run_local_playbook(playbook: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``playbook`` against localhost over the local connection and capture its output."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))
    command = [
        str(ANSIBLE_BIN / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
