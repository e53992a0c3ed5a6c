"""Per-room switch lock held as a coordination.k8s.io/v1 Lease in the cluster.

A Lease is used instead of a lock file because AWX and the systemd timers may run switch jobs from
different operations hosts: only the cluster is shared by all of them. The API server's
resourceVersion check makes take-over atomic, and ``leaseDurationSeconds`` makes the lock expire
when a controller crashes, so a re-run can complete the switch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.k8s_api import KubeApi, KubeApiError

LEASE_PREFIX = "labshift-switch-"


def lease_name(room: str) -> str:
    return f"{LEASE_PREFIX}{room}".lower().replace("_", "-")


def micro_time(moment: datetime) -> str:
    """Format a Kubernetes MicroTime (RFC 3339 with microseconds, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class LockState:
    """Result of one lock attempt: who holds the room and until when."""

    room: str
    acquired: bool
    holder: str
    expires: str


def lease_expiry(lease: dict[str, Any]) -> datetime | None:
    spec = lease.get("spec") or {}
    renewed = parse_micro_time(spec.get("renewTime") or spec.get("acquireTime"))
    if renewed is None:
        return None
    return renewed + timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))


def _lease_body(
    name: str,
    holder: str,
    lease_seconds: float,
    now: datetime,
    acquired: datetime,
    resource_version: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/managed-by": "labshift"}}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": metadata,
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": max(int(lease_seconds), 1),
            "acquireTime": micro_time(acquired),
            "renewTime": micro_time(now),
        },
    }


def try_acquire(
    api: KubeApi, namespace: str, room: str, holder: str, lease_seconds: float, now: datetime
) -> LockState:
    """Take or renew the room's Lease once; a conflict with another writer counts as not acquired."""
    name = lease_name(room)
    lease = api.read_lease(namespace, name)
    try:
        if lease is None:
            api.create_lease(namespace, _lease_body(name, holder, lease_seconds, now, now))
            return LockState(room, True, holder, micro_time(now + timedelta(seconds=lease_seconds)))
        spec = lease.get("spec") or {}
        current = str(spec.get("holderIdentity") or "")
        expiry = lease_expiry(lease)
        free = not current or expiry is None or expiry <= now
        if current != holder and not free:
            return LockState(room, False, current, micro_time(expiry) if expiry else "")
        acquired = parse_micro_time(spec.get("acquireTime")) if current == holder else None
        body = _lease_body(
            name,
            holder,
            lease_seconds,
            now,
            acquired or now,
            (lease.get("metadata") or {}).get("resourceVersion"),
        )
        api.replace_lease(namespace, name, body)
    except KubeApiError as error:
        if error.status == 409:
            return LockState(room, False, "(concurrent writer)", "")
        raise
    return LockState(room, True, holder, micro_time(now + timedelta(seconds=lease_seconds)))


def acquire(
    api: KubeApi,
    namespace: str,
    room: str,
    holder: str,
    lease_seconds: float,
    wait_seconds: float,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_seconds: float = 2.0,
) -> LockState:
    """Acquire the room's lock, waiting up to ``wait_seconds`` for another holder to release or expire."""
    now_fn = clock or (lambda: datetime.now(UTC))
    give_up = now_fn() + timedelta(seconds=wait_seconds)
    while True:
        state = try_acquire(api, namespace, room, holder, lease_seconds, now_fn())
        remaining = (give_up - now_fn()).total_seconds()
        if state.acquired or remaining <= 0:
            return state
        sleep(min(poll_seconds, remaining))


def release(api: KubeApi, namespace: str, room: str, holder: str) -> bool:
    """Delete the room's Lease when ``holder`` holds it; returns whether it was released."""
    name = lease_name(room)
    lease = api.read_lease(namespace, name)
    if lease is None or (lease.get("spec") or {}).get("holderIdentity") != holder:
        return False
    api.delete_lease(namespace, name)
    return True
