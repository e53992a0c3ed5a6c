"""How many sessions of each preset the lab's workstations hold, per room and in total.

Each preset is counted on its own: the numbers are how many sessions of that one preset run at
the same time when nothing else does. Per card, a session needs its GPU memory and compute share.
gpu-manager counts memory in 256 MiB units, and HAMi also caps each card at
``card memory // labshift_gpu_share_memory_mib`` vGPUs (its device split count). When a node's
allocatable CPU and memory are known, they cap the count by the preset's requests as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    normalize_language,
    register,
    render,
)
from ansible_collections.labshift.lab.plugins.module_utils.presets import (
    BACKEND_GPU_MANAGER,
    CARD_CORES,
    GPU_MANAGER_MEMORY_UNIT_MIB,
    Catalog,
    Preset,
)

register(
    {
        "capacity.rooms_invalid": {
            "zh": "labshift_rooms 必须是映射：机房 id -> {{group: room_<id>, name: {{zh: ..., en: ...}}}}，当"
            "前是 {value!r}。",
            "en": "labshift_rooms must be a mapping of room id to "
            "{{group: room_<id>, name: {{zh: ..., en: ...}}}}, got {value!r}.",
        },
        "capacity.host_two_rooms": {
            "zh": "工作站 {host!r} 同时属于机房 {first!r} 和 {second!r}，每台工作站只能在一个机房组中。",
            "en": "Workstation {host!r} is in both room {first!r} and room {second!r}; each workstation "
            "belongs to exactly one room group.",
        },
        "capacity.host_value_invalid": {
            "zh": "工作站 {host!r}：主机变量 {variable} 的值 {value!r} 无效，请写不小于 0 的整数{unit}。",
            "en": "Workstation {host!r}: host variable {variable} value {value!r} is invalid: write a whole "
            "number, 0 or more{unit}.",
        },
        "capacity.host_value_missing": {
            "zh": "工作站 {host!r}：缺少主机变量 {variable}（GPU 显存 MiB，8 GB 卡为 8192，无 GPU 为 0）。",
            "en": "Workstation {host!r}: host variable {variable} is missing (GPU memory in MiB: 8192 for an "
            "8 GB card, 0 for no GPU).",
        },
        "capacity.node_invalid": {
            "zh": "节点列表的第 {index} 项无效：需要 name、room 和 gpu_memory_mib（整数 MiB），当前是 "
            "{value!r}。",
            "en": "Entry #{index} of the node list is invalid: it needs name, room and gpu_memory_mib (whole "
            "MiB), got {value!r}.",
        },
        "preset.gpu_too_big": {
            "zh": "预设 {preset!r}：字段 gpu.memory 为 {mib} MiB，大于所有节点的 GPU 显存（最大 {largest} "
            "MiB），请调小或加入显存更大的节点。",
            "en": "Preset {preset!r}: field gpu.memory is {mib} MiB, larger than every node's GPU card "
            "(largest: {largest} MiB); lower it or add nodes with larger cards.",
        },
        "preset.gpu_count_too_big": {
            "zh": "预设 {preset!r}：字段 gpu.count 为 {count}，但任何节点最多只有 {largest} 张 GPU。",
            "en": "Preset {preset!r}: field gpu.count is {count}, but no node has more than {largest} GPUs.",
        },
        "capacity.text.title": {
            "zh": "容量报告：GPU 共享后端 {backend}，vGPU 单位 {share} MiB；{nodes} 个工作站，{cards} 张 "
            "GPU。",
            "en": "Capacity report: GPU-sharing backend {backend}, vGPU size {share} MiB; {nodes} "
            "workstations, {cards} GPUs.",
        },
        "capacity.text.note": {
            "zh": "每个数字表示只运行该预设时可同时运行的会话数。",
            "en": "Each number is how many sessions of that preset run at once when no other preset runs.",
        },
        "capacity.text.preset": {
            "zh": "预设 {name}（{slug}）：共 {total} 个会话；{rooms}",
            "en": "Preset {name} ({slug}): {total} sessions in total; {rooms}",
        },
        "capacity.text.room": {
            "zh": "{room} {count}",
            "en": "{room} {count}",
        },
        "capacity.text.unbounded": {
            "zh": "预设 {name}（{slug}）：不使用 GPU，且清单中没有节点的 CPU 和内存数据，无法计算上限（设置 "
            "workstation_cpu_cores 和 workstation_memory_mib 后可计算）。",
            "en": "Preset {name} ({slug}): uses no GPU and the inventory gives no node CPU or memory, so it "
            "has no computed limit (set workstation_cpu_cores and workstation_memory_mib to count it).",
        },
        "capacity.text.unfit_title": {
            "zh": "无法在任何节点上运行的预设：",
            "en": "Presets that fit on no node:",
        },
        "capacity.text.all_fit": {
            "zh": "所有预设都至少能在一个节点上运行。",
            "en": "Every preset fits on at least one node.",
        },
        "capacity.reason.no_nodes": {
            "zh": "清单中没有工作站",
            "en": "the inventory has no workstations",
        },
        "capacity.reason.room": {
            "zh": "机房 {room} 中没有工作站",
            "en": "room {room} has no workstations",
        },
        "capacity.reason.gpu_model": {
            "zh": "没有 GPU 型号为 {gpu_model} 的工作站",
            "en": "no workstation has GPU model {gpu_model}",
        },
        "capacity.reason.gpu": {
            "zh": "符合条件的工作站都没有足够的 GPU（需要 {count} × {mib} MiB）",
            "en": "no matching workstation has enough GPU ({count} x {mib} MiB needed)",
        },
        "capacity.reason.cpu_memory": {
            "zh": "符合条件的工作站都没有足够的 CPU 或内存",
            "en": "no matching workstation has enough CPU or memory",
        },
        "capacity.text.unfit": {
            "zh": "- {name}（{slug}）：{reason}",
            "en": "- {name} ({slug}): {reason}",
        },
    }
)

MIB = 1024**2


@dataclass(frozen=True)
class Node:
    """One GPU worker node, with the facts the capacity report counts on.

    ``cpu_m`` and ``memory_bytes`` are the node's allocatable CPU (millicores) and memory. None
    means unknown, and then only the GPU limits the count.
    """

    name: str
    room: str
    gpu_memory_mib: int
    gpu_model: str = ""
    gpu_count: int = 1
    cpu_m: int | None = None
    memory_bytes: int | None = None


def _host_int(host: str, variable: str, value: object, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LabShiftError(
            "capacity.host_value_invalid", host=host, variable=variable, value=value, unit=unit
        )
    return value


def inventory_nodes(
    groups: Mapping[str, Sequence[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    rooms: Mapping[str, Any],
) -> list[Node]:
    """Build the node list from Ansible's ``groups``, ``hostvars`` and ``labshift_rooms``.

    Reads ``workstation_gpu_memory_mib`` (required), ``workstation_gpu_model``, and the optional
    ``workstation_gpu_count`` (default 1 with a GPU, else 0), ``workstation_cpu_cores`` and
    ``workstation_memory_mib`` (allocatable CPU cores and memory MiB of the node).
    """
    if not isinstance(rooms, Mapping):
        raise LabShiftError("capacity.rooms_invalid", value=rooms)
    nodes: list[Node] = []
    room_of: dict[str, str] = {}
    errors: list[LabShiftError] = []
    for room_id, room in rooms.items():
        if not isinstance(room, Mapping) or not isinstance(room.get("group"), str):
            raise LabShiftError("capacity.rooms_invalid", value=rooms)
        for host in groups.get(room["group"], []):
            if host in room_of:
                errors.append(
                    LabShiftError("capacity.host_two_rooms", host=host, first=room_of[host], second=room_id)
                )
                continue
            room_of[host] = str(room_id)
            try:
                nodes.append(_host_node(host, str(room_id), hostvars[host]))
            except LabShiftError as error:
                errors.append(error)
    if errors:
        raise LabShiftErrors(errors)
    return nodes


def _host_node(host: str, room_id: str, variables: Mapping[str, Any]) -> Node:
    if "workstation_gpu_memory_mib" not in variables:
        raise LabShiftError("capacity.host_value_missing", host=host, variable="workstation_gpu_memory_mib")
    gpu_memory = _host_int(
        host, "workstation_gpu_memory_mib", variables["workstation_gpu_memory_mib"], " MiB"
    )
    gpu_count = _host_int(
        host, "workstation_gpu_count", variables.get("workstation_gpu_count", 1 if gpu_memory else 0), ""
    )
    cpu_cores = variables.get("workstation_cpu_cores")
    memory_mib = variables.get("workstation_memory_mib")
    return Node(
        name=host,
        room=room_id,
        gpu_memory_mib=gpu_memory,
        gpu_model=str(variables.get("workstation_gpu_model") or ""),
        gpu_count=gpu_count if gpu_memory else 0,
        cpu_m=None if cpu_cores is None else _host_int(host, "workstation_cpu_cores", cpu_cores, "") * 1000,
        memory_bytes=None
        if memory_mib is None
        else _host_int(host, "workstation_memory_mib", memory_mib, " MiB") * MIB,
    )


def nodes_from_facts(facts: object) -> list[Node]:
    """Build nodes from plain mappings, as ``capacity_nodes`` returns them.

    Each mapping has ``name``, ``room`` and ``gpu_memory_mib``, and optionally ``gpu_model``,
    ``gpu_count``, ``cpu_m`` and ``memory_bytes``.
    """
    if isinstance(facts, Sequence) and not isinstance(facts, str):
        entries = list(facts)
    else:
        raise LabShiftError("capacity.node_invalid", index=1, value=facts)
    nodes: list[Node] = []
    for index, entry in enumerate(entries, start=1):
        if isinstance(entry, Node):
            nodes.append(entry)
            continue
        try:
            nodes.append(Node(**dict(entry)))
        except (TypeError, ValueError) as error:
            raise LabShiftError("capacity.node_invalid", index=index, value=entry) from error
        node = nodes[-1]
        if not isinstance(node.gpu_memory_mib, int) or not isinstance(node.gpu_count, int):
            raise LabShiftError("capacity.node_invalid", index=index, value=entry)
    return nodes


def check_presets_fit(catalog: Catalog, nodes: Sequence[Node]) -> None:
    """Raise for presets whose GPU share is larger than every node's card or card count.

    Runs only when at least one node has a GPU. Without GPU nodes, the report lists each GPU preset
    as unfit instead.
    """
    gpu_nodes = [node for node in nodes if node.gpu_count > 0 and node.gpu_memory_mib > 0]
    if not gpu_nodes:
        return
    largest_card = max(node.gpu_memory_mib for node in gpu_nodes)
    max_cards = max(node.gpu_count for node in gpu_nodes)
    errors: list[LabShiftError] = []
    for preset in catalog.presets:
        if preset.gpu is None:
            continue
        if preset.gpu.memory_mib > largest_card:
            errors.append(
                LabShiftError(
                    "preset.gpu_too_big", preset=preset.slug, mib=preset.gpu.memory_mib, largest=largest_card
                )
            )
        if preset.gpu.count > max_cards:
            errors.append(
                LabShiftError(
                    "preset.gpu_count_too_big", preset=preset.slug, count=preset.gpu.count, largest=max_cards
                )
            )
    if errors:
        raise LabShiftErrors(errors)


def _matches(preset: Preset, node: Node) -> bool:
    if preset.nodes.room is not None and node.room != preset.nodes.room:
        return False
    return preset.nodes.gpu_model is None or node.gpu_model == preset.nodes.gpu_model


def _gpu_sessions(preset: Preset, node: Node, backend: str, share_memory_mib: int) -> int | None:
    """Return how many sessions the node's GPUs hold, or None for a CPU-only preset."""
    gpu = preset.gpu
    if gpu is None:
        return None
    if node.gpu_count < gpu.count or node.gpu_memory_mib < gpu.memory_mib:
        return 0
    if backend == BACKEND_GPU_MANAGER:
        if gpu.count > 1:
            # Whole cards only: the loader requires cores == 100 for several cards.
            return node.gpu_count // gpu.count
        card_units = node.gpu_memory_mib // GPU_MANAGER_MEMORY_UNIT_MIB
        per_card = min(card_units // (gpu.memory_mib // GPU_MANAGER_MEMORY_UNIT_MIB), CARD_CORES // gpu.cores)
        return per_card * node.gpu_count
    # HAMi: each card offers at most `split` vGPUs, and a pod's vGPUs sit on distinct cards.
    split = max(1, node.gpu_memory_mib // share_memory_mib)
    per_card = min(split, node.gpu_memory_mib // gpu.memory_mib, CARD_CORES // gpu.cores)
    return per_card * node.gpu_count // gpu.count


def sessions_on_node(preset: Preset, node: Node, backend: str, share_memory_mib: int) -> int | None:
    """Return how many sessions of ``preset`` fit on ``node``, or None when nothing limits it."""
    if not _matches(preset, node):
        return 0
    limits: list[int] = []
    gpu = _gpu_sessions(preset, node, backend, share_memory_mib)
    if gpu is not None:
        limits.append(gpu)
    if node.cpu_m is not None:
        limits.append(node.cpu_m // preset.cpu_request_m)
    if node.memory_bytes is not None:
        limits.append(node.memory_bytes // preset.memory_request_bytes)
    return min(limits) if limits else None


def _unfit_reason(preset: Preset, nodes: Sequence[Node]) -> dict[str, Any]:
    if not nodes:
        return {"reason": "no_nodes", "params": {}}
    in_room = [node for node in nodes if preset.nodes.room is None or node.room == preset.nodes.room]
    if not in_room:
        return {"reason": "room", "params": {"room": preset.nodes.room}}
    matching = [node for node in in_room if _matches(preset, node)]
    if not matching:
        return {"reason": "gpu_model", "params": {"gpu_model": preset.nodes.gpu_model}}
    gpu = preset.gpu
    if gpu is not None and not any(
        node.gpu_count >= gpu.count and node.gpu_memory_mib >= gpu.memory_mib for node in matching
    ):
        return {"reason": "gpu", "params": {"count": gpu.count, "mib": gpu.memory_mib}}
    return {"reason": "cpu_memory", "params": {}}


def capacity_report(
    catalog: Catalog, nodes: Sequence[Node], rooms: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Count sessions per preset, per room and in total, and list the presets that fit nowhere.

    ``rooms`` (``labshift_rooms``) supplies room order and display names. Rooms of nodes that it
    does not list follow in sorted order.
    """
    check_presets_fit(catalog, nodes)
    room_ids = list(rooms or {})
    room_ids += sorted({node.room for node in nodes} - set(room_ids))
    room_entries = []
    for room_id in room_ids:
        room_nodes = [node for node in nodes if node.room == room_id]
        room_info = (rooms or {}).get(room_id)
        raw_name = room_info.get("name") if isinstance(room_info, Mapping) else None
        room_entries.append(
            {
                "id": room_id,
                "name": dict(raw_name) if isinstance(raw_name, Mapping) else {"zh": room_id, "en": room_id},
                "nodes": len(room_nodes),
                "gpus": sum(node.gpu_count for node in room_nodes),
                "gpu_memory_mib": sum(node.gpu_count * node.gpu_memory_mib for node in room_nodes),
            }
        )

    preset_entries = []
    unfit = []
    for preset in catalog.presets:
        counts = [
            (node, sessions_on_node(preset, node, catalog.backend, catalog.share_memory_mib))
            for node in nodes
        ]
        unbounded = bool(nodes) and any(count is None for node, count in counts if _matches(preset, node))
        per_room: dict[str, int | None] = {}
        for room_id in room_ids:
            room_counts = [count for node, count in counts if node.room == room_id]
            per_room[room_id] = None if unbounded else sum(count or 0 for count in room_counts)
        total = None if unbounded else sum(count or 0 for _, count in counts)
        entry = {
            "slug": preset.slug,
            "name": asdict(preset.name),
            "per_room": per_room,
            "total": total,
            "nodes": sum(1 for _, count in counts if count is None or count > 0),
            "fits": unbounded or bool(total),
        }
        preset_entries.append(entry)
        if not entry["fits"]:
            unfit.append({"slug": preset.slug, "name": asdict(preset.name), **_unfit_reason(preset, nodes)})

    return {
        "backend": catalog.backend,
        "share_memory_mib": catalog.share_memory_mib,
        "nodes": len(nodes),
        "gpus": sum(node.gpu_count for node in nodes),
        "rooms": room_entries,
        "presets": preset_entries,
        "unfit": unfit,
    }


def capacity_text(report: Mapping[str, Any], language: str | None = None) -> str:
    """Render a capacity report as readable lines in ``language`` (zh or en)."""
    lang = normalize_language(language)
    lines = [
        render(
            "capacity.text.title",
            lang,
            backend=report["backend"],
            share=report["share_memory_mib"],
            nodes=report["nodes"],
            cards=report["gpus"],
        ),
        render("capacity.text.note", lang),
    ]
    room_names = {room["id"]: room["name"].get(lang, room["id"]) for room in report["rooms"]}
    for entry in report["presets"]:
        name = entry["name"].get(lang, entry["slug"])
        if entry["total"] is None:
            lines.append(render("capacity.text.unbounded", lang, name=name, slug=entry["slug"]))
            continue
        separator = "，" if lang == "zh" else ", "
        rooms = separator.join(
            render("capacity.text.room", lang, room=room_names.get(room_id, room_id), count=count)
            for room_id, count in entry["per_room"].items()
        )
        lines.append(
            render(
                "capacity.text.preset", lang, name=name, slug=entry["slug"], total=entry["total"], rooms=rooms
            )
        )
    if report["unfit"]:
        lines.append(render("capacity.text.unfit_title", lang))
        for item in report["unfit"]:
            reason = render(f"capacity.reason.{item['reason']}", lang, **item["params"])
            lines.append(
                render(
                    "capacity.text.unfit",
                    lang,
                    name=item["name"].get(lang, item["slug"]),
                    slug=item["slug"],
                    reason=reason,
                )
            )
    else:
        lines.append(render("capacity.text.all_fit", lang))
    return "\n".join(lines)
