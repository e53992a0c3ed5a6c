#!/usr/bin/env python3
"""Ansible vault password client: print a vault password, creating it on first use.

ansible.cfg names this script as vault_password_file, so Ansible runs it as
``labshift-vault-client.py --vault-id default`` and gets one password for every inventory of this
controller account. A vault id listed in vault_identity_list gets its own password instead. The
password lives outside the repository in ``$LABSHIFT_VAULT_DIR`` (default ``~/.config/labshift``):
``vault-pass`` for the default id, ``vault-pass-<id>`` for others, mode 0600. When the file is
missing, a random password is generated and stored, and the path is reported on stderr so staff
can back it up: without it no vault.yml encrypted with it can be decrypted.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from pathlib import Path

VAULT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def password_path(vault_id: str) -> Path:
    """Return the password file of ``vault_id``."""
    base = Path(os.environ.get("LABSHIFT_VAULT_DIR") or Path.home() / ".config" / "labshift")
    if vault_id == "default":
        return base / "vault-pass"
    return base / f"vault-pass-{vault_id}"


def read_or_create(path: Path) -> str:
    """Return the password stored in ``path``, generating and storing a new one when it is missing."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            # Another Ansible process created it first; use that password.
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(secrets.token_urlsafe(32) + "\n")
            print(f"labshift: created vault password file {path}; back it up", file=sys.stderr)
    password = path.read_text(encoding="utf-8").strip()
    if not password:
        raise SystemExit(f"labshift: vault password file {path} is empty: restore it from your backup")
    return password


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vault-id", default="default", help="vault id, usually the inventory name")
    args = parser.parse_args()
    if not VAULT_ID_PATTERN.match(args.vault_id):
        message = f"labshift: vault id {args.vault_id!r} is invalid: use letters, digits, '.', '_' or '-'"
        print(message, file=sys.stderr)
        return 2
    print(read_or_create(password_path(args.vault_id)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
