"""Verify the workstation roles on the converged test container, on real state.

The registry at 127.0.0.1:5016 is Debian's docker-registry standing in for Harbor (see
prepare.yml). Controller-side artefacts (GPU-sharing manifests) are read from the scenario's
ephemeral directory on this machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REGISTRIES = ["docker.io", "registry.k8s.io", "quay.io", "nvcr.io", "ghcr.io"]
PROJECTS = {
    "docker.io": "dockerhub",
    "registry.k8s.io": "k8s",
    "quay.io": "quay",
    "nvcr.io": "nvcr",
    "ghcr.io": "ghcr",
}
HARBOR = "127.0.0.1:5016"
CA_DEST = "/usr/local/share/ca-certificates/labshift-lab-ca.crt"
OUTPUT_DIR = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "output"
TEACHING_ENTRY = "Windows Boot Manager (on /dev/nvme0n1p1)"


def read_yaml(host: Any, path: str) -> Any:
    return yaml.safe_load(host.file(path).content_string)


@pytest.mark.parametrize("package", ["chrony", "conntrack", "socat", "ipset", "pciutils", "containerd"])
def test_package_installed(host: Any, package: str) -> None:
    assert host.package(package).is_installed


def test_apt_sources_use_mirror(host: Any) -> None:
    sources = host.file("/etc/apt/sources.list.d/debian.sources").content_string
    assert "Suites: bookworm bookworm-updates" in sources
    assert "Suites: bookworm-security" in sources
    assert "Components: main contrib non-free non-free-firmware" in sources
    legacy = host.file("/etc/apt/sources.list").content_string
    assert not [line for line in legacy.splitlines() if line.startswith("deb")]


def test_apt_index_refreshes(host: Any) -> None:
    result = host.run("apt-get update")
    assert result.rc == 0, result.stderr


def test_timezone_set(host: Any) -> None:
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Asia/Shanghai"
    assert host.file("/etc/timezone").content_string.strip() == "Asia/Shanghai"


def test_chrony_configured(host: Any) -> None:
    config = host.file("/etc/chrony/conf.d/labshift.conf").content_string
    assert "server ntp.ntsc.ac.cn iburst" in config
    main_config = host.file("/etc/chrony/chrony.conf").content_string
    assert not [line for line in main_config.splitlines() if line.startswith("pool ")]
    assert host.service("chrony").is_enabled


def test_kubernetes_kernel_settings(host: Any) -> None:
    modules = host.file("/etc/modules-load.d/labshift-kubernetes.conf").content_string.split()
    assert "br_netfilter" in modules
    assert "overlay" in modules
    sysctls = host.file("/etc/sysctl.d/90-labshift-kubernetes.conf").content_string
    assert "net.ipv4.ip_forward=1" in sysctls
    assert "net.bridge.bridge-nf-call-iptables=1" in sysctls


def test_swap_disabled(host: Any) -> None:
    fstab = host.file("/etc/fstab").content_string
    assert "# UUID=5f1d2c3b-swap none swap sw 0 0" in fstab
    assert host.run("systemctl is-enabled swap.target").stdout.strip() == "masked"


def test_staff_account(host: Any) -> None:
    staff = host.user("labstaff")
    assert staff.exists
    keys = host.file("/home/labstaff/.ssh/authorized_keys").content_string
    assert "labstaff@molecule" in keys
    sudoers = host.file("/etc/sudoers.d/labshift-staff")
    assert sudoers.mode == 0o440
    assert host.run("visudo -cf /etc/sudoers.d/labshift-staff").rc == 0


def test_sshd_hardened(host: Any) -> None:
    config = host.file("/etc/ssh/sshd_config.d/50-labshift.conf").content_string
    assert "PermitRootLogin no" in config
    assert "PasswordAuthentication no" in config
    effective = host.run("sshd -T -C user=labstaff,host=localhost,addr=127.0.0.1")
    assert effective.rc == 0, effective.stderr
    assert "permitrootlogin no" in effective.stdout
    assert "passwordauthentication no" in effective.stdout


def test_containerd_running(host: Any) -> None:
    service = host.service("containerd")
    assert service.is_running
    assert service.is_enabled


def test_containerd_config_has_no_inline_mirrors(host: Any) -> None:
    config = host.file("/etc/containerd/config.toml").content_string
    assert "registry.mirrors" not in config
    assert "mirror.retired.example" not in config
    dumped = host.run("containerd config dump")
    assert dumped.rc == 0, dumped.stderr
    assert 'config_path = "/etc/containerd/certs.d"' in dumped.stdout


def test_containerd_cgroup_driver_for_gpu_manager(host: Any) -> None:
    config = host.file("/etc/containerd/config.toml").content_string
    assert "SystemdCgroup = false" in config
    grub_cgroup = host.file("/etc/default/grub.d/50-labshift-cgroup.cfg").content_string
    assert "systemd.unified_cgroup_hierarchy=0" in grub_cgroup


@pytest.mark.parametrize("registry", REGISTRIES)
def test_hosts_toml_per_registry(host: Any, registry: str) -> None:
    hosts_toml = host.file(f"/etc/containerd/certs.d/{registry}/hosts.toml").content_string
    assert f'[host."https://{HARBOR}/v2/{PROJECTS[registry]}"]' in hosts_toml
    assert "override_path = true" in hosts_toml
    assert f'ca = "{CA_DEST}"' in hosts_toml


def test_retired_mirror_removed(host: Any) -> None:
    assert not host.file("/etc/containerd/certs.d/mirror.retired.example").exists


def test_lab_ca_trusted_by_system(host: Any) -> None:
    assert host.file(CA_DEST).contains("BEGIN CERTIFICATE")
    # curl uses the system trust store, so this fails unless the lab CA is in it.
    result = host.run(f"curl --silent --show-error --fail https://{HARBOR}/v2/")
    assert result.rc == 0, result.stderr


@pytest.mark.parametrize(
    "reference",
    ["docker.io/library/labshift-probe:1", "registry.k8s.io/labshift-probe:1"],
)
def test_pull_through_harbor_stand_in(host: Any, reference: str) -> None:
    host.run(f"ctr image rm {reference}")
    pulled = host.run(f"ctr image pull --hosts-dir /etc/containerd/certs.d --snapshotter native {reference}")
    assert pulled.rc == 0, pulled.stderr
    assert reference in host.run("ctr image ls --quiet").stdout.split()


def test_no_gpu_reported_and_skipped(host: Any) -> None:
    assert not host.package("nvidia-container-toolkit").is_installed
    assert not host.package("nvidia-driver").is_installed
    assert "runtimes.nvidia" not in host.file("/etc/containerd/config.toml").content_string


def test_check_mode_left_no_repositories(host: Any) -> None:
    for path in [
        "/etc/apt/sources.list.d/kubernetes.sources",
        "/etc/apt/sources.list.d/nvidia-container-toolkit.sources",
        "/etc/apt/keyrings/kubernetes-apt-keyring.asc",
        "/etc/docker/daemon.json",
    ]:
        assert not host.file(path).exists, path
    assert not host.package("docker.io").is_installed


def test_node_labels_and_taint(host: Any) -> None:
    node = read_yaml(host, "/etc/kubernetes/labshift/node.yaml")
    assert node["labels"]["labshift.io/room"] == "a"
    assert node["labels"]["labshift.io/gpu-model"] == "NVIDIA-GeForce-RTX-3070"
    assert node["labels"]["nvidia-device-enable"] == "enable"
    assert node["taints"] == [{"key": "labshift.io/lab-node", "value": "true", "effect": "NoSchedule"}]


def test_kubelet_patch_matches_runtime(host: Any) -> None:
    patch = read_yaml(host, "/etc/kubernetes/labshift/patches/kubeletconfiguration+strategic.yaml")
    assert patch["kind"] == "KubeletConfiguration"
    assert patch["cgroupDriver"] == "cgroupfs"
    assert not host.file("/etc/kubernetes/labshift/join.yaml").exists


@pytest.mark.parametrize(
    "manifest",
    [
        "gpu-manager-rbac.yaml",
        "gpu-manager-daemonset.yaml",
        "gpu-admission-rbac.yaml",
        "gpu-admission-daemonset.yaml",
    ],
)
def test_gpu_manager_manifest_valid(manifest: str) -> None:
    documents = list(yaml.safe_load_all((OUTPUT_DIR / "gpu-sharing" / manifest).read_text()))
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, "1.34.2", strict=True)
        assert document["apiVersion"] != "extensions/v1beta1"


def test_scheduler_extender_config() -> None:
    config = yaml.safe_load((OUTPUT_DIR / "gpu-sharing" / "kube-scheduler-config.yaml").read_text())
    assert config["apiVersion"] == "kubescheduler.config.k8s.io/v1"
    extender = config["extenders"][0]
    assert extender["urlPrefix"] == "http://127.0.0.1:3456/scheduler"
    assert extender["filterVerb"] == "predicates"
    assert {item["name"] for item in extender["managedResources"]} == {
        "tencent.com/vcuda-core",
        "tencent.com/vcuda-memory",
    }


def test_vgpu_is_half_a_card() -> None:
    requests = yaml.safe_load((OUTPUT_DIR / "gpu-sharing" / "vgpu-requests.yaml").read_text())
    assert requests["resources"]["tencent.com/vcuda-memory"] == 16
    assert requests["resources"]["tencent.com/vcuda-core"] == 50


def test_hami_splits_card_in_two() -> None:
    values = yaml.safe_load((OUTPUT_DIR / "hami" / "hami-values.yaml").read_text())
    assert values["devicePlugin"]["deviceSplitCount"] == 2
    assert values["devicePlugin"]["nvidianodeSelector"] == {"gpu": "on"}
    assert values["scheduler"]["kubeScheduler"]["imageTag"] == "v1.34.2"


def test_grub_set_for_one_shot_boots(host: Any) -> None:
    dropin = host.file("/etc/default/grub.d/60-labshift-dualboot.cfg").content_string
    assert "GRUB_DEFAULT=saved" in dropin
    assert "GRUB_DISABLE_OS_PROBER=false" in dropin


def test_teaching_entry_recorded(host: Any) -> None:
    record = json.loads(host.file("/etc/labshift/dualboot.json").content_string)
    assert record["teaching_entry"] == TEACHING_ENTRY
    assert record["platform_entry"] == "Debian GNU/Linux"
    # The container has no firmware of its own, so it is handled as BIOS, where GRUB's
    # default is the teaching system.
    assert record["firmware"] == "bios"
    assert record["grub_saved_default"] == TEACHING_ENTRY


def test_grubenv_saved_and_next_entry(host: Any) -> None:
    grubenv = host.run("grub-editenv list").stdout.splitlines()
    assert f"saved_entry={TEACHING_ENTRY}" in grubenv
    # Set by boot_teaching.yml in side_effect.yml.
    assert f"next_entry={TEACHING_ENTRY}" in grubenv
