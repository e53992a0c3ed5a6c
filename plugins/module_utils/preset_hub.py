"""Group-filtered KubeSpawner profile lists for the JupyterHub configuration.

This module uses only the standard library, so the hub role can copy it next to
``jupyterhub_config.py`` and import it there without Ansible. It reads the
``profiles_by_group.json`` file that ``playbooks/presets.yml`` renders::

    from preset_hub import make_profile_list
    c.KubeSpawner.profile_list = make_profile_list("/srv/labshift/profiles_by_group.json")

KubeSpawner calls a callable ``profile_list`` with the spawner, both to build the options form
and again in ``load_user_options`` before a start. A request for a profile missing from the
user's list then fails there with "No such profile", so the REST API cannot bypass the filter.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)


def profile_list_for_groups(
    by_group: Mapping[str, Sequence[Mapping[str, Any]]],
    group_names: Iterable[str],
    group_order: Sequence[str],
) -> list[dict[str, Any]]:
    """Merge the profile lists of the user's groups into one list without duplicate slugs.

    Groups are visited in ``group_order`` (the order of ``labshift_user_groups``), so a preset
    that several of the user's groups allow keeps the namespace of the first of them. Group
    names not in ``group_order`` are ignored. Returns deep copies, because KubeSpawner edits
    the list it is given.
    """
    member_of = set(group_names)
    merged: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in group_order:
        if group not in member_of:
            continue
        for entry in by_group.get(group, ()):
            slug = str(entry["slug"])
            if slug in seen:
                continue
            seen.add(slug)
            merged.append(copy.deepcopy(dict(entry)))
    return merged


def load_profiles_by_group(path: str | Path) -> dict[str, Any]:
    """Read ``profiles_by_group.json`` and check its two keys, ``group_order`` and ``groups``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("group_order"), list)
        or not isinstance(data.get("groups"), dict)
    ):
        raise ValueError(f"{path}: expected an object with group_order (list) and groups (object)")
    return data


def user_group_names(spawner: Any) -> list[str]:
    """Return the JupyterHub group names of the spawner's user (``spawner.user.groups[*].name``)."""
    return [str(group.name) for group in getattr(spawner.user, "groups", [])]


def make_profile_list(path: str | Path) -> Callable[[Any], list[dict[str, Any]]]:
    """Return a callable for ``c.KubeSpawner.profile_list`` that filters presets by group.

    The file is read once, when the hub configuration loads. A user in none of the groups gets
    an empty list, which KubeSpawner treats as "no profiles": the hub's own spawner settings then
    apply, so they must be safe defaults.
    """
    data = load_profiles_by_group(path)
    by_group: dict[str, list[dict[str, Any]]] = data["groups"]
    group_order: list[str] = data["group_order"]

    def profile_list(spawner: Any) -> list[dict[str, Any]]:
        names = user_group_names(spawner)
        profiles = profile_list_for_groups(by_group, names, group_order)
        if not profiles:
            LOG.warning("user %s is in no group with presets (groups: %s)", spawner.user.name, names)
        return profiles

    return profile_list
