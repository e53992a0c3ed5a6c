"""Preflight validation of a LabShift inventory, before anything on a host changes.

The checks read a plain snapshot of the inventory: group membership, the host variables that
matter and the site-wide ``labshift_*`` settings. They return every problem found, each as a
``LabShiftError`` whose message names the host, the variable, the value and the fix.
``validate_inventory`` raises them all at once as ``LabShiftErrors``.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    normalize_language,
    register,
)

REQUIRED_GROUPS = ("control_plane", "storage", "registry", "workstations", "ops")
REQUIRED_SETTINGS = ("labshift_timezone", "labshift_lab_network", "labshift_output_dir", "labshift_rooms")
BOOT_METHODS = ("wol", "ipmi")
DEFAULT_BOOT_METHOD = "wol"
# Groups whose hosts are VMs; a workstation must not be in one of them too.
SERVER_GROUPS = ("control_plane", "storage", "registry")
ROOM_GROUP_PREFIX = "room_"

# Host variables the checks read; the action plugin collects only these.
HOST_VARIABLES = (
    "ansible_host",
    "ansible_connection",
    "workstation_mac",
    "workstation_gpu_model",
    "workstation_gpu_memory_mib",
    "workstation_boot_method",
    "workstation_bmc_address",
)

_MAC_PATTERN = re.compile(r"^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$", re.IGNORECASE)
# RFC 1123 host name, for a BMC given by name.
_HOSTNAME_PATTERN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.IGNORECASE,
)

register(
    {
        "inventory.failed": {
            "zh": "预检发现清单 {inventory} 有 {count} 个问题，未对任何主机做改动。请逐条修正后重新运行 "
            "playbooks/preflight.yml。",
            "en": "Preflight found {count} problems in inventory {inventory}; no host was changed. "
            "Fix each one and run playbooks/preflight.yml again.",
        },
        "inventory.passed": {
            "zh": "预检通过：清单 {inventory} 的 {count} 台主机没有发现问题。",
            "en": "Preflight passed: no problem found in the {count} hosts of inventory {inventory}.",
        },
        "inventory.group_missing": {
            "zh": "清单缺少主机组 {group} 或该组为空：请在 hosts.yml 中添加该组及其主机（{expected}）。",
            "en": "Inventory group {group} is missing or empty: add it with its hosts to hosts.yml "
            "({expected}).",
        },
        "inventory.setting_missing": {
            "zh": "全局变量 {variable} 未设置：请在 group_vars/all/main.yml 中设置，例如 {example}。",
            "en": "Site setting {variable} is not set: set it in group_vars/all/main.yml, for example "
            "{example}.",
        },
        "inventory.setting_undefined": {
            "zh": "变量 {variable} 无法求值（{error}）：请定义其引用的变量；vault_ 开头的密钥由 "
            "playbooks/secrets.yml 生成并加密保存。",
            "en": "Variable {variable} cannot be resolved ({error}): define the variable it refers to; "
            "secrets named vault_* are generated and encrypted by playbooks/secrets.yml.",
        },
        "inventory.language_invalid": {
            "zh": "labshift_language 的值 {value!r} 无效：请设为 zh 或 en。",
            "en": "labshift_language value {value!r} is invalid: set it to zh or en.",
        },
        "inventory.timezone_invalid": {
            "zh": "labshift_timezone 的值 {value!r} 不是 IANA 时区名：请写成 Asia/Shanghai 这样的名称。",
            "en": "labshift_timezone value {value!r} is not an IANA time zone name: write a name such as "
            "Asia/Shanghai.",
        },
        "inventory.network_invalid": {
            "zh": "labshift_lab_network 的值 {value!r} 不是 CIDR 格式的网络地址：请写成 10.20.0.0/16 "
            "这样的形式（主机位为 0）。",
            "en": "labshift_lab_network value {value!r} is not a network in CIDR notation: "
            "write it like 10.20.0.0/16, with the host bits zero.",
        },
        "inventory.rooms_invalid": {
            "zh": "labshift_rooms 的值 {value!r} 无效：应为机房编号到 {{group: room_<编号>, name: {{zh: ..., "
            "en: ...}}}} 的映射。",
            "en": "labshift_rooms value {value!r} is invalid: map each room id to "
            "{{group: room_<id>, name: {{zh: ..., en: ...}}}}.",
        },
        "inventory.room_name_invalid": {
            "zh": "labshift_rooms 中机房 {room} 的 name 缺少 {missing}（当前值 {value!r}）：请写成 "
            "name: {{zh: 信息楼 301 机房, en: Info Building Lab 301}}，中英文名称都要填写。",
            "en": "labshift_rooms room {room}: name lacks {missing} (value {value!r}): write it as "
            "name: {{zh: 信息楼 301 机房, en: Info Building Lab 301}}, "
            "with both the Chinese and the English name.",
        },
        "inventory.room_group_invalid": {
            "zh": "labshift_rooms 中机房 {room} 的 group 值 {value!r} 无效："
            "请写成该机房的主机组名，例如 room_{room}。",
            "en": "labshift_rooms room {room}: group value {value!r} is invalid: set it to the room's "
            "inventory group, such as room_{room}.",
        },
        "inventory.room_group_missing": {
            "zh": "labshift_rooms 中机房 {room} 对应的主机组 {group} 不在清单中或为空：请在 hosts.yml 的 "
            "workstations 下添加该组。",
            "en": "Room {room}: group {group} from labshift_rooms is missing or empty: "
            "add it under workstations in hosts.yml.",
        },
        "inventory.room_group_outside": {
            "zh": "机房组 {group} 中的主机 {host} 不属于 workstations 组：请把 {group} 放到 hosts.yml 的 "
            "workstations.children 下。",
            "en": "Room group {group} contains {host}, which is not in group workstations: "
            "move {group} under workstations.children in hosts.yml.",
        },
        "inventory.room_group_unlisted": {
            "zh": "主机组 {group} 看起来是机房组，但不在 labshift_rooms 中：请在 labshift_rooms "
            "中添加该机房，或给该组改名。",
            "en": "Group {group} looks like a room group but is not in labshift_rooms: "
            "add its room to labshift_rooms or rename the group.",
        },
        "inventory.workstation_no_room": {
            "zh": "工作站 {host} 不属于任何机房组：请把它放进且只放进 {groups} 中的一个。",
            "en": "Workstation {host} is in no room group: put it in exactly one of {groups}.",
        },
        "inventory.workstation_many_rooms": {
            "zh": "工作站 {host} 同时属于 {count} 个机房组（{groups}）：请只保留一个。",
            "en": "Workstation {host} is in {count} room groups ({groups}): keep it in exactly one.",
        },
        "inventory.workstation_is_server": {
            "zh": "工作站 {host} 同时属于 {group} 组：工作站与虚拟机必须是不同的主机，请从其中一个组删除它。",
            "en": "Workstation {host} is also in group {group}: workstations and VMs must be separate hosts; "
            "remove it from one of the groups.",
        },
        "inventory.host_ungrouped": {
            "zh": "主机 {host} 不属于任何组：若它是清单目录中的非清单文件（如课表）被误当作清单解析，"
            "请把该文件移出清单目录或在 ansible.cfg 的 [inventory] ignore_patterns 中忽略它；"
            "否则请把主机放入正确的组。",
            "en": "Host {host} is in no group: if a data file in the inventory directory (a timetable, for "
            "example) "
            "was parsed as an inventory, move it out or list it in ignore_patterns under [inventory] in "
            "ansible.cfg; otherwise put the host in its group.",
        },
        "inventory.control_plane_even": {
            "zh": "control_plane 组有 {count} 台主机：etcd 需要奇数个成员（1、3 或 5）才能保持多数派，"
            "请增加或减少一台。",
            "en": "Group control_plane has {count} hosts: etcd needs an odd number of members (1, 3 or 5) "
            "to keep quorum; add or remove one.",
        },
        "inventory.ansible_host_missing": {
            "zh": "工作站 {host} 未设置 ansible_host：请在 hosts.yml 中填写其管理网 IP 地址。",
            "en": "Workstation {host}: ansible_host is not set: give its management IP address in hosts.yml.",
        },
        "inventory.ip_invalid": {
            "zh": "工作站 {host} 的 ansible_host 值 {value!r} 不是 IP 地址：请填写管理网 IP 地址，例如 "
            "10.20.1.101。",
            "en": "Workstation {host}: ansible_host value {value!r} is not an IP address: "
            "give the management IP address, for example 10.20.1.101.",
        },
        "inventory.ip_outside_network": {
            "zh": "工作站 {host} 的 ansible_host 值 {value!r} 不在实验室网络 {network} 内：请更正该地址或 "
            "labshift_lab_network。",
            "en": "Workstation {host}: ansible_host value {value!r} is outside the lab network {network}: "
            "correct the address or labshift_lab_network.",
        },
        "inventory.ip_duplicate": {
            "zh": "主机 {host} 的 ansible_host 值 {value!r} 与主机 {other} 重复：每台主机需要自己的地址。",
            "en": "Host {host}: ansible_host value {value!r} is also used by {other}: give each host its own "
            "address.",
        },
        "inventory.mac_missing": {
            "zh": "工作站 {host} 未设置 workstation_mac：请填写接收网络唤醒（Wake-on-LAN）的网卡 MAC 地址，"
            "例如 aa:bb:cc:dd:ee:ff。",
            "en": "Workstation {host}: workstation_mac is not set: add the MAC address of the NIC that "
            "receives Wake-on-LAN, like aa:bb:cc:dd:ee:ff.",
        },
        "inventory.mac_invalid": {
            "zh": "工作站 {host} 的 workstation_mac 值 {value!r} 不是 MAC 地址："
            "请写成以冒号分隔的六组十六进制数，例如 aa:bb:cc:dd:ee:ff。",
            "en": "Workstation {host}: workstation_mac value {value!r} is not a MAC address: "
            "write six hex pairs separated by colons, like aa:bb:cc:dd:ee:ff.",
        },
        "inventory.mac_unquoted": {
            "zh": "工作站 {host} 的 workstation_mac 被 YAML 读成了数字 {value!r}："
            "不加引号的 MAC 地址（如 10:20:30:40:50:59）会被当作六十进制数，"
            '请加上引号，例如 workstation_mac: "aa:bb:cc:dd:ee:ff"。',
            "en": "Workstation {host}: YAML read workstation_mac as the number {value!r}, "
            "because an unquoted MAC such as 10:20:30:40:50:59 is a base-60 number: "
            'quote it, like workstation_mac: "aa:bb:cc:dd:ee:ff".',
        },
        "inventory.mac_not_unicast": {
            "zh": "工作站 {host} 的 workstation_mac 值 {value!r} 是组播、广播或全零地址，不是网卡地址："
            "请在该工作站上用 ip link 查看并复制网卡 MAC。",
            "en": "Workstation {host}: workstation_mac value {value!r} is a multicast, broadcast or zero "
            "address, "
            "not a NIC address: copy the NIC's MAC from `ip link` on the workstation.",
        },
        "inventory.mac_duplicate": {
            "zh": "工作站 {host} 的 workstation_mac 值 {value!r} 与工作站 {other} 重复：每块网卡的 MAC "
            "都不同，请核对复制的值。",
            "en": "Workstation {host}: workstation_mac value {value!r} is also used by {other}: "
            "every NIC has its own MAC, so check the copied value.",
        },
        "inventory.gpu_memory_missing": {
            "zh": "工作站 {host} 未设置 workstation_gpu_memory_mib：请填写显存大小（MiB），8 GB 显卡为 8192，"
            "无显卡为 0。",
            "en": "Workstation {host}: workstation_gpu_memory_mib is not set: give the GPU memory in MiB "
            "(8192 for an 8 GB card, 0 for no GPU).",
        },
        "inventory.gpu_memory_invalid": {
            "zh": "工作站 {host} 的 workstation_gpu_memory_mib 值 {value!r} 无效：请填写不小于 0 的整数 MiB，"
            "8 GB 显卡为 8192。",
            "en": "Workstation {host}: workstation_gpu_memory_mib value {value!r} is invalid: "
            "give a whole number of MiB, 0 or more (8192 for an 8 GB card).",
        },
        "inventory.gpu_model_missing": {
            "zh": "工作站 {host} 的显存为 {memory} MiB，但未设置 workstation_gpu_model：请填写显卡型号，例如 "
            "NVIDIA GeForce RTX 3070。",
            "en": "Workstation {host}: workstation_gpu_model is not set although workstation_gpu_memory_mib "
            "is "
            "{memory}: add the model, for example NVIDIA GeForce RTX 3070.",
        },
        "inventory.boot_method_invalid": {
            "zh": "工作站 {host} 的 workstation_boot_method 值 {value!r} 无效：请设为 wol 或 ipmi。",
            "en": "Workstation {host}: workstation_boot_method value {value!r} is invalid: set it to wol or "
            "ipmi.",
        },
        "inventory.bmc_missing": {
            "zh": "工作站 {host} 的 workstation_boot_method 为 ipmi，但未设置 workstation_bmc_address："
            "请填写 BMC 地址，或改用 wol。",
            "en": "Workstation {host}: workstation_boot_method is ipmi but workstation_bmc_address is not "
            "set: "
            "add the BMC address or use wol.",
        },
        "inventory.bmc_invalid": {
            "zh": "工作站 {host} 的 workstation_bmc_address 值 {value!r} 不是 IP 地址或主机名：请填写 BMC 的 "
            "IP 地址或 DNS 名称。",
            "en": "Workstation {host}: workstation_bmc_address value {value!r} is not an IP address or host "
            "name: "
            "give the BMC's IP address or DNS name.",
        },
    }
)


@dataclass(frozen=True)
class InventorySnapshot:
    """Plain copy of the inventory facts that preflight checks.

    ``groups`` maps each group to all of its hosts, children included, like Ansible's ``groups``
    variable. ``hosts`` maps each host to the variables in ``HOST_VARIABLES`` that are set.
    ``settings`` contains the site-wide ``labshift_*`` values, and ``unresolved`` maps each variable
    whose template failed to the error text.
    """

    groups: Mapping[str, Sequence[str]]
    hosts: Mapping[str, Mapping[str, Any]]
    settings: Mapping[str, Any]
    unresolved: Mapping[str, str] = field(default_factory=dict)


def check_inventory(snapshot: InventorySnapshot) -> list[LabShiftError]:
    """Run every preflight check and return the problems found, in a stable order."""
    problems: list[LabShiftError] = []
    problems.extend(_check_settings(snapshot))
    networks = _lab_networks(snapshot.settings.get("labshift_lab_network"))
    room_groups = _room_groups(snapshot.settings.get("labshift_rooms"))
    problems.extend(_check_groups(snapshot, room_groups))
    problems.extend(_check_workstations(snapshot, room_groups, networks))
    problems.extend(_check_unique_addresses(snapshot))
    return problems


def validate_inventory(snapshot: InventorySnapshot) -> None:
    """Raise ``LabShiftErrors`` carrying every problem when the inventory has any."""
    problems = check_inventory(snapshot)
    if problems:
        raise LabShiftErrors(problems)


def normalize_mac(value: str) -> str:
    """Return a MAC address in lower case with colons; the input must match the MAC pattern."""
    return value.strip().lower().replace("-", ":")


def _check_settings(snapshot: InventorySnapshot) -> Iterable[LabShiftError]:
    settings = snapshot.settings
    for variable, error in sorted(snapshot.unresolved.items()):
        yield LabShiftError("inventory.setting_undefined", variable=variable, error=error)

    examples = {
        "labshift_timezone": "Asia/Shanghai",
        "labshift_lab_network": "10.20.0.0/16",
        "labshift_output_dir": "/srv/labshift/output",
        "labshift_rooms": "{a: {group: room_a, name: {zh: 301 机房, en: Lab 301}}}",
    }
    for variable in REQUIRED_SETTINGS:
        if variable in snapshot.unresolved:
            continue
        if _is_blank(settings.get(variable)):
            yield LabShiftError("inventory.setting_missing", variable=variable, example=examples[variable])

    language = settings.get("labshift_language")
    if language is not None:
        try:
            normalize_language(str(language))
        except LabShiftError:
            yield LabShiftError(
                "inventory.language_invalid", host="all", variable="labshift_language", value=language
            )

    timezone = settings.get("labshift_timezone")
    if not _is_blank(timezone) and not _is_time_zone(timezone):
        yield LabShiftError(
            "inventory.timezone_invalid", host="all", variable="labshift_timezone", value=timezone
        )

    network = settings.get("labshift_lab_network")
    if not _is_blank(network):
        for item in network if isinstance(network, list) else [network]:
            if _parse_network(item) is None:
                yield LabShiftError(
                    "inventory.network_invalid", host="all", variable="labshift_lab_network", value=item
                )

    rooms = settings.get("labshift_rooms")
    if not _is_blank(rooms):
        yield from _check_rooms_setting(rooms)


def _check_rooms_setting(rooms: Any) -> Iterable[LabShiftError]:
    if not isinstance(rooms, Mapping):
        yield LabShiftError("inventory.rooms_invalid", host="all", variable="labshift_rooms", value=rooms)
        return
    for room, entry in rooms.items():
        if not isinstance(entry, Mapping):
            yield LabShiftError(
                "inventory.rooms_invalid", host="all", variable="labshift_rooms", value={room: entry}
            )
            continue
        group = entry.get("group")
        if not isinstance(group, str) or not group:
            yield LabShiftError(
                "inventory.room_group_invalid",
                room=room,
                field="group",
                value=group,
                host="all",
                variable="labshift_rooms",
            )
        name = entry.get("name")
        names = name if isinstance(name, Mapping) else {}
        missing = [lang for lang in ("zh", "en") if _is_blank(names.get(lang))]
        if missing:
            yield LabShiftError(
                "inventory.room_name_invalid",
                room=room,
                field="name",
                value=name,
                missing=", ".join(missing),
                host="all",
                variable="labshift_rooms",
            )


def _check_groups(snapshot: InventorySnapshot, room_groups: dict[str, str]) -> Iterable[LabShiftError]:
    groups = snapshot.groups
    expected = {
        "control_plane": "1, 3 or 5 VMs",
        "storage": "1 VM",
        "registry": "1 VM",
        "workstations": "room_<id> child groups",
        "ops": "1 host",
    }
    for group in REQUIRED_GROUPS:
        if not groups.get(group):
            yield LabShiftError("inventory.group_missing", group=group, expected=expected[group])

    control_plane = groups.get("control_plane") or []
    if control_plane and len(control_plane) % 2 == 0:
        yield LabShiftError(
            "inventory.control_plane_even",
            host="control_plane",
            variable="groups",
            value=len(control_plane),
            count=len(control_plane),
        )

    workstations = set(groups.get("workstations") or [])
    for room, group in room_groups.items():
        members = groups.get(group) or []
        if not members:
            yield LabShiftError("inventory.room_group_missing", room=room, group=group)
            continue
        outside = [host for host in members if host not in workstations]
        if outside:
            yield LabShiftError("inventory.room_group_outside", group=group, host=outside[0])

    for host in groups.get("ungrouped") or []:
        yield LabShiftError("inventory.host_ungrouped", host=host, variable="groups", value="ungrouped")

    # Without a usable labshift_rooms every room group would be reported as unlisted: skip that noise.
    listed = set(room_groups.values())
    if not listed:
        return
    for group in sorted(groups):
        if group.startswith(ROOM_GROUP_PREFIX) and group not in listed and groups[group]:
            yield LabShiftError("inventory.room_group_unlisted", group=group)


def _check_workstations(
    snapshot: InventorySnapshot,
    room_groups: dict[str, str],
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> Iterable[LabShiftError]:
    groups = snapshot.groups
    room_members = {group: set(groups.get(group) or []) for group in room_groups.values()}
    seen_macs: dict[str, str] = {}

    for host in groups.get("workstations") or []:
        variables = snapshot.hosts.get(host, {})

        rooms = [group for group, members in room_members.items() if host in members]
        if not rooms and room_groups:
            yield LabShiftError(
                "inventory.workstation_no_room", host=host, groups=", ".join(room_groups.values())
            )
        elif len(rooms) > 1:
            yield LabShiftError(
                "inventory.workstation_many_rooms",
                host=host,
                count=len(rooms),
                groups=", ".join(sorted(rooms)),
            )
        for group in SERVER_GROUPS:
            if host in (groups.get(group) or []):
                yield LabShiftError("inventory.workstation_is_server", host=host, group=group)

        yield from _check_workstation_address(host, variables, networks)
        yield from _check_workstation_mac(host, variables, seen_macs)
        yield from _check_workstation_gpu(host, variables)
        yield from _check_workstation_boot(host, variables)


def _check_workstation_address(
    host: str,
    variables: Mapping[str, Any],
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> Iterable[LabShiftError]:
    address = variables.get("ansible_host")
    if _is_blank(address):
        yield LabShiftError("inventory.ansible_host_missing", host=host, variable="ansible_host", value=None)
        return
    ip = _parse_ip(address)
    if ip is None:
        yield LabShiftError("inventory.ip_invalid", host=host, variable="ansible_host", value=address)
        return
    if networks and not any(ip in network for network in networks):
        yield LabShiftError(
            "inventory.ip_outside_network",
            host=host,
            variable="ansible_host",
            value=address,
            network=", ".join(str(network) for network in networks),
        )


def _check_workstation_mac(
    host: str, variables: Mapping[str, Any], seen: dict[str, str]
) -> Iterable[LabShiftError]:
    mac = variables.get("workstation_mac")
    if _is_blank(mac):
        yield LabShiftError("inventory.mac_missing", host=host, variable="workstation_mac", value=None)
        return
    if isinstance(mac, int) and not isinstance(mac, bool):
        yield LabShiftError("inventory.mac_unquoted", host=host, variable="workstation_mac", value=mac)
        return
    if not isinstance(mac, str) or not _MAC_PATTERN.match(mac.strip()):
        yield LabShiftError("inventory.mac_invalid", host=host, variable="workstation_mac", value=mac)
        return
    normalized = normalize_mac(mac)
    first_octet = int(normalized[:2], 16)
    # The lowest bit of the first octet marks a group (multicast or broadcast) address.
    if first_octet & 1 or normalized == "00:00:00:00:00:00":
        yield LabShiftError("inventory.mac_not_unicast", host=host, variable="workstation_mac", value=mac)
        return
    other = seen.get(normalized)
    if other is not None:
        yield LabShiftError(
            "inventory.mac_duplicate", host=host, variable="workstation_mac", value=mac, other=other
        )
        return
    seen[normalized] = host


def _check_workstation_gpu(host: str, variables: Mapping[str, Any]) -> Iterable[LabShiftError]:
    memory = variables.get("workstation_gpu_memory_mib")
    if _is_blank(memory):
        yield LabShiftError(
            "inventory.gpu_memory_missing", host=host, variable="workstation_gpu_memory_mib", value=None
        )
        return
    memory_mib = _parse_whole_number(memory)
    if memory_mib is None:
        yield LabShiftError(
            "inventory.gpu_memory_invalid", host=host, variable="workstation_gpu_memory_mib", value=memory
        )
        return
    if memory_mib > 0 and _is_blank(variables.get("workstation_gpu_model")):
        yield LabShiftError(
            "inventory.gpu_model_missing",
            host=host,
            variable="workstation_gpu_model",
            value=variables.get("workstation_gpu_model"),
            memory=memory_mib,
        )


def _check_workstation_boot(host: str, variables: Mapping[str, Any]) -> Iterable[LabShiftError]:
    method = variables.get("workstation_boot_method")
    if _is_blank(method):
        method = DEFAULT_BOOT_METHOD
    if method not in BOOT_METHODS:
        yield LabShiftError(
            "inventory.boot_method_invalid", host=host, variable="workstation_boot_method", value=method
        )
        return
    if method != "ipmi":
        return
    bmc = variables.get("workstation_bmc_address")
    if _is_blank(bmc):
        yield LabShiftError(
            "inventory.bmc_missing", host=host, variable="workstation_bmc_address", value=None
        )
    elif not isinstance(bmc, str) or (_parse_ip(bmc) is None and not _HOSTNAME_PATTERN.match(bmc)):
        yield LabShiftError("inventory.bmc_invalid", host=host, variable="workstation_bmc_address", value=bmc)


def _check_unique_addresses(snapshot: InventorySnapshot) -> Iterable[LabShiftError]:
    """Report each IP address given as ansible_host to more than one host (local hosts excluded)."""
    owners: dict[str, str] = {}
    for host, variables in snapshot.hosts.items():
        if variables.get("ansible_connection") == "local":
            continue
        ip = _parse_ip(variables.get("ansible_host"))
        if ip is None:
            continue
        key = str(ip)
        other = owners.get(key)
        if other is None:
            owners[key] = host
        else:
            yield LabShiftError(
                "inventory.ip_duplicate",
                host=host,
                variable="ansible_host",
                value=variables["ansible_host"],
                other=other,
            )


def _lab_networks(value: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    items = value if isinstance(value, list) else [value]
    parsed = [_parse_network(item) for item in items if not _is_blank(item)]
    return [network for network in parsed if network is not None]


def _room_groups(value: Any) -> dict[str, str]:
    """Map each room id of ``labshift_rooms`` to its group name, skipping malformed entries."""
    if not isinstance(value, Mapping):
        return {}
    result: dict[str, str] = {}
    for room, entry in value.items():
        if isinstance(entry, Mapping) and isinstance(entry.get("group"), str) and entry["group"]:
            result[str(room)] = entry["group"]
    return result


def _parse_network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        return None


def _parse_ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _parse_whole_number(value: Any) -> int | None:
    """Return ``value`` as an int when it is a whole number of 0 or more (digits in a string count)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _is_time_zone(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)
