"""Test double of the Kubernetes API server and of the lab machines behind it.

This is a double, not Kubernetes. It is a threaded HTTP server on a loopback port that serves
enough of the real Kubernetes REST API for the kubernetes Python client and the kubernetes.core
modules: discovery, get, list with label and field selectors, create, replace with resourceVersion
checks, merge and JSON patches, delete with grace periods, and the pod eviction subresource. It
stores objects in memory and adds the reactions the switch jobs depend on:

- each configured machine has a simulated kubelet: a machine that boots into Linux registers its
  Node and reports Ready; a machine that is off or in the teaching system stops heartbeating, so
  its Node turns Ready=Unknown; a deleted Node comes back while the kubelet still runs;
- Wake-on-LAN magic packets received on a loopback UDP port are checked byte for byte and boot the
  machine with that MAC;
- eviction honours PodDisruptionBudgets (HTTP 429 when a budget would be violated);
- a deleted pod stays Terminating until its containers stop: quickly by default, after the full
  grace period for pods annotated ``double.labshift.io/ignore-sigterm: "true"``, and never while
  its node's kubelet is down, unless it is deleted with gracePeriodSeconds=0;
- machine behaviours for fault cases: ``never_wakes``, ``never_ready``, ``unreachable``.

kmock 0.8 (PyPI) was evaluated first. Its emulator has no label or field selectors, no
resourceVersion, no status subresources and no eviction, and reactions run inside its asyncio DSL,
so this double uses the standard library instead.

Besides the Kubernetes API, the server also serves two test-only prefixes:
``/labshift-double/`` (machine states, received Wake-on-LAN packets, announcements) and
``/services/announcement/`` (a double of the jupyterhub-announcement service: its view page,
``update`` form and ``latest``).

Command line: ``python -m tests.doubles.k8s_api --port 18443 --wol-port 19009
--kubeconfig output/k8s-double/kubeconfig --inventory output/sandbox/inventory.yml``.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

LOG = logging.getLogger("labshift.k8s_double")

DEFAULT_TOKEN = "labshift-double-token"
IGNORE_SIGTERM_ANNOTATION = "double.labshift.io/ignore-sigterm"
ROOM_LABEL = "labshift.io/room"
BEHAVIOURS = ("normal", "never_wakes", "never_ready", "unreachable")
MACHINE_STATES = ("off", "teaching", "booting", "linux")

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    """One served API resource: where it lives and how discovery describes it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


RESOURCES = [
    ResourceType("", "v1", "nodes", "Node", False, ("status",)),
    ResourceType("", "v1", "namespaces", "Namespace", False),
    ResourceType("", "v1", "pods", "Pod", True, ("status", "eviction")),
    ResourceType("", "v1", "events", "Event", True),
    ResourceType("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("status",)),
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease", True),
]
RESOURCE_BY_KEY = {(r.group, r.version, r.plural): r for r in RESOURCES}


class ApiError(Exception):
    """A Kubernetes API error returned to the client as a Status object."""

    def __init__(self, code: int, reason: str, message: str, causes: list[JsonDict] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes or []


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_body(code: int, reason: str, message: str, causes: list[JsonDict] | None = None) -> JsonDict:
    body: JsonDict = {
        "apiVersion": "v1",
        "kind": "Status",
        "metadata": {},
        "status": "Success" if code < 400 else "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if causes:
        body["details"] = {"causes": causes}
    return body


# --- selectors -----------------------------------------------------------------------------------

_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def split_selector(selector: str) -> list[str]:
    """Split a selector at the commas that are not inside ``in (a,b)`` value sets."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def label_selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Evaluate a Kubernetes label selector string (=, ==, !=, in, notin, exists, !exists)."""
    for requirement in split_selector(selector):
        set_match = _SET_REQUIREMENT.match(requirement)
        if set_match:
            key, operator, values_text = set_match.groups()
            values = {value.strip() for value in values_text.split(",")}
            present = key in labels and labels[key] in values
            if (operator == "in") != present:
                return False
        elif "!=" in requirement:
            key, value = (part.strip() for part in requirement.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in requirement:
            key, value = (part.strip() for part in requirement.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif requirement.startswith("!"):
            if requirement[1:].strip() in labels:
                return False
        elif requirement not in labels:
            return False
    return True


def field_value(obj: Mapping[str, Any], path: str) -> str:
    current: Any = obj
    for part in path.split("."):
        current = current.get(part, "") if isinstance(current, Mapping) else ""
    return "" if current is None else str(current)


def field_selector_matches(selector: str, obj: Mapping[str, Any]) -> bool:
    """Evaluate a field selector such as ``spec.nodeName=ws01,status.phase!=Succeeded``."""
    for requirement in split_selector(selector):
        if "!=" in requirement:
            path, value = requirement.split("!=", 1)
            if field_value(obj, path.strip()) == value.strip():
                return False
        else:
            path, value = requirement.replace("==", "=").split("=", 1)
            if field_value(obj, path.strip()) != value.strip():
                return False
    return True


def match_label_selector_object(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Evaluate a LabelSelector object (matchLabels and matchExpressions) as a PDB uses it."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression["key"]
        operator = expression["operator"]
        values = set(expression.get("values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


# --- patches -------------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch; strategic merge patches are treated the same way."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer_parts(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def json_patch(target: JsonDict, operations: list[JsonDict]) -> JsonDict:
    """Apply RFC 6902 add, replace, remove and test operations."""
    document = copy.deepcopy(target)
    for operation in operations:
        parts = _pointer_parts(operation["path"])
        parent: Any = document
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        op = operation["op"]
        if op in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if op == "add":
                    parent.insert(index, operation["value"])
                else:
                    parent[index] = operation["value"]
            else:
                parent[last] = operation["value"]
        elif op == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            elif last in parent:
                del parent[last]
            else:
                raise ApiError(422, "Invalid", f"unable to remove nonexistent key: {last}")
        elif op == "test":
            actual = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if actual != operation["value"]:
                raise ApiError(422, "Invalid", f"test operation failed at {operation['path']}")
        else:
            raise ApiError(422, "Invalid", f"unsupported JSON patch operation {op!r}")
    return document


# --- machines ------------------------------------------------------------------------------------


@dataclass
class Machine:
    """A lab workstation in the double: its power state and its simulated kubelet."""

    name: str
    mac: str
    room: str = ""
    state: str = "off"
    behaviour: str = "normal"
    boot_seconds: float = 0.5
    boot_done_at: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class WolPacket:
    """One UDP datagram received on the Wake-on-LAN port."""

    received_at: str
    source: str
    length: int
    payload_hex: str
    valid: bool
    mac: str
    machine: str


def parse_magic_packet(payload: bytes) -> str | None:
    """Return the MAC of a valid magic packet (6 x 0xFF, then the MAC 16 times, optional 4 or 6
    byte SecureOn password), or None when the payload is not exactly that."""
    if len(payload) not in (102, 106, 108) or payload[:6] != b"\xff" * 6:
        return None
    mac = payload[6:12]
    if payload[6:102] != mac * 16:
        return None
    return ":".join(f"{byte:02x}" for byte in mac)


# --- the store -----------------------------------------------------------------------------------


class ClusterState:
    """In-memory objects, machines and recorded side effects, guarded by one lock."""

    def __init__(self, leave_seconds: float = 0.3, shutdown_seconds: float = 0.2) -> None:
        self.lock = threading.RLock()
        self.objects: dict[tuple[str, str, str], JsonDict] = {}
        self.machines: dict[str, Machine] = {}
        self.wol_packets: list[WolPacket] = []
        self.announcements: list[JsonDict] = []
        # Files written through the user servers' contents API double, by (user, path).
        self.user_files: dict[tuple[str, str], str] = {}
        self.request_count = 0
        self.leave_seconds = leave_seconds
        self.shutdown_seconds = shutdown_seconds
        self._resource_version = 0
        self._not_ready_since: dict[str, float] = {}
        self.ensure_namespace("default")
        self.ensure_namespace("kube-system")

    # objects

    def next_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    def ensure_namespace(self, name: str) -> None:
        if ("namespaces", "", name) not in self.objects:
            self.put_new("namespaces", "", {"metadata": {"name": name}, "status": {"phase": "Active"}})

    def put_new(self, plural: str, namespace: str, body: JsonDict) -> JsonDict:
        resource = next(r for r in RESOURCES if r.plural == plural)
        obj = copy.deepcopy(body)
        metadata = obj.setdefault("metadata", {})
        name = metadata.get("name") or ""
        if not name and metadata.get("generateName"):
            name = metadata["generateName"] + uuid.uuid4().hex[:5]
            metadata["name"] = name
        if not name:
            raise ApiError(422, "Invalid", f"{resource.kind} metadata.name: Required value")
        key = (plural, namespace, name)
        if key in self.objects:
            raise ApiError(409, "AlreadyExists", f'{plural} "{name}" already exists')
        if resource.namespaced:
            if ("namespaces", "", namespace) not in self.objects:
                raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
            metadata["namespace"] = namespace
        obj["apiVersion"] = resource.group_version
        obj["kind"] = resource.kind
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now_rfc3339()
        metadata["resourceVersion"] = self.next_version()
        if plural == "pods":
            self._default_pod(obj)
        self.objects[key] = obj
        return obj

    @staticmethod
    def _default_pod(pod: JsonDict) -> None:
        spec = pod.setdefault("spec", {})
        spec.setdefault("terminationGracePeriodSeconds", 30)
        status = pod.setdefault("status", {})
        status.setdefault("phase", "Running")
        status.setdefault("conditions", [{"type": "Ready", "status": "True"}])

    def get(self, plural: str, namespace: str, name: str) -> JsonDict:
        obj = self.objects.get((plural, namespace, name))
        if obj is None:
            raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
        return obj

    def replace(self, plural: str, namespace: str, name: str, body: JsonDict) -> JsonDict:
        current = self.get(plural, namespace, name)
        expected = (body.get("metadata") or {}).get("resourceVersion")
        if expected and expected != current["metadata"]["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
            )
        obj = copy.deepcopy(body)
        metadata = obj.setdefault("metadata", {})
        for kept in (
            "uid",
            "creationTimestamp",
            "namespace",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if kept in current["metadata"]:
                metadata[kept] = current["metadata"][kept]
        metadata["name"] = name
        metadata["resourceVersion"] = self.next_version()
        obj["apiVersion"] = current["apiVersion"]
        obj["kind"] = current["kind"]
        self.objects[(plural, namespace, name)] = obj
        return obj

    def patch(self, plural: str, namespace: str, name: str, content_type: str, patch: Any) -> JsonDict:
        current = self.get(plural, namespace, name)
        if "json-patch" in content_type:
            if not isinstance(patch, list):
                raise ApiError(400, "BadRequest", "a JSON patch must be a list of operations")
            updated = json_patch(current, patch)
        else:
            if not isinstance(patch, dict):
                raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
            updated = merge_patch(current, patch)
        updated["metadata"]["resourceVersion"] = self.next_version()
        updated["metadata"]["name"] = name
        self.objects[(plural, namespace, name)] = updated
        return updated

    def delete(self, plural: str, namespace: str, name: str, grace_seconds: int | None) -> JsonDict:
        obj = self.get(plural, namespace, name)
        if plural != "pods":
            del self.objects[(plural, namespace, name)]
            return obj
        grace = (
            obj["spec"].get("terminationGracePeriodSeconds", 30) if grace_seconds is None else grace_seconds
        )
        if grace <= 0:
            del self.objects[(plural, namespace, name)]
            return obj
        metadata = obj["metadata"]
        if "deletionTimestamp" not in metadata:
            metadata["deletionTimestamp"] = now_rfc3339()
            metadata["deletionGracePeriodSeconds"] = grace
            metadata["resourceVersion"] = self.next_version()
            obj["_double_deleted_at"] = time.monotonic()
        else:
            # A shorter grace period shortens a running termination, as the real API server does.
            metadata["deletionGracePeriodSeconds"] = min(grace, metadata["deletionGracePeriodSeconds"])
        return obj

    def list(self, plural: str, namespace: str | None) -> list[JsonDict]:
        return [
            obj
            for (kind, obj_namespace, _), obj in sorted(self.objects.items())
            if kind == plural and (namespace is None or obj_namespace == namespace)
        ]

    # eviction and disruption budgets

    @staticmethod
    def pod_healthy(pod: Mapping[str, Any]) -> bool:
        if pod["metadata"].get("deletionTimestamp"):
            return False
        conditions = pod.get("status", {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        return bool(pod.get("status", {}).get("phase") == "Running" and ready)

    def pdb_status(self, pdb: JsonDict) -> JsonDict:
        namespace = pdb["metadata"]["namespace"]
        selector = pdb.get("spec", {}).get("selector") or {}
        pods = [
            pod
            for pod in self.list("pods", namespace)
            if match_label_selector_object(selector, pod["metadata"].get("labels") or {})
        ]
        # Terminating pods still count as expected, as their controller's scale does in Kubernetes.
        expected = len(pods)
        healthy = len([pod for pod in pods if self.pod_healthy(pod)])
        spec = pdb.get("spec", {})
        if "minAvailable" in spec:
            desired = self._scaled(spec["minAvailable"], expected, round_up=True)
        else:
            max_unavailable = self._scaled(spec.get("maxUnavailable", 0), expected, round_up=True)
            desired = max(expected - max_unavailable, 0)
        return {
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "expectedPods": expected,
            "disruptionsAllowed": max(healthy - desired, 0),
            "observedGeneration": 1,
        }

    @staticmethod
    def _scaled(value: int | str, total: int, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            fraction = total * int(value[:-1]) / 100
            return math.ceil(fraction) if round_up else math.floor(fraction)
        return int(value)

    def evict(self, namespace: str, name: str, body: JsonDict) -> JsonDict:
        pod = self.get("pods", namespace, name)
        if pod["metadata"].get("deletionTimestamp"):
            return status_body(201, "", "pod is already terminating")
        labels = pod["metadata"].get("labels") or {}
        if self.pod_healthy(pod):
            for pdb in self.list("poddisruptionbudgets", namespace):
                if not match_label_selector_object(pdb.get("spec", {}).get("selector") or {}, labels):
                    continue
                status = self.pdb_status(pdb)
                if status["disruptionsAllowed"] <= 0:
                    pdb_name = pdb["metadata"]["name"]
                    raise ApiError(
                        429,
                        "TooManyRequests",
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                        [
                            {
                                "reason": "DisruptionBudget",
                                "message": (
                                    f"The disruption budget {pdb_name} needs {status['desiredHealthy']} "
                                    f"healthy pods and has {status['currentHealthy']} currently"
                                ),
                            }
                        ],
                    )
        options = body.get("deleteOptions") or {}
        self.delete("pods", namespace, name, options.get("gracePeriodSeconds"))
        return status_body(201, "", "")

    # machines and the simulated kubelet

    def add_machine(self, machine: Machine) -> None:
        if machine.behaviour not in BEHAVIOURS:
            raise ValueError(
                f"machine {machine.name}: behaviour {machine.behaviour!r} is not one of {BEHAVIOURS}"
            )
        machine.mac = machine.mac.lower()
        self.machines[machine.name] = machine
        if machine.state == "linux":
            self._register_node(machine)

    def set_machine_state(self, name: str, state: str) -> Machine:
        machine = self.machines.get(name)
        if machine is None:
            raise ApiError(404, "NotFound", f"machine {name!r} is not configured in the double")
        if state not in ("off", "teaching", "linux"):
            raise ApiError(422, "Invalid", f"machine state {state!r} must be off, teaching or linux")
        if machine.behaviour == "unreachable":
            # An unreachable machine keeps running whatever it runs: nothing reaches it.
            return machine
        if state == "linux":
            if machine.state != "linux":
                self._boot(machine)
        else:
            machine.state = state
        return machine

    def _boot(self, machine: Machine) -> None:
        machine.state = "booting"
        machine.boot_done_at = time.monotonic() + machine.boot_seconds

    def receive_wol(self, payload: bytes, source: str) -> WolPacket:
        mac = parse_magic_packet(payload)
        machine = next((m for m in self.machines.values() if mac is not None and m.mac == mac), None)
        packet = WolPacket(
            now_rfc3339(),
            source,
            len(payload),
            payload.hex(),
            mac is not None,
            mac or "",
            machine.name if machine else "",
        )
        self.wol_packets.append(packet)
        if (
            machine is not None
            and machine.state == "off"
            and machine.behaviour not in ("never_wakes", "unreachable")
        ):
            self._boot(machine)
        return packet

    def _register_node(self, machine: Machine) -> JsonDict:
        labels = {"kubernetes.io/hostname": machine.name, "kubernetes.io/os": "linux"}
        if machine.room:
            labels[ROOM_LABEL] = machine.room
        labels.update(machine.labels)
        node = self.objects.get(("nodes", "", machine.name))
        if node is None:
            node = self.put_new(
                "nodes",
                "",
                {"metadata": {"name": machine.name, "labels": labels}, "spec": {}, "status": {}},
            )
        return node

    def tick(self) -> None:
        """Advance simulated time: finish boots, post node status, end pod terminations."""
        now = time.monotonic()
        for machine in self.machines.values():
            if machine.state == "booting" and now >= machine.boot_done_at:
                machine.state = "linux"
            node = self.objects.get(("nodes", "", machine.name))
            if machine.state == "linux":
                self._not_ready_since.pop(machine.name, None)
                node = self._register_node(machine)
                ready = machine.behaviour != "never_ready"
                self._set_ready(
                    node,
                    "True" if ready else "False",
                    "KubeletReady" if ready else "KubeletNotReady",
                    "kubelet is posting ready status"
                    if ready
                    else "container runtime network not ready: cni plugin not initialized",
                )
            elif node is not None:
                since = self._not_ready_since.setdefault(machine.name, now)
                if now - since >= self.leave_seconds:
                    self._set_ready(
                        node, "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
                    )
        for key, pod in list(self.objects.items()):
            if key[0] != "pods" or "_double_deleted_at" not in pod:
                continue
            host = self.machines.get(pod.get("spec", {}).get("nodeName", ""))
            if host is not None and host.state != "linux":
                continue
            ignores_sigterm = pod["metadata"].get("annotations", {}).get(IGNORE_SIGTERM_ANNOTATION) == "true"
            grace = float(pod["metadata"]["deletionGracePeriodSeconds"])
            stop_after = grace if ignores_sigterm else min(grace, self.shutdown_seconds)
            if now - float(pod["_double_deleted_at"]) >= stop_after:
                del self.objects[key]

    def _set_ready(self, node: JsonDict, status: str, reason: str, message: str) -> None:
        conditions = node.setdefault("status", {}).setdefault("conditions", [])
        ready = next((c for c in conditions if c.get("type") == "Ready"), None)
        if ready is not None and ready.get("status") == status:
            return
        if ready is None:
            ready = {"type": "Ready"}
            conditions.append(ready)
        ready.update(
            {
                "status": status,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": now_rfc3339(),
                "lastTransitionTime": now_rfc3339(),
            }
        )
        node["metadata"]["resourceVersion"] = self.next_version()


def public(obj: JsonDict) -> JsonDict:
    """Return a copy of ``obj`` without the double's private bookkeeping keys."""
    return {key: value for key, value in obj.items() if not key.startswith("_double")}


# --- HTTP ----------------------------------------------------------------------------------------


class DoubleHandler(BaseHTTPRequestHandler):
    """Routes one HTTP request to the Kubernetes API, the hub double or the test-only endpoints."""

    server: DoubleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _announcement(self, method: str, path: str) -> None:
        """Respond as the jupyterhub-announcement service does (double): ``latest`` for anyone, the
        view page with its XSRF form field for an admin token, and the form post to ``update``."""
        length = int(self.headers.get("Content-Length") or 0)
        form = {key: values[-1] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        code, page, cookie = self.server.announcement(
            method, path, form, self.headers.get("Authorization"), self.headers.get("Cookie") or ""
        )
        data = page.encode() if isinstance(page, str) else json.dumps(page).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html" if isinstance(page, str) else "application/json")
        if cookie:
            self.send_header("Set-Cookie", f"_xsrf={cookie}; Path=/services/announcement/")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length == 0:
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as error:
            raise ApiError(400, "BadRequest", f"request body is not valid JSON: {error}") from error

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        state = self.server.state
        try:
            if url.path.startswith("/services/announcement/"):
                self._announcement(method, url.path)
                return
            body = self._read_body()
            if url.path.startswith("/user/"):
                self._send(
                    *self.server.user_contents(method, url.path, body, self.headers.get("Authorization"))
                )
                return
            if url.path.startswith("/labshift-double/"):
                self._send(200, self.server.control(method, url.path, body))
                return
            if self.headers.get("Authorization") != f"Bearer {self.server.token}":
                raise ApiError(401, "Unauthorized", "Unauthorized")
            with state.lock:
                state.request_count += 1
                code, response = self.server.kubernetes(
                    method, url.path, query, body, self.headers.get("Content-Type") or ""
                )
            self._send(code, response)
        except ApiError as error:
            self._send(error.code, status_body(error.code, error.reason, error.message, error.causes))
        except (KeyError, ValueError, TypeError) as error:
            LOG.exception("bad request %s %s", method, self.path)
            self._send(400, status_body(400, "BadRequest", f"bad request: {error}"))


class DoubleServer(ThreadingHTTPServer):
    """The HTTP server with the simulated cluster state and a background tick thread."""

    daemon_threads = True
    allow_reuse_address = True
    # The default listen backlog of 5 drops connections when a run opens 16 at once.
    request_queue_size = 128

    def __init__(
        self,
        port: int,
        state: ClusterState,
        token: str = DEFAULT_TOKEN,
        hub_token: str = "labshift-hub-double-token",
        tick_seconds: float = 0.1,
    ) -> None:
        super().__init__(("127.0.0.1", port), DoubleHandler)
        self.state = state
        self.token = token
        self.hub_token = hub_token
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._worker_threads: list[threading.Thread] = []
        self.wol_socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self, wol_port: int | None = None) -> None:
        """Serve HTTP, tick the simulation and, with ``wol_port``, listen for magic packets."""
        self._worker_threads.append(
            threading.Thread(target=self.serve_forever, args=(0.1,), name="k8s-double-http", daemon=True)
        )
        self._worker_threads.append(
            threading.Thread(target=self._tick_loop, name="k8s-double-tick", daemon=True)
        )
        if wol_port is not None:
            self.wol_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.wol_socket.bind(("127.0.0.1", wol_port))
            self.wol_socket.settimeout(0.2)
            self._worker_threads.append(
                threading.Thread(target=self._wol_loop, name="k8s-double-wol", daemon=True)
            )
        for thread in self._worker_threads:
            thread.start()
        LOG.info("Kubernetes API double listening on %s (Wake-on-LAN port %s)", self.url, wol_port)

    def stop(self) -> None:
        self._stop.set()
        self.shutdown()
        self.server_close()
        if self.wol_socket is not None:
            self.wol_socket.close()
        for thread in self._worker_threads:
            thread.join(timeout=2)
        LOG.info("Kubernetes API double on %s stopped", self.url)

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            with self.state.lock:
                self.state.tick()

    def _wol_loop(self) -> None:
        assert self.wol_socket is not None
        while not self._stop.is_set():
            try:
                payload, (host, port) = self.wol_socket.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            with self.state.lock:
                packet = self.state.receive_wol(payload, f"{host}:{port}")
            LOG.info(
                "Wake-on-LAN packet from %s: valid=%s mac=%s machine=%s",
                packet.source,
                packet.valid,
                packet.mac,
                packet.machine or "-",
            )

    # test-only endpoints

    def control(self, method: str, path: str, body: Any) -> Any:
        parts = path.strip("/").split("/")[1:]
        with self.state.lock:
            if parts == ["machines"] and method == "GET":
                return [asdict(machine) for machine in self.state.machines.values()]
            if parts == ["machines"] and method == "POST":
                if (
                    not isinstance(body, dict)
                    or "state" not in body
                    or not isinstance(body.get("names"), list)
                ):
                    raise ApiError(400, "BadRequest", 'batch update needs {"names": [...], "state": ...}')
                only_from = body.get("only_from")
                names = [
                    str(name)
                    for name in body["names"]
                    if str(name) in self.state.machines
                    and (only_from is None or self.state.machines[str(name)].state in only_from)
                ]
                return [asdict(self.state.set_machine_state(name, str(body["state"]))) for name in names]
            if len(parts) == 2 and parts[0] == "machines" and method == "POST":
                if not isinstance(body, dict) or "state" not in body:
                    raise ApiError(400, "BadRequest", 'machine update needs a JSON body {"state": ...}')
                return asdict(self.state.set_machine_state(parts[1], str(body["state"])))
            if parts == ["wol"] and method == "GET":
                return [asdict(packet) for packet in self.state.wol_packets]
            if parts == ["announcements"] and method == "GET":
                return self.state.announcements
        raise ApiError(404, "NotFound", f"no test endpoint {method} {path}")

    def announcement(
        self, method: str, path: str, form: Mapping[str, str], authorization: str | None, cookie: str
    ) -> tuple[int, Any, str]:
        """Serve the jupyterhub-announcement service (double): returns status, body and XSRF cookie."""
        endpoint = path.removeprefix("/services/announcement/").strip("/")
        with self.state.lock:
            latest = self.state.announcements[-1] if self.state.announcements else {"announcement": ""}
        if method == "GET" and endpoint == "latest":
            return 200, {"announcement": latest["announcement"]}, ""
        if authorization != f"token {self.hub_token}":
            return 403, "<html>403: Forbidden</html>", ""
        xsrf = "double-xsrf-" + self.hub_token[-6:]
        if method == "GET" and endpoint == "":
            form_html = f'<form method="post"><input type="hidden" name="_xsrf" value="{xsrf}"/></form>'
            return 200, f"<html>{form_html}</html>", xsrf
        if method == "POST" and endpoint == "update":
            if form.get("_xsrf") != xsrf or f"_xsrf={xsrf}" not in cookie:
                return 403, "<html>403: '_xsrf' argument missing from POST</html>", ""
            if "announcement" not in form:
                return 400, "<html>400: Missing argument announcement</html>", ""
            with self.state.lock:
                self.state.announcements.append(
                    {"announcement": form["announcement"], "received_at": now_rfc3339()}
                )
            return 200, "<html>announcements</html>", ""
        return 404, "<html>404: Not Found</html>", ""

    def user_contents(self, method: str, path: str, body: Any, authorization: str | None) -> tuple[int, Any]:
        """Serve a user server's contents API for one file (double of jupyter_server's
        ``/user/<name>/api/contents/<path>``): GET returns the file model or 404, PUT stores text."""
        if authorization != f"token {self.hub_token}":
            return 403, {"message": "Forbidden"}
        parts = path.split("/", 5)
        if len(parts) < 6 or parts[3:5] != ["api", "contents"]:
            return 404, {"message": f"no contents endpoint {path}"}
        key = (unquote(parts[2]), unquote(parts[5]))
        with self.state.lock:
            if method == "GET":
                if key not in self.state.user_files:
                    return 404, {"message": f"file or directory '/{key[1]}' does not exist"}
                return 200, {"type": "file", "format": "text", "content": self.state.user_files[key]}
            if method == "PUT" and isinstance(body, dict) and body.get("type") == "file":
                created = key not in self.state.user_files
                self.state.user_files[key] = str(body.get("content") or "")
                return (201 if created else 200), {"type": "file", "path": key[1], "content": None}
        return 400, {"message": f"unsupported {method} {path}"}

    # Kubernetes API

    def kubernetes(
        self, method: str, path: str, query: Mapping[str, str], body: Any, content_type: str
    ) -> tuple[int, Any]:
        discovery = self._discovery(path) if method == "GET" else None
        if discovery is not None:
            return 200, discovery
        resource, namespace, name, subresource = self._parse(path)
        state = self.state
        plural = resource.plural
        if method == "GET" and name is None:
            items = [public(obj) for obj in state.list(plural, namespace)]
            if query.get("labelSelector"):
                items = [
                    o
                    for o in items
                    if label_selector_matches(query["labelSelector"], o["metadata"].get("labels") or {})
                ]
            if query.get("fieldSelector"):
                items = [o for o in items if field_selector_matches(query["fieldSelector"], o)]
            if plural == "poddisruptionbudgets":
                items = [dict(o, status=state.pdb_status(o)) for o in items]
            return 200, {
                "apiVersion": resource.group_version,
                "kind": f"{resource.kind}List",
                "metadata": {"resourceVersion": str(state._resource_version)},
                "items": items,
            }
        if name is None:
            if method == "POST":
                if not isinstance(body, dict):
                    raise ApiError(400, "BadRequest", "create needs a JSON object body")
                return 201, public(state.put_new(plural, namespace or "", body))
            raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a collection")
        ns = namespace or ""
        if subresource == "eviction":
            if method != "POST":
                raise ApiError(405, "MethodNotAllowed", "eviction accepts POST only")
            return 201, state.evict(ns, name, body or {})
        if method == "GET":
            obj = public(state.get(plural, ns, name))
            if plural == "poddisruptionbudgets":
                obj = dict(obj, status=state.pdb_status(obj))
            return 200, obj
        if method == "PUT":
            return 200, public(state.replace(plural, ns, name, body))
        if method == "PATCH":
            return 200, public(state.patch(plural, ns, name, content_type, body))
        if method == "DELETE":
            options = body if isinstance(body, dict) else {}
            grace_text = query.get("gracePeriodSeconds")
            grace = int(grace_text) if grace_text is not None else options.get("gracePeriodSeconds")
            return 200, public(state.delete(plural, ns, name, grace))
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed")

    @staticmethod
    def _parse(path: str) -> tuple[ResourceType, str | None, str | None, str | None]:
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 3:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource {path}")
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource = RESOURCE_BY_KEY.get((group, version, rest[0]))
        if resource is None or (namespace is not None and not resource.namespaced):
            raise ApiError(404, "NotFound", f"the server could not find the requested resource {path}")
        name = rest[1] if len(rest) > 1 else None
        subresource = rest[2] if len(rest) > 2 else None
        return resource, namespace, name, subresource

    @staticmethod
    def _discovery(path: str) -> JsonDict | None:
        path = path.rstrip("/") or "/"
        if path == "/version":
            return {
                "major": "1",
                "minor": "31",
                "gitVersion": "v1.31.0-labshift-double",
                "platform": "linux/amd64",
            }
        if path == "/api":
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
            }
        groups = sorted({(r.group, r.version) for r in RESOURCES if r.group})
        if path == "/apis":
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": group,
                        "versions": [{"groupVersion": f"{group}/{version}", "version": version}],
                        "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version},
                    }
                    for group, version in groups
                ],
            }
        for group, version in [("", "v1"), *groups]:
            prefix = "/api/v1" if not group else f"/apis/{group}/{version}"
            if path == prefix:
                return DoubleServer._resource_list(group, version)
            if group and path == f"/apis/{group}":
                return {
                    "kind": "APIGroup",
                    "apiVersion": "v1",
                    "name": group,
                    "versions": [{"groupVersion": f"{group}/{version}", "version": version}],
                    "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version},
                }
        return None

    @staticmethod
    def _resource_list(group: str, version: str) -> JsonDict:
        entries: list[JsonDict] = []
        for resource in RESOURCES:
            if (resource.group, resource.version) != (group, version):
                continue
            entries.append(
                {
                    "name": resource.plural,
                    "singularName": resource.kind.lower(),
                    "namespaced": resource.namespaced,
                    "kind": resource.kind,
                    "verbs": ["create", "delete", "get", "list", "patch", "update"],
                }
            )
            for subresource in resource.subresources:
                kind = "Eviction" if subresource == "eviction" else resource.kind
                entries.append(
                    {
                        "name": f"{resource.plural}/{subresource}",
                        "singularName": "",
                        "namespaced": resource.namespaced,
                        "group": "policy" if subresource == "eviction" else group,
                        "version": "v1",
                        "kind": kind,
                        "verbs": ["create"] if subresource == "eviction" else ["get", "patch", "update"],
                    }
                )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": entries,
        }


# --- set-up helpers ------------------------------------------------------------------------------


def write_kubeconfig(path: Path, server_url: str, token: str = DEFAULT_TOKEN) -> Path:
    """Write a kubeconfig for the double (JSON is valid YAML, so kubectl and clients read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "labshift-double", "cluster": {"server": server_url}}],
        "users": [{"name": "labshift-double", "user": {"token": token}}],
        "contexts": [
            {"name": "labshift-double", "context": {"cluster": "labshift-double", "user": "labshift-double"}}
        ],
        "current-context": "labshift-double",
    }
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def machines_from_inventory(inventory: str, ansible_inventory: str = "ansible-inventory") -> list[Machine]:
    """Read the workstations (room groups ``room_<id>`` and ``workstation_mac``) of an inventory."""
    output = subprocess.run(
        [ansible_inventory, "-i", inventory, "--list"], check=True, capture_output=True, text=True
    ).stdout
    data = json.loads(output)
    host_vars = data.get("_meta", {}).get("hostvars", {})
    machines: list[Machine] = []
    for group, members in data.items():
        if not group.startswith("room_") or not isinstance(members, dict):
            continue
        for host in members.get("hosts", []):
            mac = host_vars.get(host, {}).get("workstation_mac")
            if mac:
                machines.append(Machine(name=host, mac=str(mac), room=group.removeprefix("room_")))
    return machines


def machines_from_config(entries: Iterable[Mapping[str, Any]]) -> list[Machine]:
    return [Machine(**dict(entry)) for entry in entries]


def start_double(
    port: int = 0,
    wol_port: int | None = None,
    machines: Iterable[Machine] = (),
    boot_seconds: float | None = None,
    leave_seconds: float = 0.3,
    token: str = DEFAULT_TOKEN,
) -> DoubleServer:
    """Start a double on ``port`` (0 picks a free one) and return the running server."""
    state = ClusterState(leave_seconds=leave_seconds)
    for machine in machines:
        if boot_seconds is not None:
            machine.boot_seconds = boot_seconds
        state.add_machine(machine)
    server = DoubleServer(port, state, token=token)
    server.start(wol_port)
    return server


@contextmanager
def running_double(
    kubeconfig: Path,
    machines: Iterable[Machine] = (),
    wol_port: int | None = None,
    boot_seconds: float | None = None,
    leave_seconds: float = 0.3,
) -> Iterator[DoubleServer]:
    """Run a double on a free loopback port for the duration of a ``with`` block."""
    server = start_double(0, wol_port, machines, boot_seconds=boot_seconds, leave_seconds=leave_seconds)
    write_kubeconfig(kubeconfig, server.url)
    try:
        yield server
    finally:
        server.stop()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """Return a loopback port that is free now (TCP by default, UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str] | None = None, wait: Callable[[], None] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.doubles.k8s_api",
        description="Run the LabShift Kubernetes API double (a test double, not Kubernetes) on loopback.",
    )
    parser.add_argument("--port", type=int, default=18443, help="TCP port for the API on 127.0.0.1")
    parser.add_argument(
        "--wol-port",
        type=int,
        default=None,
        help="UDP port on 127.0.0.1 where Wake-on-LAN packets boot machines",
    )
    parser.add_argument("--kubeconfig", type=Path, required=True, help="kubeconfig file to write")
    parser.add_argument("--inventory", help="Ansible inventory whose room_<id> workstations become machines")
    parser.add_argument(
        "--machines",
        type=Path,
        help="JSON file with a list of machines (name, mac, room, state, behaviour, boot_seconds)",
    )
    parser.add_argument(
        "--boot-seconds", type=float, default=None, help="simulated boot time of every machine"
    )
    parser.add_argument(
        "--state",
        choices=MACHINE_STATES,
        default=None,
        help="initial state of every machine read from the inventory (default off)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    machines: list[Machine] = []
    if args.inventory:
        ansible_inventory = str(Path(sys.executable).with_name("ansible-inventory"))
        machines += machines_from_inventory(args.inventory, ansible_inventory)
    if args.machines:
        machines += machines_from_config(json.loads(args.machines.read_text(encoding="utf-8")))
    if args.state:
        for machine in machines:
            machine.state = args.state
    # The kubeconfig exists before the port listens, so a caller that waits for the port can use it.
    if args.port:
        write_kubeconfig(args.kubeconfig, f"http://127.0.0.1:{args.port}")
    server = start_double(args.port, args.wol_port, machines, boot_seconds=args.boot_seconds)
    write_kubeconfig(args.kubeconfig, server.url)
    LOG.info("%d machines configured; kubeconfig written to %s", len(machines), args.kubeconfig)
    try:
        (wait or threading.Event().wait)()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
