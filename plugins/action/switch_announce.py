"""Action plugin labshift.lab.switch_announce: post the room-closing notice to JupyterHub."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

from ansible_collections.labshift.lab.plugins.module_utils.switch import bilingual_notice, parse_time
from ansible_collections.labshift.lab.plugins.module_utils.switch_action import SwitchAction
from ansible_collections.labshift.lab.plugins.module_utils.switch_run import load_state, local_time


class ActionModule(SwitchAction):
    """Send one announcement naming each room of the run and the time its sessions end."""

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {
        "switch": {"type": "dict", "required": True},
        "hub_url": {"type": "str", "default": ""},
        "api_token": {"type": "str", "default": "", "no_log": True},
        "path": {"type": "str", "default": "/services/announcement/update"},
        "timeout": {"type": "int", "default": 10},
        "validate_certs": {"type": "bool", "default": True},
    }

    def step(self, args: Mapping[str, Any], task_vars: Mapping[str, Any], language: str) -> dict[str, Any]:
        state = load_state(args["switch"])
        texts = []
        for _room, spec in sorted(state["rooms"].items()):
            closes_at = local_time(state, parse_time(spec["timeline"]["force_at"]))
            texts.append(bilingual_notice(spec["name"], closes_at))
        announcement = "\n\n".join(texts)
        result: dict[str, Any] = {"changed": False, "announcement": announcement, "switch": state}
        if not args["hub_url"]:
            result["skipped_reason"] = "hub_url is empty, so no announcement was sent"
            return result
        if self.check_mode:
            return result
        url = args["hub_url"].rstrip("/") + "/" + args["path"].lstrip("/")
        try:
            open_url(
                url,
                method="POST",
                data=json.dumps({"announcement": announcement}),
                headers={"Authorization": f"token {args['api_token']}", "Content-Type": "application/json"},
                timeout=args["timeout"],
                validate_certs=args["validate_certs"],
            )
        except (HTTPError, URLError, OSError) as error:
            # A failed announcement must not delay the hand-back: warn and go on.
            message = f"JupyterHub announcement to {url} failed: {error}"
            self._display.warning(message)
            result["announce_error"] = message
            state["announce_error"] = message
            return result
        state["announced"] = True
        result["changed"] = True
        return result
