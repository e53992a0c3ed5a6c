"""Resource presets and user groups: the typed model and its validation.

Lab staff write ``labshift_presets`` and ``labshift_user_groups`` in the inventory. ``load_catalog``
checks every entry against the chosen GPU-sharing backend and collects all problems into one
``LabShiftErrors``, so nothing is generated from a half-valid list. Each message names the preset
(or group) and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.messages import (
    LabShiftError,
    LabShiftErrors,
    register,
)
from ansible_collections.labshift.lab.plugins.module_utils.quantities import (
    QuantityError,
    parse_cpu_millicores,
    parse_gpu_memory_mib,
    parse_memory_bytes,
)

BACKEND_GPU_MANAGER = "gpu-manager"
BACKEND_HAMI = "hami"
BACKENDS = (BACKEND_GPU_MANAGER, BACKEND_HAMI)

# tencent.com/vcuda-memory counts GPU memory in units of 256 MiB.
GPU_MANAGER_MEMORY_UNIT_MIB = 256
# Both backends express compute as a percentage of one card.
CARD_CORES = 100

GROUP_KINDS = ("students", "teachers", "course")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
IMAGE_REFERENCE = re.compile(r"^[^\s]+$")

PRESET_FIELDS = (
    "slug",
    "name",
    "description",
    "cpu",
    "memory",
    "gpu",
    "images",
    "groups",
    "nodes",
    "default",
)
GPU_FIELDS = ("memory", "cores", "count")
NODE_FIELDS = ("room", "gpu_model")
GROUP_FIELDS = ("name", "kind", "display_name", "namespace", "max_sessions")

register(
    {
        "preset.list_invalid": {
            "zh": "{variable} 必须是列表，当前是 {kind}。",
            "en": "{variable} must be a list, got {kind}.",
        },
        "preset.entry_invalid": {
            "zh": "{variable} 的第 {index} 项必须是映射（键: 值），当前是 {kind}。",
            "en": "Entry #{index} of {variable} must be a mapping (key: value), got {kind}.",
        },
        "preset.slug_missing": {
            "zh": "labshift_presets 的第 {index} 项缺少 slug：请添加如 slug: teaching-a 的唯一标识。",
            "en": "Entry #{index} of labshift_presets has no slug: add a unique id such as slug: teaching-a.",
        },
        "preset.slug_invalid": {
            "zh": "labshift_presets 的第 {index} 项：slug {value!r} 无效，只能用小写字母、数字和连字符，以字"
            "母或数字开头和结尾，最多 63 个字符。",
            "en": "Entry #{index} of labshift_presets: slug {value!r} is invalid: use lowercase letters, "
            "digits and hyphens, start and end with a letter or digit, at most 63 characters.",
        },
        "preset.slug_duplicate": {
            "zh": "预设 {preset!r}：slug 在第 {first} 项和第 {second} 项重复，每个 slug 必须唯一。",
            "en": "Preset {preset!r}: the slug is used by entries #{first} and #{second}; each slug must be "
            "unique.",
        },
        "preset.field_unknown": {
            "zh": "预设 {preset!r}：字段 {field!r} 不是预设字段，可用字段：{known}。",
            "en": "Preset {preset!r}: field {field!r} is not a preset field; valid fields: {known}.",
        },
        "preset.field_missing": {
            "zh": "预设 {preset!r}：缺少必填字段 {field}。",
            "en": "Preset {preset!r}: required field {field} is missing.",
        },
        "preset.mapping_invalid": {
            "zh": "预设 {preset!r}：字段 {field} 必须是映射（键: 值），当前是 {value!r}。",
            "en": "Preset {preset!r}: field {field} must be a mapping (key: value), got {value!r}.",
        },
        "preset.text_invalid": {
            "zh": "预设 {preset!r}：字段 {field} 需要中英文两种文本，例如 {field}: "
            "{{zh: 教学 A, en: Teaching A}}。",
            "en": "Preset {preset!r}: field {field} needs both Chinese and English text, for example "
            "{field}: {{zh: 教学 A, en: Teaching A}}.",
        },
        "preset.memory_unit": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 不是带二进制单位的内存大小，请写成 2Gi 或 "
            "512Mi（Kubernetes 把 2G 理解为 2,000,000,000 字节）。",
            "en": "Preset {preset!r}: field {field} value {value!r} is not a memory size with a binary unit: "
            "write it like 2Gi or 512Mi (Kubernetes reads 2G as 2,000,000,000 bytes).",
        },
        "preset.memory_precision": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 不是整数字节，请改用更小的单位，如 512Mi。",
            "en": "Preset {preset!r}: field {field} value {value!r} is not a whole number of bytes; use a "
            "smaller unit such as 512Mi.",
        },
        "preset.cpu_invalid": {
            "zh": '预设 {preset!r}：字段 {field} 的值 {value!r} 不是 CPU 数量，请写成 1、0.5 或 "500m"。',
            "en": "Preset {preset!r}: field {field} value {value!r} is not a CPU amount: write 1, 0.5 or "
            '"500m".',
        },
        "preset.cpu_precision": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 精度超过 1 毫核（1m），请取整到毫核。",
            "en": "Preset {preset!r}: field {field} value {value!r} is finer than 1 millicore (1m); round it "
            "to millicores.",
        },
        "preset.not_positive": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 必须大于 0。",
            "en": "Preset {preset!r}: field {field} value {value!r} must be greater than zero.",
        },
        "preset.gpu_memory_unit": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 不是 GPU 显存大小，请写整数 MiB（4096）或带 "
            "Mi、Gi 的字符串（4096Mi、4Gi）。",
            "en": "Preset {preset!r}: field {field} value {value!r} is not a GPU memory size: write whole "
            "MiB as a number (4096) or a string with Mi or Gi (4096Mi, 4Gi).",
        },
        "preset.gpu_memory_precision": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 不是整数 MiB，HAMi 的 nvidia.com/gpumem 和 "
            "gpu-manager 都只接受整数 MiB。",
            "en": "Preset {preset!r}: field {field} value {value!r} is not a whole number of MiB, which both "
            "HAMi (nvidia.com/gpumem) and gpu-manager require.",
        },
        "preset.gpu_memory_backend_unit": {
            "zh": "预设 {preset!r}：字段 gpu.memory 为 {mib} MiB，不是 gpu-manager 显存单位 256 MiB（"
            "tencent.com/vcuda-memory）的整数倍，请改为 {lower} 或 {upper} MiB。",
            "en": "Preset {preset!r}: field gpu.memory is {mib} MiB, not a whole number of gpu-manager units "
            "of 256 MiB (tencent.com/vcuda-memory); use {lower} or {upper} MiB.",
        },
        "preset.gpu_cores_invalid": {
            "zh": "预设 {preset!r}：字段 gpu.cores 的值 {value!r} 无效，请写单张卡算力的整数百分比，1 到 "
            "100。",
            "en": "Preset {preset!r}: field gpu.cores value {value!r} is invalid: write a whole percentage "
            "of one card's compute, from 1 to 100.",
        },
        "preset.gpu_count_invalid": {
            "zh": "预设 {preset!r}：字段 gpu.count 的值 {value!r} 无效，请写不小于 1 的整数卡数。",
            "en": "Preset {preset!r}: field gpu.count value {value!r} is invalid: write a whole number of "
            "cards, 1 or more.",
        },
        "preset.gpu_multi_fractional": {
            "zh": "预设 {preset!r}：gpu.count 为 {count} 而 gpu.cores 为 {cores}；gpu-manager 只能共享单张卡"
            "，多卡时请把 gpu.cores 设为 100。",
            "en": "Preset {preset!r}: gpu.count is {count} but gpu.cores is {cores}; gpu-manager shares only "
            "a single card, so for more than one card set gpu.cores to 100.",
        },
        "preset.request_above_limit": {
            "zh": "预设 {preset!r}：字段 {field} 的 request {request!r} 大于 limit {limit!r}。",
            "en": "Preset {preset!r}: field {field} has request {request!r} larger than limit {limit!r}.",
        },
        "preset.groups_empty": {
            "zh": "预设 {preset!r}：字段 groups 为空，请至少列出 labshift_user_groups 中的一个组。",
            "en": "Preset {preset!r}: field groups is empty; list at least one group from "
            "labshift_user_groups.",
        },
        "preset.group_unknown": {
            "zh": "预设 {preset!r}：字段 groups 中的组 {value!r} 未在 labshift_user_groups 中定义（已定义："
            "{known}）。",
            "en": "Preset {preset!r}: group {value!r} in field groups is not defined in labshift_user_groups "
            "(defined: {known}).",
        },
        "preset.room_unknown": {
            "zh": "预设 {preset!r}：字段 nodes.room 的值 {value!r} 不是 labshift_rooms 中的机房（已定义："
            "{known}）。",
            "en": "Preset {preset!r}: field nodes.room value {value!r} is not a room in labshift_rooms "
            "(defined: {known}).",
        },
        "preset.string_invalid": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 必须是非空字符串。",
            "en": "Preset {preset!r}: field {field} value {value!r} must be a non-empty string.",
        },
        "preset.bool_invalid": {
            "zh": "预设 {preset!r}：字段 {field} 的值 {value!r} 必须是 true 或 false。",
            "en": "Preset {preset!r}: field {field} value {value!r} must be true or false.",
        },
        "preset.field_list_invalid": {
            "zh": "预设 {preset!r}：字段 {field} 必须是列表，当前是 {value!r}。",
            "en": "Preset {preset!r}: field {field} must be a list, got {value!r}.",
        },
        "preset.image_invalid": {
            "zh": "预设 {preset!r}：images 的第 {index} 项 {value!r} 无效，请写镜像引用（如 "
            "harbor.lab.example/teaching/notebook:2026.1）或含 image 与 name（中英文）的映射。",
            "en": "Preset {preset!r}: entry #{index} of images, {value!r}, is invalid: give an image "
            "reference (such as harbor.lab.example/teaching/notebook:2026.1) or a mapping with image and "
            "name (zh and en).",
        },
        "preset.image_duplicate": {
            "zh": "预设 {preset!r}：镜像 {value!r} 在 images 中出现了多次。",
            "en": "Preset {preset!r}: image {value!r} appears more than once in images.",
        },
        "preset.default_many": {
            "zh": "多个预设标记了 default: true（{presets}），最多只能标记一个。",
            "en": "Several presets are marked default: true ({presets}); mark at most one.",
        },
        "preset.backend_invalid": {
            "zh": "labshift_gpu_sharing_backend 的值 {value!r} 无效，请设为 gpu-manager 或 hami。",
            "en": "labshift_gpu_sharing_backend value {value!r} is invalid: set it to gpu-manager or hami.",
        },
        "preset.share_memory_invalid": {
            "zh": "labshift_gpu_share_memory_mib 的值 {value!r} 无效，请写大于 0 的整数 MiB（4096 表示把 8 "
            "GB 卡分成两个 vGPU）；使用 gpu-manager 时还须是 256 的整数倍。",
            "en": "labshift_gpu_share_memory_mib value {value!r} is invalid: write a whole number of MiB "
            "greater than zero (4096 offers an 8 GB card as two vGPUs); with gpu-manager it must also be a "
            "multiple of 256.",
        },
        "group.name_invalid": {
            "zh": "labshift_user_groups 的第 {index} 项：name {value!r} 必须是非空字符串（JupyterHub 组名）"
            "。",
            "en": "Entry #{index} of labshift_user_groups: name {value!r} must be a non-empty string (the "
            "JupyterHub group name).",
        },
        "group.name_duplicate": {
            "zh": "用户组 {group!r} 在 labshift_user_groups 中出现了多次。",
            "en": "User group {group!r} appears more than once in labshift_user_groups.",
        },
        "group.field_unknown": {
            "zh": "用户组 {group!r}：字段 {field!r} 不是用户组字段，可用字段：{known}。",
            "en": "User group {group!r}: field {field!r} is not a user group field; valid fields: {known}.",
        },
        "group.kind_invalid": {
            "zh": "用户组 {group!r}：字段 kind 的值 {value!r} 无效，请设为 students、teachers 或 course。",
            "en": "User group {group!r}: field kind value {value!r} is invalid: set it to students, teachers "
            "or course.",
        },
        "group.text_invalid": {
            "zh": "用户组 {group!r}：字段 display_name 需要中英文两种文本，例如 {{zh: 学生, en: Students}}。",
            "en": "User group {group!r}: field display_name needs both Chinese and English text, for example "
            "{{zh: 学生, en: Students}}.",
        },
        "group.namespace_invalid": {
            "zh": "用户组 {group!r}：命名空间 {value!r} 不是合法的 Kubernetes 命名空间名（小写字母、数字、连"
            "字符，最多 63 个字符），请设置 namespace 字段。",
            "en": "User group {group!r}: namespace {value!r} is not a valid Kubernetes namespace name "
            "(lowercase letters, digits and hyphens, at most 63 characters); set the namespace field.",
        },
        "group.namespace_duplicate": {
            "zh": "用户组 {group!r} 与 {other!r} 使用同一个命名空间 {value!r}，每个组需要自己的命名空间。",
            "en": "User groups {group!r} and {other!r} both use namespace {value!r}; each group needs its "
            "own.",
        },
        "group.max_sessions_invalid": {
            "zh": "用户组 {group!r}：字段 max_sessions 的值 {value!r} 无效，请写大于 0 的整数（该组同时运行的"
            "会话上限）。",
            "en": "User group {group!r}: field max_sessions value {value!r} is invalid: write a whole number "
            "greater than zero (the group's limit of concurrent sessions).",
        },
        "group.max_sessions_missing": {
            "zh": "用户组 {group!r}：缺少必填字段 max_sessions（该组同时运行的会话上限）。",
            "en": "User group {group!r}: required field max_sessions (the group's limit of concurrent "
            "sessions) is missing.",
        },
    }
)


@dataclass(frozen=True)
class LocalizedText:
    """A text shown to users, in Chinese and English."""

    zh: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.zh


@dataclass(frozen=True)
class UserGroup:
    """A JupyterHub group that presets are offered to, with its namespace and session limit."""

    name: str
    kind: str
    display_name: LocalizedText
    namespace: str
    max_sessions: int


@dataclass(frozen=True)
class GpuShare:
    """The GPU part of a preset: per-card memory in MiB, per-card compute percent, and card count."""

    memory_mib: int
    cores: int
    count: int = 1


@dataclass(frozen=True)
class PresetImage:
    """A container image a preset offers, with an optional display name."""

    image: str
    name: LocalizedText | None = None


@dataclass(frozen=True)
class NodeSelection:
    """Optional restriction of a preset to one room or one GPU model."""

    room: str | None = None
    gpu_model: str | None = None


@dataclass(frozen=True)
class Preset:
    """One validated resource preset, with CPU in millicores and memory in bytes."""

    slug: str
    name: LocalizedText
    description: LocalizedText | None
    cpu_request_m: int
    cpu_limit_m: int
    memory_request_bytes: int
    memory_limit_bytes: int
    gpu: GpuShare | None
    images: tuple[PresetImage, ...]
    groups: tuple[str, ...]
    nodes: NodeSelection = field(default_factory=NodeSelection)
    default: bool = False


@dataclass(frozen=True)
class Catalog:
    """Validated presets and user groups, for one GPU-sharing backend."""

    presets: tuple[Preset, ...]
    groups: tuple[UserGroup, ...]
    backend: str
    share_memory_mib: int

    def group(self, name: str) -> UserGroup:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def presets_for_group(self, name: str) -> list[Preset]:
        return [preset for preset in self.presets if name in preset.groups]


def _kind(value: object) -> str:
    return type(value).__name__


def check_backend(backend: object) -> str:
    """Return the backend name, or raise for anything but ``gpu-manager`` and ``hami``."""
    if backend not in BACKENDS:
        raise LabShiftError("preset.backend_invalid", value=backend)
    return str(backend)


def check_share_memory(share_memory_mib: object, backend: str) -> int:
    """Return ``labshift_gpu_share_memory_mib`` as an int after checking it fits the backend."""
    if isinstance(share_memory_mib, bool) or not isinstance(share_memory_mib, int) or share_memory_mib <= 0:
        raise LabShiftError("preset.share_memory_invalid", value=share_memory_mib)
    if backend == BACKEND_GPU_MANAGER and share_memory_mib % GPU_MANAGER_MEMORY_UNIT_MIB:
        raise LabShiftError("preset.share_memory_invalid", value=share_memory_mib)
    return share_memory_mib


def _localized(value: object) -> LocalizedText | None:
    if not isinstance(value, Mapping):
        return None
    zh = value.get("zh")
    en = value.get("en")
    if not isinstance(zh, str) or not isinstance(en, str) or not zh.strip() or not en.strip():
        return None
    return LocalizedText(zh=zh.strip(), en=en.strip())


def load_groups(raw_groups: object) -> tuple[tuple[UserGroup, ...], list[LabShiftError]]:
    """Validate ``labshift_user_groups`` and return the groups that passed with every error found."""
    errors: list[LabShiftError] = []
    if not isinstance(raw_groups, Sequence) or isinstance(raw_groups, str):
        return (), [
            LabShiftError("preset.list_invalid", variable="labshift_user_groups", kind=_kind(raw_groups))
        ]

    groups: list[UserGroup] = []
    seen_names: set[str] = set()
    namespace_owner: dict[str, str] = {}
    for index, raw in enumerate(raw_groups, start=1):
        if not isinstance(raw, Mapping):
            errors.append(
                LabShiftError(
                    "preset.entry_invalid", variable="labshift_user_groups", index=index, kind=_kind(raw)
                )
            )
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(LabShiftError("group.name_invalid", index=index, value=name))
            continue
        if name in seen_names:
            errors.append(LabShiftError("group.name_duplicate", group=name))
            continue
        seen_names.add(name)

        group_errors: list[LabShiftError] = []
        for key in raw:
            if key not in GROUP_FIELDS:
                group_errors.append(
                    LabShiftError("group.field_unknown", group=name, field=key, known=", ".join(GROUP_FIELDS))
                )
        kind = raw.get("kind")
        if kind not in GROUP_KINDS:
            group_errors.append(LabShiftError("group.kind_invalid", group=name, value=kind))
        display_name = _localized(raw.get("display_name"))
        if display_name is None:
            group_errors.append(LabShiftError("group.text_invalid", group=name))
        namespace = raw.get("namespace", f"labshift-{name}")
        if not isinstance(namespace, str) or DNS_LABEL.match(namespace) is None:
            group_errors.append(LabShiftError("group.namespace_invalid", group=name, value=namespace))
        elif namespace in namespace_owner:
            group_errors.append(
                LabShiftError(
                    "group.namespace_duplicate", group=name, other=namespace_owner[namespace], value=namespace
                )
            )
        else:
            namespace_owner[namespace] = name
        max_sessions = raw.get("max_sessions")
        if "max_sessions" not in raw:
            group_errors.append(LabShiftError("group.max_sessions_missing", group=name))
        elif isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions <= 0:
            group_errors.append(LabShiftError("group.max_sessions_invalid", group=name, value=max_sessions))

        if group_errors:
            errors.extend(group_errors)
            continue
        # The checks above rejected these cases; the asserts narrow the types for mypy.
        assert display_name is not None
        assert isinstance(namespace, str)
        assert isinstance(max_sessions, int)
        groups.append(
            UserGroup(
                name=name,
                kind=str(kind),
                display_name=display_name,
                namespace=namespace,
                max_sessions=max_sessions,
            )
        )
    return tuple(groups), errors


class _PresetReader:
    """Read one raw preset mapping, appending every problem to ``errors``."""

    def __init__(self, slug: str, raw: Mapping[str, Any], errors: list[LabShiftError]) -> None:
        self.slug = slug
        self.raw = raw
        self.errors = errors

    def fail(self, key: str, **params: Any) -> None:
        self.errors.append(LabShiftError(key, preset=self.slug, **params))

    def quantity_error(self, error: QuantityError, field_name: str) -> None:
        key = "preset.cpu_invalid" if error.kind == "cpu" else f"preset.{error.kind}"
        self.fail(key, field=field_name, value=error.value)

    def text(self, field_name: str, required: bool) -> LocalizedText | None:
        if field_name not in self.raw or self.raw[field_name] is None:
            if required:
                self.fail("preset.field_missing", field=field_name)
            return None
        text = _localized(self.raw[field_name])
        if text is None:
            self.fail("preset.text_invalid", field=field_name)
        return text

    def request_limit(self, field_name: str, parse: Any) -> tuple[int, int] | None:
        """Read ``cpu`` or ``memory``: a scalar (request equals limit) or {request, limit}."""
        if field_name not in self.raw or self.raw[field_name] is None:
            self.fail("preset.field_missing", field=field_name)
            return None

        value = self.raw[field_name]
        if isinstance(value, Mapping):
            for key in value:
                if key not in ("request", "limit"):
                    self.fail("preset.field_unknown", field=f"{field_name}.{key}", known="request, limit")
            if "request" not in value:
                self.fail("preset.field_missing", field=f"{field_name}.request")
            if "limit" not in value:
                self.fail("preset.field_missing", field=f"{field_name}.limit")
            if "request" not in value or "limit" not in value:
                return None
            raw_request, raw_limit = value["request"], value["limit"]
            request_field, limit_field = f"{field_name}.request", f"{field_name}.limit"
        else:
            raw_request = raw_limit = value
            request_field = limit_field = field_name

        # A scalar is parsed once, so a bad value gives one error, not one for request and limit.
        amounts = [(raw_request, request_field)]
        if request_field != limit_field:
            amounts.append((raw_limit, limit_field))
        parsed: list[int] = []
        for raw_amount, amount_field in amounts:
            try:
                parsed.append(parse(raw_amount))
            except QuantityError as error:
                self.quantity_error(error, amount_field)
        if len(parsed) != len(amounts):
            return None

        request, limit = parsed[0], parsed[-1]
        if request > limit:
            self.fail("preset.request_above_limit", field=field_name, request=raw_request, limit=raw_limit)
            return None
        return request, limit

    def gpu(self, backend: str) -> GpuShare | None:
        value = self.raw.get("gpu")
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail("preset.mapping_invalid", field="gpu", value=value)
            return None
        for key in value:
            if key not in GPU_FIELDS:
                self.fail("preset.field_unknown", field=f"gpu.{key}", known=", ".join(GPU_FIELDS))
        ok = True

        memory_mib = 0
        if "memory" not in value:
            self.fail("preset.field_missing", field="gpu.memory")
            ok = False
        else:
            try:
                memory_mib = parse_gpu_memory_mib(value["memory"])
            except QuantityError as error:
                self.quantity_error(error, "gpu.memory")
                ok = False
        if ok and backend == BACKEND_GPU_MANAGER and memory_mib % GPU_MANAGER_MEMORY_UNIT_MIB:
            lower = memory_mib - memory_mib % GPU_MANAGER_MEMORY_UNIT_MIB
            self.fail(
                "preset.gpu_memory_backend_unit",
                mib=memory_mib,
                lower=lower or GPU_MANAGER_MEMORY_UNIT_MIB,
                upper=lower + GPU_MANAGER_MEMORY_UNIT_MIB,
            )
            ok = False

        cores = value.get("cores")
        if "cores" not in value:
            self.fail("preset.field_missing", field="gpu.cores")
            ok = False
        elif isinstance(cores, bool) or not isinstance(cores, int) or not 1 <= cores <= CARD_CORES:
            self.fail("preset.gpu_cores_invalid", value=cores)
            ok = False

        count = value.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            self.fail("preset.gpu_count_invalid", value=count)
            ok = False
        elif backend == BACKEND_GPU_MANAGER and count > 1 and cores != CARD_CORES:
            self.fail("preset.gpu_multi_fractional", count=count, cores=cores)
            ok = False

        if not ok:
            return None
        assert isinstance(cores, int)
        return GpuShare(memory_mib=memory_mib, cores=cores, count=count)

    def images(self) -> tuple[PresetImage, ...]:
        value = self.raw.get("images")
        if value is None:
            return ()
        if not isinstance(value, Sequence) or isinstance(value, str):
            self.fail("preset.field_list_invalid", field="images", value=value)
            return ()
        images: list[PresetImage] = []
        for index, entry in enumerate(value, start=1):
            image: PresetImage | None = None
            if isinstance(entry, str) and IMAGE_REFERENCE.match(entry):
                image = PresetImage(image=entry)
            elif isinstance(entry, Mapping) and set(entry) <= {"image", "name"}:
                reference = entry.get("image")
                name = _localized(entry.get("name")) if "name" in entry else None
                if (
                    isinstance(reference, str)
                    and IMAGE_REFERENCE.match(reference)
                    and ("name" not in entry or name)
                ):
                    image = PresetImage(image=reference, name=name)
            if image is None:
                self.fail("preset.image_invalid", index=index, value=entry)
            elif any(existing.image == image.image for existing in images):
                self.fail("preset.image_duplicate", value=image.image)
            else:
                images.append(image)
        return tuple(images)

    def groups(self, known: Sequence[str]) -> tuple[str, ...]:
        value = self.raw.get("groups")
        if value is None:
            self.fail("preset.field_missing", field="groups")
            return ()
        if not isinstance(value, Sequence) or isinstance(value, str):
            self.fail("preset.field_list_invalid", field="groups", value=value)
            return ()
        if not value:
            self.fail("preset.groups_empty")
            return ()
        names: list[str] = []
        for name in value:
            if name not in known:
                self.fail("preset.group_unknown", value=name, known=", ".join(known) or "-")
            elif name not in names:
                names.append(name)
        return tuple(names)

    def nodes(self, room_ids: Sequence[str] | None) -> NodeSelection:
        value = self.raw.get("nodes")
        if value is None:
            return NodeSelection()
        if not isinstance(value, Mapping):
            self.fail("preset.mapping_invalid", field="nodes", value=value)
            return NodeSelection()
        for key in value:
            if key not in NODE_FIELDS:
                self.fail("preset.field_unknown", field=f"nodes.{key}", known=", ".join(NODE_FIELDS))
        selected: dict[str, str | None] = {}
        for key in NODE_FIELDS:
            item = value.get(key)
            if item is not None and (not isinstance(item, str) or not item.strip()):
                self.fail("preset.string_invalid", field=f"nodes.{key}", value=item)
                item = None
            selected[key] = item
        room = selected["room"]
        if room is not None and room_ids is not None and room not in room_ids:
            self.fail("preset.room_unknown", value=room, known=", ".join(room_ids) or "-")
        return NodeSelection(room=room, gpu_model=selected["gpu_model"])

    def default(self) -> bool:
        value = self.raw.get("default", False)
        if not isinstance(value, bool):
            self.fail("preset.bool_invalid", field="default", value=value)
            return False
        return value


def _read_slug(index: int, raw: Mapping[str, Any], errors: list[LabShiftError]) -> str | None:
    slug = raw.get("slug")
    if slug is None or slug == "":
        errors.append(LabShiftError("preset.slug_missing", index=index))
        return None
    if not isinstance(slug, str) or DNS_LABEL.match(slug) is None:
        errors.append(LabShiftError("preset.slug_invalid", index=index, value=slug))
        return None
    return slug


def load_catalog(
    raw_presets: object,
    raw_groups: object,
    backend: object = BACKEND_GPU_MANAGER,
    share_memory_mib: object = 4096,
    room_ids: Sequence[str] | None = None,
) -> Catalog:
    """Validate presets and user groups for ``backend`` and return the typed catalog.

    ``room_ids`` (the keys of ``labshift_rooms``) enables the check of ``nodes.room``. Raises
    ``LabShiftErrors`` listing every problem, or a single ``LabShiftError`` for a bad backend
    setting, before anything is generated.
    """
    checked_backend = check_backend(backend)
    checked_share = check_share_memory(share_memory_mib, checked_backend)
    groups, errors = load_groups(raw_groups)
    known_groups = [group.name for group in groups]
    if isinstance(raw_groups, Sequence) and not isinstance(raw_groups, str):
        # Groups that failed validation still exist as names, so presets naming them are not
        # reported twice as "unknown group".
        known_groups += [
            raw["name"]
            for raw in raw_groups
            if isinstance(raw, Mapping)
            and isinstance(raw.get("name"), str)
            and raw["name"] not in known_groups
        ]

    if not isinstance(raw_presets, Sequence) or isinstance(raw_presets, str):
        errors.append(
            LabShiftError("preset.list_invalid", variable="labshift_presets", kind=_kind(raw_presets))
        )
        raise LabShiftErrors(errors)

    presets: list[Preset] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_presets, start=1):
        if not isinstance(raw, Mapping):
            errors.append(
                LabShiftError(
                    "preset.entry_invalid", variable="labshift_presets", index=index, kind=_kind(raw)
                )
            )
            continue
        slug = _read_slug(index, raw, errors)
        if slug is None:
            continue
        if slug in first_index:
            errors.append(
                LabShiftError("preset.slug_duplicate", preset=slug, first=first_index[slug], second=index)
            )
            continue
        first_index[slug] = index

        preset_errors: list[LabShiftError] = []
        reader = _PresetReader(slug, raw, preset_errors)
        for key in raw:
            if key not in PRESET_FIELDS:
                reader.fail("preset.field_unknown", field=key, known=", ".join(PRESET_FIELDS))
        name = reader.text("name", required=True)
        description = reader.text("description", required=False)
        cpu = reader.request_limit("cpu", parse_cpu_millicores)
        memory = reader.request_limit("memory", parse_memory_bytes)
        gpu = reader.gpu(checked_backend)
        images = reader.images()
        preset_groups = reader.groups(known_groups)
        nodes = reader.nodes(room_ids)
        default = reader.default()

        if preset_errors:
            errors.extend(preset_errors)
            continue
        assert name is not None
        assert cpu is not None
        assert memory is not None
        presets.append(
            Preset(
                slug=slug,
                name=name,
                description=description,
                cpu_request_m=cpu[0],
                cpu_limit_m=cpu[1],
                memory_request_bytes=memory[0],
                memory_limit_bytes=memory[1],
                gpu=gpu,
                images=images,
                groups=preset_groups,
                nodes=nodes,
                default=default,
            )
        )

    defaults = [preset.slug for preset in presets if preset.default]
    if len(defaults) > 1:
        errors.append(LabShiftError("preset.default_many", presets=", ".join(defaults)))
    if errors:
        raise LabShiftErrors(errors)
    return Catalog(
        presets=tuple(presets), groups=groups, backend=checked_backend, share_memory_mib=checked_share
    )
