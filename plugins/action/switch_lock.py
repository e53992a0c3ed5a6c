"""Action plugin labshift.lab.switch_lock: take or release the per-room Lease of a switch run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from ansible_collections.labshift.lab.plugins.module_utils.k8s_nodes import active
from ansible_collections.labshift.lab.plugins.module_utils.switch import Outcome, parse_time
from ansible_collections.labshift.lab.plugins.module_utils.switch_action import (
    KUBE_ARGUMENTS,
    SwitchAction,
    utc_now,
)
from ansible_collections.labshift.lab.plugins.module_utils.switch_lock import acquire, lease_name, release
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import (
    load_state,
    results_of,
    settings_of,
    store_results,
)


class ActionModule(SwitchAction):
    """Acquire (state=present) or release (state=absent) the Lease of every room in the run."""

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        **KUBE_ARGUMENTS,
        "switch": {"type": "dict", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        state = load_state(args["switch"])
        settings = settings_of(state)
        api = self.kube(args, settings.workers)
        results = results_of(state)
        changed = False
        if args["state"] == "absent":
            for room, spec in state["rooms"].items():
                if spec.get("locked") and not self.check_mode:
                    changed = release(api, settings.lock_namespace, room, state["run_id"]) or changed
                    spec["locked"] = False
            return {"changed": changed, "switch": state}

        if not self.check_mode:
            api.ensure_namespace(settings.lock_namespace)
        for room, spec in sorted(state["rooms"].items()):
            room_nodes = {name: result for name, result in results.items() if result.room == room}
            if not active(room_nodes):
                continue
            if self.check_mode:
                continue
            # Waiting for another run never eats into the hand-back: it stops at the deadline.
            now = utc_now()
            until_deadline = (parse_time(spec["deadline"]) - now - timedelta(minutes=1)).total_seconds()
            wait = max(0.0, min(settings.lock_wait_seconds, until_deadline))
            lock = acquire(
                api,
                settings.lock_namespace,
                room,
                state["run_id"],
                settings.lease_seconds,
                wait,
                poll_seconds=min(2.0, settings.poll_seconds),
            )
            spec["lock_holder"] = lock.holder
            spec["lock_expires"] = lock.expires
            spec["lease"] = f"{settings.lock_namespace}/{lease_name(room)}"
            if lock.acquired:
                spec["locked"] = True
                changed = True
                continue
            for name in active(room_nodes):
                results[name].finish(
                    Outcome.SKIPPED,
                    "switch.reason.locked",
                    utc_now(),
                    room=room,
                    holder=lock.holder,
                    expires=lock.expires or "-",
                )
            spec["locked_out"] = True
        return {"changed": changed, "switch": store_results(state, results)}
