"""Thin typed access to the Kubernetes API for the switch jobs, over the kubernetes Python client.

Responses are read as raw JSON dicts (``_preload_content=False``): the switch jobs need a few fields
of many objects, and skipping the client's model classes keeps controller CPU per node flat.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kubernetes
from kubernetes.client.exceptions import ApiException

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError, register

JsonDict = dict[str, Any]

register(
    {
        "k8s.config.invalid": {
            "zh": "无法加载 kubeconfig {path!r}（上下文 {context!r}）：{error}",
            "en": "cannot load kubeconfig {path!r} (context {context!r}): {error}",
        },
        "k8s.api.failed": {
            "zh": "Kubernetes API 调用 {operation} 失败（HTTP {status}）：{message}",
            "en": "Kubernetes API call {operation} failed (HTTP {status}): {message}",
        },
    }
)


class KubeApiError(LabShiftError):
    """A failed Kubernetes API call, with the HTTP status kept for callers that branch on it."""

    def __init__(self, operation: str, status: int, message: str, body: JsonDict | None = None) -> None:
        super().__init__("k8s.api.failed", operation=operation, status=status, message=message)
        self.status = status
        self.body = body or {}


@dataclass(frozen=True)
class NodeView:
    """The fields of a Node that the switch jobs read."""

    name: str
    ready: str
    ready_message: str
    unschedulable: bool
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> NodeView:
        metadata = obj.get("metadata") or {}
        conditions = (obj.get("status") or {}).get("conditions") or []
        ready: Mapping[str, Any] = next((c for c in conditions if c.get("type") == "Ready"), {})
        return cls(
            name=str(metadata.get("name", "")),
            ready=str(ready.get("status", "Unknown")),
            ready_message=str(ready.get("message") or ready.get("reason") or ""),
            unschedulable=bool((obj.get("spec") or {}).get("unschedulable", False)),
            labels=dict(metadata.get("labels") or {}),
            annotations=dict(metadata.get("annotations") or {}),
        )


@dataclass(frozen=True)
class PodView:
    """The fields of a Pod that draining reads."""

    namespace: str
    name: str
    node: str
    labels: Mapping[str, str]
    terminating: bool
    daemonset: bool
    mirror: bool
    grace_seconds: int
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> PodView:
        metadata = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        owners = metadata.get("ownerReferences") or []
        return cls(
            namespace=str(metadata.get("namespace", "")),
            name=str(metadata.get("name", "")),
            node=str(spec.get("nodeName") or ""),
            labels=dict(metadata.get("labels") or {}),
            terminating=bool(metadata.get("deletionTimestamp")),
            daemonset=any(owner.get("kind") == "DaemonSet" for owner in owners),
            mirror="kubernetes.io/config.mirror" in (metadata.get("annotations") or {}),
            grace_seconds=int(spec.get("terminationGracePeriodSeconds", 30)),
            annotations=dict(metadata.get("annotations") or {}),
        )


class KubeApi:
    """Kubernetes calls used by the switch jobs; every method returns plain dicts or views."""

    def __init__(
        self,
        kubeconfig: str | None = None,
        context: str | None = None,
        pool_size: int = 16,
        timeout_seconds: float = 15.0,
    ) -> None:
        try:
            if kubeconfig:
                api_client = kubernetes.config.new_client_from_config(  # type: ignore[no-untyped-call]
                    config_file=kubeconfig, context=context
                )
            else:
                kubernetes.config.load_incluster_config()  # type: ignore[no-untyped-call]
                api_client = kubernetes.client.ApiClient()
        except (kubernetes.config.ConfigException, OSError, TypeError, ValueError) as error:
            raise LabShiftError(
                "k8s.config.invalid", path=kubeconfig or "in-cluster", context=context, error=error
            ) from None
        api_client.configuration.connection_pool_maxsize = pool_size
        api_client.rest_client.pool_manager.connection_pool_kw["maxsize"] = pool_size
        self.api_client = api_client
        self.core = kubernetes.client.CoreV1Api(api_client)
        self.policy = kubernetes.client.PolicyV1Api(api_client)
        self.coordination = kubernetes.client.CoordinationV1Api(api_client)
        self.timeout = timeout_seconds

    def _call(self, operation: str, method: Any, *args: Any, **kwargs: Any) -> JsonDict:
        try:
            response = method(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
        except ApiException as error:
            body: JsonDict = {}
            try:
                body = json.loads(error.body or "{}")
            except (TypeError, ValueError):
                body = {}
            message = str(body.get("message") or error.reason or error)
            raise KubeApiError(operation, int(error.status or 0), message, body) from None
        data = response.data if hasattr(response, "data") else response.read()
        return json.loads(data) if data else {}

    # nodes

    def list_nodes(self, label_selector: str | None = None) -> dict[str, NodeView]:
        kwargs = {"label_selector": label_selector} if label_selector else {}
        data = self._call("list nodes", self.core.list_node, **kwargs)
        views = (NodeView.from_object(item) for item in data.get("items") or [])
        return {view.name: view for view in views}

    def patch_node(self, name: str, patch: JsonDict) -> None:
        self._call(f"patch node {name}", self.core.patch_node, name, patch)

    def delete_node(self, name: str) -> bool:
        """Delete a Node object; returns False when it was already gone."""
        try:
            self._call(f"delete node {name}", self.core.delete_node, name)
        except KubeApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    # pods and disruption budgets

    def list_pods(self) -> list[PodView]:
        """List every pod bound to a node that has not finished, across namespaces."""
        data = self._call(
            "list pods",
            self.core.list_pod_for_all_namespaces,
            field_selector="status.phase!=Succeeded,status.phase!=Failed",
        )
        pods = (PodView.from_object(item) for item in data.get("items") or [])
        return [pod for pod in pods if pod.node]

    def evict_pod(self, pod: PodView) -> None:
        body = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": pod.name, "namespace": pod.namespace},
        }
        self._call(
            f"evict pod {pod.key}", self.core.create_namespaced_pod_eviction, pod.name, pod.namespace, body
        )

    def delete_pod(self, pod: PodView, grace_seconds: int | None = None) -> None:
        kwargs = {} if grace_seconds is None else {"grace_period_seconds": grace_seconds}
        try:
            self._call(
                f"delete pod {pod.key}", self.core.delete_namespaced_pod, pod.name, pod.namespace, **kwargs
            )
        except KubeApiError as error:
            if error.status != 404:
                raise

    def annotate_pod(self, pod: PodView, annotations: Mapping[str, str]) -> None:
        patch = {"metadata": {"annotations": dict(annotations)}}
        try:
            self._call(
                f"annotate pod {pod.key}", self.core.patch_namespaced_pod, pod.name, pod.namespace, patch
            )
        except KubeApiError as error:
            if error.status != 404:
                raise

    def list_disruption_budgets(self) -> list[JsonDict]:
        data = self._call(
            "list poddisruptionbudgets", self.policy.list_pod_disruption_budget_for_all_namespaces
        )
        return list(data.get("items") or [])

    # namespaces and leases

    def ensure_namespace(self, name: str) -> None:
        try:
            self._call(f"read namespace {name}", self.core.read_namespace, name)
        except KubeApiError as error:
            if error.status != 404:
                raise
            try:
                self._call(
                    f"create namespace {name}", self.core.create_namespace, {"metadata": {"name": name}}
                )
            except KubeApiError as create_error:
                if create_error.status != 409:
                    raise

    def read_lease(self, namespace: str, name: str) -> JsonDict | None:
        try:
            return self._call(
                f"read lease {namespace}/{name}", self.coordination.read_namespaced_lease, name, namespace
            )
        except KubeApiError as error:
            if error.status == 404:
                return None
            raise

    def create_lease(self, namespace: str, body: JsonDict) -> JsonDict:
        return self._call(
            f"create lease {namespace}", self.coordination.create_namespaced_lease, namespace, body
        )

    def replace_lease(self, namespace: str, name: str, body: JsonDict) -> JsonDict:
        return self._call(
            f"replace lease {namespace}/{name}",
            self.coordination.replace_namespaced_lease,
            name,
            namespace,
            body,
        )

    def delete_lease(self, namespace: str, name: str) -> None:
        try:
            self._call(
                f"delete lease {namespace}/{name}", self.coordination.delete_namespaced_lease, name, namespace
            )
        except KubeApiError as error:
            if error.status != 404:
                raise


def label_selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Evaluate a LabelSelector object (matchLabels, matchExpressions) against pod labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key", "")
        values = set(expression.get("values") or [])
        operator = expression.get("operator")
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
