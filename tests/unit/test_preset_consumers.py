"""Generated presets checked by their real consumers: KubeSpawner and the Kubernetes schemas.

KubeSpawner 7.1 (jupyterhub-kubespawner) loads each profile through ``load_user_options``, the
code path a hub runs before every start, and builds the pod with ``get_pod_manifest``. The
spawner reads a kubeconfig when it is created. The test gives it one that names a loopback
address, which it never contacts because nothing here starts a pod. Manifests are validated with
kubernetes-validate against the Kubernetes 1.31 schemas (the version the example lab runs) and
the newest schemas the package ships.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.config import kube_config
from kubespawner import KubeSpawner

from ansible_collections.labshift.lab.plugins.module_utils.preset_hub import (
    make_profile_list,
    profile_list_for_groups,
)
from ansible_collections.labshift.lab.plugins.module_utils.preset_profiles import (
    profile_list,
    profiles_by_group,
)
from ansible_collections.labshift.lab.plugins.module_utils.preset_quotas import namespace_quotas
from ansible_collections.labshift.lab.plugins.module_utils.presets import Catalog, load_catalog

DATA = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "presets"
    / "inventory"
    / "group_vars"
    / "all"
    / "presets.yml"
)
KUBERNETES_VERSIONS = ["1.31", kubernetes_validate.utils.latest_version()]
GIB = 1024**3

UNUSED_KUBECONFIG = """
apiVersion: v1
kind: Config
clusters:
- name: unused
  cluster: {server: "https://127.0.0.1:9"}
contexts:
- name: unused
  context: {cluster: unused, user: unused}
current-context: unused
users:
- name: unused
  user: {token: unused}
"""


@pytest.fixture(autouse=True)
def unused_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(UNUSED_KUBECONFIG, encoding="utf-8")
    # kubernetes_asyncio reads KUBECONFIG once, at import time, into this module constant.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(config))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def lab_catalog(backend: str) -> Catalog:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return load_catalog(data["labshift_presets"], data["labshift_user_groups"], backend, 4096, ["a", "b"])


async def spawn_pod(
    profiles: Any, user_options: dict[str, str], groups: tuple[str, ...] = ()
) -> tuple[KubeSpawner, dict[str, Any]]:
    """Load ``user_options`` into a real KubeSpawner and return it with its pod manifest as a dict."""
    spawner = KubeSpawner(_mock=True, profile_list=profiles)
    spawner.user.groups = [SimpleNamespace(name=name) for name in groups]
    spawner.user_options = user_options
    await spawner.load_user_options()
    pod = await spawner.get_pod_manifest()
    manifest: dict[str, Any] = ApiClient().sanitize_for_serialization(pod)
    manifest.setdefault("apiVersion", "v1")
    manifest.setdefault("kind", "Pod")
    return spawner, manifest


def validate_everywhere(manifest: dict[str, Any]) -> None:
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.parametrize("backend", ["gpu-manager", "hami"])
def test_profiles_load_into_kubespawner(backend: str) -> None:
    catalog = lab_catalog(backend)
    profiles = json.loads(json.dumps(profile_list(catalog, "zh")))

    async def check() -> None:
        for entry, preset in zip(profiles, catalog.presets, strict=True):
            spawner, manifest = await spawn_pod(profiles, {"profile": entry["slug"]})

            assert spawner.cpu_limit == preset.cpu_limit_m / 1000
            assert spawner.cpu_guarantee == preset.cpu_request_m / 1000
            assert spawner.mem_limit == preset.memory_limit_bytes
            assert spawner.mem_guarantee == preset.memory_request_bytes
            container = manifest["spec"]["containers"][0]
            for name, value in entry["kubespawner_override"].get("extra_resource_limits", {}).items():
                assert container["resources"]["limits"][name] == value
                assert container["resources"]["requests"][name] == value
            assert manifest["spec"].get("nodeSelector", {}) == entry["kubespawner_override"].get(
                "node_selector", {}
            )
            lab_node_toleration = {
                "key": "labshift.io/lab-node",
                "operator": "Equal",
                "value": "true",
                "effect": "NoSchedule",
            }
            assert lab_node_toleration in manifest["spec"]["tolerations"]
            validate_everywhere(manifest)

    asyncio.run(check())


def test_image_choice_applies() -> None:
    profiles = profile_list(lab_catalog("gpu-manager"), "en")

    async def check() -> None:
        spawner, manifest = await spawn_pod(profiles, {"profile": "teaching-a", "image": "pytorch-1"})
        assert spawner.image == "harbor.test/teaching/pytorch:1"
        assert manifest["spec"]["containers"][0]["image"] == "harbor.test/teaching/pytorch:1"
        spawner, _ = await spawn_pod(profiles, {})
        # No choice: the default preset (teaching-a) and its first image.
        assert spawner.image == "harbor.test/teaching/notebook:1"
        assert spawner.mem_limit == 2 * GIB

    asyncio.run(check())


def test_group_filter_through_kubespawner(tmp_path: Path) -> None:
    by_group = tmp_path / "profiles_by_group.json"
    by_group.write_text(json.dumps(profiles_by_group(lab_catalog("gpu-manager"), "en")), encoding="utf-8")
    profile_list_callable = make_profile_list(by_group)

    async def check() -> None:
        spawner, manifest = await spawn_pod(profile_list_callable, {"profile": "teaching-b"}, ("teachers",))
        assert spawner.namespace == "labshift-teachers"
        assert manifest["spec"]["containers"][0]["resources"]["limits"]["tencent.com/vcuda-core"] == "100"
        validate_everywhere(manifest)

        spawner, _ = await spawn_pod(
            profile_list_callable, {"profile": "cpu-small"}, ("students", "course-ai101")
        )
        assert spawner.namespace == "labshift-students"

        # A student asking for a teachers-only preset through the REST API is rejected.
        with pytest.raises(ValueError, match="No such profile: teaching-b"):
            await spawn_pod(profile_list_callable, {"profile": "teaching-b"}, ("students",))

    asyncio.run(check())


def test_group_merge_keeps_first_group() -> None:
    by_group = profiles_by_group(lab_catalog("gpu-manager"), "en")

    merged = profile_list_for_groups(
        by_group["groups"], ["course-ai101", "students"], by_group["group_order"]
    )

    assert [entry["slug"] for entry in merged] == ["teaching-a", "cpu-small", "teaching-b"]
    namespaces = [entry["kubespawner_override"]["namespace"] for entry in merged]
    assert namespaces == ["labshift-students", "labshift-students", "labshift-course-ai101"]
    assert profile_list_for_groups(by_group["groups"], ["physics"], by_group["group_order"]) == []
    # The merged entries are copies: KubeSpawner may edit them.
    merged[0]["slug"] = "edited"
    assert by_group["groups"]["students"][0]["slug"] == "teaching-a"


def test_profile_list_rejects_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "profiles_by_group.json"
    path.write_text(json.dumps([{"slug": "x"}]), encoding="utf-8")
    with pytest.raises(ValueError, match="group_order"):
        make_profile_list(path)


@pytest.mark.parametrize("backend", ["gpu-manager", "hami"])
def test_quota_objects_match_kubernetes_schema(backend: str) -> None:
    entries = namespace_quotas(lab_catalog(backend))

    kinds = []
    for entry in entries:
        for manifest in entry["objects"]:
            validate_everywhere(manifest)
            kinds.append(manifest["kind"])
    assert kinds.count("ResourceQuota") == 3
    assert kinds.count("LimitRange") == 3


def test_schema_check_catches_broken_quota() -> None:
    manifest = namespace_quotas(lab_catalog("gpu-manager"))[0]["objects"][1]
    manifest["spec"]["hard"]["pods"] = ["not", "a", "quantity"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.31", strict=True)
