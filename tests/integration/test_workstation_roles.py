"""Workstation roles through ansible-playbook on the controller, without any test host.

These cover what needs no container. The GPU-sharing manifests are rendered and validated for the
cluster's Kubernetes version, the kubeadm join file is rendered for both kubeadm API versions, and
bad input must stop a role with a bilingual error before it changes anything. The roles on a
real Debian 12 host are covered by the molecule scenario molecule/workstation.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.ansible_run import run_local_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLES = REPO_ROOT / "roles"

pytestmark = pytest.mark.integration


def run_playbook(tmp_path: Path, text: str, *extra: str) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(text, encoding="utf-8")
    env = {"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CACHE_PLUGIN": "memory"}
    return run_local_playbook(playbook, *extra, env=env, timeout=None)


GPU_SHARING_PLAYBOOK = """
- name: Render the GPU-sharing artefacts
  hosts: localhost
  gather_facts: false
  vars:
    labshift_gpu_sharing_backend: {backend}
    labshift_gpu_share_memory_mib: 4096
    labshift_kubernetes_version: "1.34.2"
    workstation_gpu_sharing_output_dir: "{output}"
  roles:
    - workstation_gpu_sharing
"""


@pytest.fixture(scope="module")
def gpu_manager_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("gpu-manager")
    output = work / "out"
    # An extra variable, because HAMi's split count reads the card size from hostvars,
    # where an inventory host variable would be.
    result = run_playbook(
        work,
        GPU_SHARING_PLAYBOOK.format(backend="gpu-manager", output=output),
        "-e",
        "workstation_gpu_memory_mib=8192",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return output


def load_documents(path: Path) -> list[Any]:
    return [document for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]


@pytest.mark.parametrize(
    "manifest",
    [
        "gpu-manager-rbac.yaml",
        "gpu-manager-daemonset.yaml",
        "gpu-admission-rbac.yaml",
        "gpu-admission-daemonset.yaml",
    ],
)
def test_gpu_manager_manifest_validates(gpu_manager_output: Path, manifest: str) -> None:
    documents = load_documents(gpu_manager_output / manifest)
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, "1.34.2", strict=True)


def test_gpu_manager_daemonset_fixed(gpu_manager_output: Path) -> None:
    (daemonset,) = load_documents(gpu_manager_output / "gpu-manager-daemonset.yaml")
    assert daemonset["apiVersion"] == "apps/v1"
    spec = daemonset["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    pod = spec["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia-device-enable": "enable"}
    assert "annotations" not in spec["template"]["metadata"]
    taint_keys = {toleration["key"] for toleration in pod["tolerations"]}
    assert "labshift.io/lab-node" in taint_keys
    flags = next(env["value"] for env in pod["containers"][0]["env"] if env["name"] == "EXTRA_FLAGS")
    assert "--cgroup-driver=cgroupfs" in flags
    assert "--container-runtime-endpoint=/run/containerd/containerd.sock" in flags


def test_upstream_daemonset_rejected() -> None:
    # gpu-manager's shipped manifest kind and API version; the check the role runs must reject it.
    upstream = {
        "apiVersion": "extensions/v1beta1",
        "kind": "DaemonSet",
        "metadata": {"name": "gpu-manager-daemonset", "namespace": "kube-system"},
        "spec": {
            "template": {"metadata": {"labels": {"name": "gpu-manager-ds"}}, "spec": {"containers": []}}
        },
    }
    with pytest.raises(kubernetes_validate.utils.SchemaNotFoundError):
        kubernetes_validate.validate(upstream, "1.34.2", strict=True)


def test_scheduler_config_declares_extender(gpu_manager_output: Path) -> None:
    config = yaml.safe_load((gpu_manager_output / "kube-scheduler-config.yaml").read_text(encoding="utf-8"))
    assert config["kind"] == "KubeSchedulerConfiguration"
    assert config["apiVersion"] == "kubescheduler.config.k8s.io/v1"
    (extender,) = config["extenders"]
    assert extender["urlPrefix"] == "http://127.0.0.1:3456/scheduler"
    assert extender["filterVerb"] == "predicates"
    assert extender["ignorable"] is False


def test_vgpu_requests_half_card(gpu_manager_output: Path) -> None:
    requests = yaml.safe_load((gpu_manager_output / "vgpu-requests.yaml").read_text(encoding="utf-8"))
    assert requests["resources"] == {"tencent.com/vcuda-core": 50, "tencent.com/vcuda-memory": 16}


def test_hami_values_split_count(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = run_playbook(
        tmp_path,
        GPU_SHARING_PLAYBOOK.format(backend="hami", output=output),
        "-e",
        "workstation_gpu_memory_mib=8192",
    )
    assert result.returncode == 0, result.stdout[-4000:]
    values = yaml.safe_load((output / "hami-values.yaml").read_text(encoding="utf-8"))
    assert values["devicePlugin"]["deviceSplitCount"] == 2
    assert values["devicePlugin"]["tolerations"][0]["key"] == "labshift.io/lab-node"


JOIN_PLAYBOOK = """
- name: Render the kubeadm join file
  hosts: localhost
  gather_facts: false
  vars_files:
    - {roles}/workstation_kubernetes/defaults/main.yml
    - {roles}/workstation_kubernetes/vars/main.yml
  vars:
    group_names: [workstations, room_b]
    labshift_kubernetes_version: "{version}"
    labshift_kubernetes_api_endpoint: k8s-api.lab.example.edu.cn:6443
    workstation_gpu_model: NVIDIA GeForce RTX 3070 (8 GB)
    workstation_gpu_memory_mib: 8192
    __workstation_kubernetes_token: abcdef.0123456789abcdef
    __workstation_kubernetes_hash: sha256:{digest}
  tasks:
    - name: Render
      ansible.builtin.copy:
        content: "{{{{ lookup('ansible.builtin.template', '{template}') }}}}"
        dest: "{output}"
        mode: "0600"
"""


@pytest.mark.parametrize(("version", "api"), [("1.34.2", "v1beta4"), ("1.30.14", "v1beta3")])
def test_join_file_per_kubeadm_api(tmp_path: Path, version: str, api: str) -> None:
    output = tmp_path / "join.yaml"
    template = (
        ROLES / "workstation_kubernetes" / "templates" / "etc" / "kubernetes" / "labshift" / "join.yaml.j2"
    )
    text = JOIN_PLAYBOOK.format(
        roles=ROLES, template=template, version=version, digest="0" * 64, output=output
    )
    result = run_playbook(tmp_path, text)
    assert result.returncode == 0, result.stdout[-4000:]
    join = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert join["apiVersion"] == f"kubeadm.k8s.io/{api}"
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "k8s-api.lab.example.edu.cn:6443"
    registration = join["nodeRegistration"]
    assert registration["taints"] == [
        {"key": "labshift.io/lab-node", "value": "true", "effect": "NoSchedule"}
    ]
    extra = registration["kubeletExtraArgs"]
    labels = extra[0]["value"] if api == "v1beta4" else extra["node-labels"]
    assert set(labels.split(",")) == {
        "labshift.io/room=b",
        "labshift.io/gpu-model=NVIDIA-GeForce-RTX-3070-8-GB",
        "nvidia-device-enable=enable",
    }


BAD_INPUT_PLAYBOOK = """
- name: Run a role with bad input
  hosts: localhost
  gather_facts: false
  check_mode: true
  vars:
    labshift_language: {language}
    group_names: [workstations, room_a]
{variables}
  roles:
    - {role}
"""


@pytest.mark.parametrize(
    ("role", "variables", "language", "expected"),
    [
        (
            "workstation_kubernetes",
            "    labshift_kubernetes_api_endpoint: https://k8s-api:6443",
            "en",
            'workstation_kubernetes_api_endpoint value "https://k8s-api:6443" is invalid: write host:port',
        ),
        (
            "workstation_kubernetes",
            "    labshift_kubernetes_api_endpoint: k8s-api:6443\n    labshift_kubernetes_version: '1.34'",
            "zh",
            'workstation_kubernetes_version 的值 "1.34" 无效',
        ),
        (
            "workstation_gpu_sharing",
            "    labshift_gpu_share_memory_mib: 16384\n    workstation_gpu_memory_mib: 8192",
            "en",
            "has 8192 MiB of GPU memory, less than one vGPU of 16384 MiB",
        ),
        (
            "workstation_runtime",
            "    labshift_registry_proxy_cache_projects: {dockerhub: registry-1.docker.io}",
            "en",
            "workstation_runtime_proxy_cache_projects has an upstream that is not a URL",
        ),
    ],
)
def test_bad_input_rejected(tmp_path: Path, role: str, variables: str, language: str, expected: str) -> None:
    text = BAD_INPUT_PLAYBOOK.format(role=role, variables=variables, language=language)
    result = run_playbook(tmp_path, text)
    assert result.returncode != 0
    assert expected in result.stdout
    assert "changed=0" in result.stdout
