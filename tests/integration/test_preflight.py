"""Integration tests of secrets.yml and preflight.yml on copies of the sandbox inventory.

Preflight connects to no host, so these tests need no container; secrets.yml writes its vault and
vault password under the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK_BIN = REPO / ".venv" / "bin" / "ansible-playbook"
VAULT_CLIENT = REPO / "files" / "vault" / "labshift-vault-client.py"

pytestmark = pytest.mark.integration


def copy_inventory(target: Path, name: str = "sandbox") -> Path:
    """Copy an inventory's hosts.yml and group_vars (not its data files or vault) to ``target``/``name``."""
    inventory = target / name
    inventory.mkdir(parents=True)
    shutil.copy(REPO / "inventories" / name / "hosts.yml", inventory / "hosts.yml")
    shutil.copytree(
        REPO / "inventories" / name / "group_vars",
        inventory / "group_vars",
        ignore=shutil.ignore_patterns("vault.yml"),
    )
    return inventory


def run_playbook(
    playbook: str, inventory: Path, tmp_path: Path, *extra: str, env_extra: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Run a playbook with the JSON callback and return the exit code and the parsed output."""
    env = dict(os.environ)
    env.update(env_extra or {})
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            # Replaces the profile_tasks callback of ansible.cfg, whose timings would break the JSON output.
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
            "ANSIBLE_VAULT_PASSWORD_FILE": str(VAULT_CLIENT),
            "LABSHIFT_VAULT_DIR": str(tmp_path / "vault-dir"),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        }
    )
    completed = subprocess.run(
        [str(PLAYBOOK_BIN), "-i", str(inventory), str(REPO / "playbooks" / playbook), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr
    return completed.returncode, json.loads(completed.stdout)


def task_result(output: dict[str, Any], task_name: str) -> dict[str, Any]:
    """Return the result of the first host that ran ``task_name``."""
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == task_name:
                return next(iter(task["hosts"].values()))
    raise AssertionError(f"task {task_name!r} did not run")


def total_changed(output: dict[str, Any]) -> int:
    return sum(stats["changed"] for stats in output["stats"].values())


def break_inventory(inventory: Path) -> None:
    """Introduce five problems into a copied sandbox inventory."""
    hosts_file = inventory / "hosts.yml"
    data = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    children = data["all"]["children"]
    room_a = children["workstations"]["children"]["room_a"]["hosts"]
    room_b = children["workstations"]["children"]["room_b"]["hosts"]

    room_b["ws-b02"]["workstation_mac"] = room_a["ws-a01"]["workstation_mac"]
    room_a["ws-a02"]["ansible_host"] = "192.0.2.10"
    del room_b["ws-b01"]["workstation_gpu_memory_mib"]
    room_a["ws-a01"]["workstation_boot_method"] = "ipmi"
    del children["control_plane"]["hosts"]["cp-03"]

    hosts_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def sandbox_copy(tmp_path: Path) -> Path:
    inventory = copy_inventory(tmp_path / "inventories")
    code, output = run_playbook("secrets.yml", inventory, tmp_path)
    assert code == 0, output
    return inventory


@dataclass(frozen=True)
class InlineVault:
    """The ciphertext of one inline !vault value."""

    ciphertext: str


class VaultFileLoader(yaml.SafeLoader):
    """YAML loader that keeps each !vault value as an InlineVault, without decrypting it."""


def construct_inline_vault(loader: yaml.SafeLoader, node: yaml.Node) -> InlineVault:
    assert isinstance(node, yaml.ScalarNode), f"!vault must tag a string, got {type(node).__name__}"
    return InlineVault(loader.construct_scalar(node))


VaultFileLoader.add_constructor("!vault", construct_inline_vault)


def load_vault_file(vault_file: Path) -> dict[str, Any]:
    """Return the entries of a vault.yml written with inline values, each !vault value as an InlineVault."""
    entries: dict[str, Any] = yaml.load(vault_file.read_text(encoding="utf-8"), Loader=VaultFileLoader)
    return entries


def read_vault(vault_file: Path, password: str) -> dict[str, str]:
    """Decrypt each value of ``vault_file`` with ``password``.

    The calling test fails when a value is not an inline !vault value.
    """
    entries = load_vault_file(vault_file)
    plain = sorted(name for name, value in entries.items() if not isinstance(value, InlineVault))
    assert plain == [], f"{vault_file} has values that are not encrypted: {plain}"
    vault = VaultLib([("default", VaultSecret(password.encode()))])
    return {name: vault.decrypt(value.ciphertext).decode() for name, value in entries.items()}


def vault_password(tmp_path: Path) -> str:
    """Return the vault password that run_playbook's vault client keeps under ``tmp_path``."""
    return (tmp_path / "vault-dir" / "vault-pass").read_text(encoding="utf-8").strip()


def test_secrets_generated_encrypted_stable(tmp_path: Path) -> None:
    inventory = copy_inventory(tmp_path / "inventories")
    (inventory / "group_vars" / "all" / "test_secrets.yml").write_text(
        "---\n"
        'labshift_test_password: "{{ vault_labshift_test_password }}"\n'
        'labshift_test_given: "{{ vault_labshift_test_given }}"\n'
        "labshift_test_optional: \"{{ vault_labshift_test_optional | default('') }}\"\n",
        encoding="utf-8",
    )
    staff_secret_env = {"LABSHIFT_SECRET_VAULT_LABSHIFT_TEST_GIVEN": "given-by-staff"}
    code, output = run_playbook("secrets.yml", inventory, tmp_path, env_extra=staff_secret_env)
    assert code == 0, output
    assert total_changed(output) == 1

    vault_file = inventory / "group_vars" / "all" / "vault.yml"
    assert not vault_file.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT")
    assert vault_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "vault-dir" / "vault-pass").stat().st_mode & 0o777 == 0o600
    for value in load_vault_file(vault_file).values():
        assert value.ciphertext.startswith("$ANSIBLE_VAULT;1.2;AES256;sandbox\n")

    secrets = read_vault(vault_file, vault_password(tmp_path))
    # The sandbox's own topic files may require more secrets; the optional one is never generated.
    assert "vault_labshift_test_given" in secrets
    assert "vault_labshift_test_password" in secrets
    assert "vault_labshift_test_optional" not in secrets
    assert secrets["vault_labshift_test_given"] == "given-by-staff"
    assert len(secrets["vault_labshift_test_password"]) == 32
    assert secrets["vault_labshift_test_password"].isalnum()

    code, output = run_playbook("secrets.yml", inventory, tmp_path)
    assert code == 0
    assert total_changed(output) == 0
    assert read_vault(vault_file, vault_password(tmp_path)) == secrets


def test_preflight_passes_sandbox(sandbox_copy: Path, tmp_path: Path) -> None:
    code, output = run_playbook("preflight.yml", sandbox_copy, tmp_path)

    result = task_result(output, "Preflight | check groups, settings and workstations")
    assert code == 0, result.get("msg")
    assert result["problems"] == []
    assert result["checked_hosts"] == 10


def test_preflight_passes_example_after_secrets(tmp_path: Path) -> None:
    inventory = copy_inventory(tmp_path / "inventories", "example")
    code, output = run_playbook("preflight.yml", inventory, tmp_path, "-e", "labshift_language=en")
    assert code == 2
    missing = task_result(output, "Preflight | check groups, settings and workstations")["problems"]
    assert {problem["key"] for problem in missing} == {"inventory.setting_undefined"}

    code, output = run_playbook("secrets.yml", inventory, tmp_path)
    assert code == 0, output
    code, output = run_playbook("preflight.yml", inventory, tmp_path)

    result = task_result(output, "Preflight | check groups, settings and workstations")
    assert code == 0, result.get("msg")
    assert result["problems"] == []
    assert result["checked_hosts"] == 56


EXPECTED_EN = [
    "Preflight found 5 problems",
    "Group control_plane has 2 hosts",
    "Workstation ws-a02: ansible_host value '192.0.2.10' is outside the lab network 127.0.8.0/21",
    "Workstation ws-b02: workstation_mac value '02:1a:b5:00:0b:01' is also used by ws-a01",
    "Workstation ws-b01: workstation_gpu_memory_mib is not set",
    "Workstation ws-a01: workstation_boot_method is ipmi but workstation_bmc_address is not set",
]

EXPECTED_ZH = [
    "预检发现清单",
    "有 5 个问题",
    "control_plane 组有 2 台主机",
    "工作站 ws-a02 的 ansible_host 值 '192.0.2.10' 不在实验室网络 127.0.8.0/21 内",
    "工作站 ws-b02 的 workstation_mac 值 '02:1a:b5:00:0b:01' 与工作站 ws-a01 重复",
    "工作站 ws-b01 未设置 workstation_gpu_memory_mib",
    "工作站 ws-a01 的 workstation_boot_method 为 ipmi，但未设置 workstation_bmc_address",
]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [([], EXPECTED_ZH), (["-e", "labshift_language=en"], EXPECTED_EN)],
    ids=["zh default", "en"],
)
def test_preflight_reports_broken_inventory(
    sandbox_copy: Path, tmp_path: Path, extra: list[str], expected: list[str]
) -> None:
    break_inventory(sandbox_copy)

    code, output = run_playbook("preflight.yml", sandbox_copy, tmp_path, *extra)

    assert code == 2
    result = task_result(output, "Preflight | check groups, settings and workstations")
    assert result["failed"] is True
    for fragment in expected:
        assert fragment in result["msg"]
    assert len(result["problems"]) == 5
    ran = [task["task"]["name"] for play in output["plays"] for task in play["tasks"]]
    assert "Preflight | report the checked inventory" not in ran


def test_preflight_reports_bad_preset(sandbox_copy: Path, tmp_path: Path) -> None:
    presets_file = sandbox_copy / "group_vars" / "all" / "presets.yml"
    presets = yaml.safe_load(presets_file.read_text(encoding="utf-8"))
    presets["labshift_presets"][0]["cpu"] = "lots"
    overrides = tmp_path / "bad-preset.yml"
    overrides.write_text(yaml.safe_dump({"labshift_presets": presets["labshift_presets"]}), encoding="utf-8")

    code, output = run_playbook(
        "preflight.yml", sandbox_copy, tmp_path, "-e", f"@{overrides}", "-e", "labshift_language=en"
    )

    assert code == 2
    name = "Preflight | check the resource presets against the user groups and the workstations"
    result = task_result(output, name)
    assert result["failed"] is True
    assert "Preset 'teaching-a': field cpu value 'lots'" in result["msg"]
    assert "Finalization" not in result["msg"]
