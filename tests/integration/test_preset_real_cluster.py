"""Generated quota objects sent to a real Kubernetes API server as a server-side dry run.

Runs only when ``LABSHIFT_REAL_CLUSTER_KUBECONFIG`` names the kubeconfig of a cluster the tester
owns, so it never reaches a cluster by accident. The dry run (``dryRun=All``) makes the API server
validate and admit each object without storing it. Namespaces are created for real only when
``LABSHIFT_REAL_CLUSTER_CREATE_NAMESPACES=1``, because a dry-run ResourceQuota needs its namespace
to exist.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from ansible_collections.labshift.lab.plugins.module_utils.preset_quotas import namespace_quotas
from ansible_collections.labshift.lab.plugins.module_utils.presets import load_catalog

DATA = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "presets"
    / "inventory"
    / "group_vars"
    / "all"
    / "presets.yml"
)
KUBECONFIG = os.environ.get("LABSHIFT_REAL_CLUSTER_KUBECONFIG", "")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.real_cluster,
    pytest.mark.skipif(
        not KUBECONFIG, reason="set LABSHIFT_REAL_CLUSTER_KUBECONFIG to a test cluster's kubeconfig"
    ),
]


@pytest.mark.parametrize("backend", ["gpu-manager", "hami"])
def test_quotas_pass_server_dry_run(backend: str) -> None:
    from kubernetes import client, config, dynamic

    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    catalog = load_catalog(data["labshift_presets"], data["labshift_user_groups"], backend, 4096)
    api_client = config.new_client_from_config(config_file=KUBECONFIG)  # type: ignore[no-untyped-call]
    api = dynamic.DynamicClient(api_client)  # type: ignore[no-untyped-call]
    create_namespaces = os.environ.get("LABSHIFT_REAL_CLUSTER_CREATE_NAMESPACES") == "1"

    for entry in namespace_quotas(catalog):
        for manifest in entry["objects"]:
            resource = api.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
            if manifest["kind"] == "Namespace" and create_namespaces:
                try:
                    resource.create(body=manifest)
                except client.exceptions.ApiException as error:
                    assert error.status == 409, error  # already exists
                continue
            created = resource.create(body=manifest, namespace=entry["namespace"], dry_run="All")
            assert created.metadata.name == manifest["metadata"]["name"]
            if manifest["kind"] == "ResourceQuota":
                assert dict(created.spec.hard) == manifest["spec"]["hard"]
