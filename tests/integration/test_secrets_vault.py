"""vault.yml with inline !vault values, as playbooks/secrets.yml writes it, and the AWX inventory import.

AWX imports an SCM inventory source with ``ansible-inventory --list --export`` and no vault password,
stores the output, and gives it to each job as a script inventory together with the password of the
job template's Vault credential. These tests run the same commands on a copy of the example
inventory. Every vault password they use is stored under the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.integration.test_preflight import (  # noqa: E402
    copy_inventory,
    load_vault_file,
    read_vault,
    run_playbook,
    task_result,
    total_changed,
    vault_password,
)

BIN = REPO_ROOT / ".venv" / "bin"
REPORT_TASK = "Secrets | report the changes to the vault"
DECRYPT_ERROR_TASK = "Secrets | report that the vault cannot be decrypted"

pytestmark = pytest.mark.integration


def ansible_env(tmp_path: Path, *, vault_password_file: bool) -> dict[str, str]:
    """Return an environment for Ansible commands, with the repository's vault password client or with none.

    Without the client, Ansible reads a configuration file that names no vault password, as in
    AWX's inventory import.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("ANSIBLE_")}
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-tmp")
    env["LABSHIFT_VAULT_DIR"] = str(tmp_path / "vault-dir")
    if vault_password_file:
        env["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
    else:
        config = tmp_path / "no-vault-password.cfg"
        config.write_text("[defaults]\nretry_files_enabled = false\n", encoding="utf-8")
        env["ANSIBLE_CONFIG"] = str(config)
    return env


def run_ansible(command: str, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run an Ansible command of the virtualenv and capture its output as text."""
    return subprocess.run(
        [str(BIN / command), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def export_inventory(
    inventory: Path, tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the inventory import's command, ``ansible-inventory --list --export``."""
    return run_ansible("ansible-inventory", "-i", str(inventory), "--list", "--export", cwd=tmp_path, env=env)


def write_vault_password(tmp_path: Path, password: str) -> None:
    """Store ``password`` where the vault password client of ansible_env and run_playbook reads it."""
    vault_dir = tmp_path / "vault-dir"
    vault_dir.mkdir(mode=0o700, exist_ok=True)
    password_file = vault_dir / "vault-pass"
    password_file.write_text(password + "\n", encoding="utf-8")
    password_file.chmod(0o600)


def write_whole_file_vault(vault_file: Path, secrets: dict[str, Any], password: str) -> None:
    """Write ``secrets`` as one ansible-vault text, the vault.yml format of earlier LabShift versions."""
    plaintext = yaml.safe_dump(secrets).encode()
    vault_file.write_bytes(VaultLib().encrypt(plaintext, VaultSecret(password.encode()), "example"))
    vault_file.chmod(0o600)


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """Return a copy of the example inventory whose secrets secrets.yml has generated."""
    inventory = copy_inventory(tmp_path / "inventories", "example")
    code, output = run_playbook("secrets.yml", inventory, tmp_path)
    assert code == 0, output
    return inventory


@pytest.mark.parametrize(
    "vault_password_file",
    [False, True],
    ids=["no vault password", "repository ansible.cfg with an unrelated password"],
)
def test_export_keeps_secrets_encrypted(
    example_copy: Path, tmp_path: Path, vault_password_file: bool
) -> None:
    secrets = read_vault(example_copy / "group_vars" / "all" / "vault.yml", vault_password(tmp_path))
    env = ansible_env(tmp_path, vault_password_file=vault_password_file)
    # With ansible.cfg, the client creates a new password in this empty directory, and it opens nothing.
    env["LABSHIFT_VAULT_DIR"] = str(tmp_path / "import-vault-dir")

    completed = export_inventory(example_copy, tmp_path, env)

    assert completed.returncode == 0, completed.stderr
    exported = json.loads(completed.stdout)
    exported_secrets = {
        name: value for name, value in exported["all"]["vars"].items() if name.startswith("vault_")
    }
    assert sorted(exported_secrets) == sorted(secrets)
    for name, value in exported_secrets.items():
        assert list(value) == ["__ansible_vault"], name
        assert value["__ansible_vault"].startswith("$ANSIBLE_VAULT;1.2;AES256;example\n"), name
    for name, secret in secrets.items():
        assert secret not in completed.stdout, f"{name} is in the export in plain text"
        assert secret not in completed.stderr, f"{name} is in the export's messages in plain text"


def test_exported_secret_decrypts_in_job(example_copy: Path, tmp_path: Path) -> None:
    secrets = read_vault(example_copy / "group_vars" / "all" / "vault.yml", vault_password(tmp_path))
    exported = export_inventory(example_copy, tmp_path, ansible_env(tmp_path, vault_password_file=False))
    assert exported.returncode == 0, exported.stderr
    export_file = tmp_path / "export.json"
    export_file.write_text(exported.stdout, encoding="utf-8")
    # AWX gives a job its stored inventory through a script that prints it.
    script = tmp_path / "job-inventory.sh"
    script.write_text(
        '#!/bin/sh\nif [ "$1" = "--list" ]; then cat "' + str(export_file) + '"; else echo "{}"; fi\n',
        encoding="utf-8",
    )
    script.chmod(0o700)
    # The Vault credential of awx.yml: the inventory's password under vault id labshift_awx_vault_id.
    credential_password = tmp_path / "credential-password"
    credential_password.write_text(vault_password(tmp_path), encoding="utf-8")
    host = sorted(json.loads(exported.stdout)["_meta"]["hostvars"])[0]
    env = ansible_env(tmp_path, vault_password_file=False)
    env.update(ANSIBLE_LOAD_CALLBACK_PLUGINS="true", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")

    completed = run_ansible(
        "ansible",
        host,
        "-i",
        str(script),
        "--vault-id",
        f"example@{credential_password}",
        "-m",
        "ansible.builtin.debug",
        "-a",
        "msg={{ [vault_awx_admin_password, labshift_awx_password, vault_labshift_vsphere_password] }}",
        cwd=tmp_path,
        env=env,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout)["plays"][0]["tasks"][0]["hosts"][host]
    assert result["msg"] == [
        secrets["vault_awx_admin_password"],
        secrets["vault_awx_admin_password"],
        secrets["vault_labshift_vsphere_password"],
    ]


@pytest.mark.parametrize(
    ("extra", "converted_message"),
    [
        ([], "从整个文件加密转换为每个键一个行内 !vault 值，全部 3 个密钥都已保留"),
        (
            ["-e", "labshift_language=en"],
            "from a whole-file vault to one inline !vault value per key, keeping all 3",
        ),
    ],
    ids=["zh default", "en"],
)
def test_whole_file_vault_converted(tmp_path: Path, extra: list[str], converted_message: str) -> None:
    inventory = copy_inventory(tmp_path / "inventories", "example")
    vault_file = inventory / "group_vars" / "all" / "vault.yml"
    write_vault_password(tmp_path, "whole-file-password")
    earlier = {
        "vault_awx_admin_password": "admin-from-before",
        "vault_labshift_ipmi_password": "bmc-set-by-staff",
        "vault_labshift_registry_admin_password": "registry: value with YAML characters",
    }
    write_whole_file_vault(vault_file, earlier, "whole-file-password")

    code, output = run_playbook("secrets.yml", inventory, tmp_path, *extra)

    assert code == 0, output
    assert total_changed(output) == 1
    report = task_result(output, REPORT_TASK)["msg"]
    assert converted_message in report[0]
    assert not vault_file.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT")
    assert vault_file.stat().st_mode & 0o777 == 0o600
    secrets = read_vault(vault_file, "whole-file-password")
    for name, value in earlier.items():
        assert secrets[name] == value
    assert sorted(secrets) == sorted(
        [*earlier, "vault_labshift_registry_database_password", "vault_labshift_vsphere_password"]
    )

    written = vault_file.read_bytes()
    code, output = run_playbook("secrets.yml", inventory, tmp_path, *extra)

    assert code == 0, output
    assert total_changed(output) == 0
    assert vault_file.read_bytes() == written


def test_whole_file_vault_with_number_rejected(tmp_path: Path) -> None:
    inventory = copy_inventory(tmp_path / "inventories", "example")
    vault_file = inventory / "group_vars" / "all" / "vault.yml"
    write_vault_password(tmp_path, "whole-file-password")
    write_whole_file_vault(vault_file, {"vault_labshift_port": 8443}, "whole-file-password")
    before = vault_file.read_bytes()

    code, output = run_playbook("secrets.yml", inventory, tmp_path, "-e", "labshift_language=en")

    assert code == 2
    result = task_result(output, "Secrets | check that every value to encrypt is a string")
    assert "The values of vault_labshift_port in" in result["msg"]
    assert "can only be a string" in result["msg"]
    assert vault_file.read_bytes() == before


def test_added_secret_keeps_other_ciphertexts(example_copy: Path, tmp_path: Path) -> None:
    vault_file = example_copy / "group_vars" / "all" / "vault.yml"
    before = load_vault_file(vault_file)
    (example_copy / "group_vars" / "all" / "extra.yml").write_text(
        'labshift_test_token: "{{ vault_labshift_test_token }}"\n', encoding="utf-8"
    )
    with vault_file.open("a", encoding="utf-8") as stream:
        stream.write("vault_labshift_test_plain: typed by staff\n")

    code, output = run_playbook("secrets.yml", example_copy, tmp_path, "-e", "labshift_language=en")

    assert code == 0, output
    assert total_changed(output) == 1
    report = task_result(output, REPORT_TASK)["msg"]
    assert "Encrypted the plain values of vault_labshift_test_plain" in report[0]
    assert "Added vault_labshift_test_token" in report[1]
    after = load_vault_file(vault_file)
    for name, value in before.items():
        assert after[name] == value, f"{name} was encrypted again"
    secrets = read_vault(vault_file, vault_password(tmp_path))
    assert secrets["vault_labshift_test_plain"] == "typed by staff"
    assert len(secrets["vault_labshift_test_token"]) == 32


@pytest.mark.parametrize(
    ("vault_password_file", "vault_dir"),
    [(True, "new-vault-dir"), (False, "vault-dir")],
    ids=["password file replaced", "no vault password"],
)
def test_wrong_vault_password_stops_run(
    example_copy: Path, tmp_path: Path, vault_password_file: bool, vault_dir: str
) -> None:
    vault_file = example_copy / "group_vars" / "all" / "vault.yml"
    before = vault_file.read_bytes()
    (example_copy / "group_vars" / "all" / "extra.yml").write_text(
        'labshift_test_token: "{{ vault_labshift_test_token }}"\n', encoding="utf-8"
    )
    env = ansible_env(tmp_path, vault_password_file=vault_password_file)
    # "new-vault-dir" is a controller account without the backup: the client creates a new password
    # there. With "vault-dir", secrets.yml could encrypt new values, but Ansible has no password to
    # decrypt the existing ones.
    env["LABSHIFT_VAULT_DIR"] = str(tmp_path / vault_dir)
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json")

    completed = run_ansible(
        "ansible-playbook",
        "-i",
        str(example_copy),
        str(REPO_ROOT / "playbooks" / "secrets.yml"),
        "-e",
        "labshift_language=en",
        cwd=REPO_ROOT,
        env=env,
    )

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    message = task_result(json.loads(completed.stdout), DECRYPT_ERROR_TASK)["msg"]
    assert message.startswith(f"{vault_file} cannot be decrypted.")
    assert f"{tmp_path / vault_dir}/vault-pass" in message
    assert "restore the file from your backup" in message
    assert vault_file.read_bytes() == before
