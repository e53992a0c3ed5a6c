"""Parse and format the CPU and memory quantities that presets are written in.

LabShift accepts a subset of the Kubernetes quantity syntax. Memory needs a binary suffix (Ki,
Mi, Gi, Ti): Kubernetes reads ``2G`` as 2 * 10^9 bytes, not 2 GiB, so rejecting it makes the
author of a preset pick the unit they mean. CPU is cores (``1``, ``0.5``) or millicores (``500m``). For that
subset the arithmetic is a decimal multiplication, so this module does not import the Kubernetes
client, whose import took about 1.4 s in every Ansible task on the development machine. The unit
tests check the results against the client's ``kubernetes.utils.quantity.parse_quantity``.
Functions raise ``QuantityError``, and the caller adds the preset and field names.
"""

from __future__ import annotations

import re
from decimal import Decimal

KI = 1024
MI = 1024**2
GI = 1024**3
TI = 1024**4

BINARY_MEMORY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?)(?P<suffix>Ki|Mi|Gi|Ti)$")
CPU_QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?)(?P<milli>m?)$")
BINARY_FACTORS = {"Ki": KI, "Mi": MI, "Gi": GI, "Ti": TI}


class QuantityError(ValueError):
    """A quantity that cannot be used. ``kind`` selects the user-facing message.

    Kinds: ``memory_unit`` (not a binary-suffixed memory string), ``cpu`` (not a CPU amount),
    ``not_positive``, ``cpu_precision`` (finer than 1 millicore), ``memory_precision`` (not a
    whole number of bytes), ``gpu_memory_unit`` and ``gpu_memory_precision`` (not whole MiB).
    """

    def __init__(self, kind: str, value: object) -> None:
        super().__init__(f"{kind}: {value!r}")
        self.kind = kind
        self.value = value


def parse_memory_bytes(value: object) -> int:
    """Parse a memory size such as ``2Gi`` or ``512Mi`` into bytes.

    Plain numbers and decimal suffixes (``2G``, ``2GB``, ``2 GiB``) raise ``QuantityError``
    with kind ``memory_unit``, because their meaning differs between tools.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise QuantityError("memory_unit", value)
    match = BINARY_MEMORY.match(value.strip())
    if match is None:
        raise QuantityError("memory_unit", value)
    amount = Decimal(match.group("number")) * BINARY_FACTORS[match.group("suffix")]
    if amount != amount.to_integral_value():
        raise QuantityError("memory_precision", value)
    if amount <= 0:
        raise QuantityError("not_positive", value)
    return int(amount)


def parse_cpu_millicores(value: object) -> int:
    """Parse a CPU amount (``1``, ``0.5``, ``"500m"``, ``"2"``) into millicores."""
    if isinstance(value, bool):
        raise QuantityError("cpu", value)
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise QuantityError("cpu", value)
    match = CPU_QUANTITY.match(text)
    if match is None:
        raise QuantityError("cpu", value)
    number = Decimal(match.group("number"))
    millicores = number if match.group("milli") else number * 1000
    if millicores != millicores.to_integral_value():
        raise QuantityError("cpu_precision", value)
    if millicores <= 0:
        raise QuantityError("not_positive", value)
    return int(millicores)


def parse_gpu_memory_mib(value: object) -> int:
    """Parse a GPU memory share into whole MiB.

    An integer is taken as MiB (``4096``); a string needs the ``Mi`` or ``Gi`` suffix
    (``4096Mi``, ``4Gi``). Amounts that are not a whole number of MiB raise ``QuantityError``.
    """
    if isinstance(value, bool):
        raise QuantityError("gpu_memory_unit", value)
    if isinstance(value, int):
        mib = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        match = BINARY_MEMORY.match(text)
        if match is None or match.group("suffix") not in ("Mi", "Gi"):
            raise QuantityError("gpu_memory_unit", value)
        mib = Decimal(match.group("number")) * BINARY_FACTORS[match.group("suffix")] / MI
    else:
        raise QuantityError("gpu_memory_unit", value)
    if mib != mib.to_integral_value():
        raise QuantityError("gpu_memory_precision", value)
    if mib <= 0:
        raise QuantityError("not_positive", value)
    return int(mib)


def format_cpu(millicores: int) -> str:
    """Format millicores as a Kubernetes CPU quantity: ``"2"`` for whole cores, else ``"500m"``."""
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"


def format_memory(size_bytes: int) -> str:
    """Format bytes as a Kubernetes memory quantity with the largest exact binary suffix."""
    for factor, suffix in ((TI, "Ti"), (GI, "Gi"), (MI, "Mi"), (KI, "Ki")):
        if size_bytes != 0 and size_bytes % factor == 0:
            return f"{size_bytes // factor}{suffix}"
    return str(size_bytes)


def format_spawner_bytes(size_bytes: int) -> str | int:
    """Format bytes for a JupyterHub ByteSpecification trait (``mem_limit``, ``mem_guarantee``).

    JupyterHub reads the suffixes K, M, G and T as powers of 1024, so 2 GiB is ``"2G"``. Sizes
    that are not a whole number of KiB stay an integer byte count.
    """
    for factor, suffix in ((TI, "T"), (GI, "G"), (MI, "M"), (KI, "K")):
        if size_bytes != 0 and size_bytes % factor == 0:
            return f"{size_bytes // factor}{suffix}"
    return size_bytes


def format_human_memory(size_bytes: int) -> str:
    """Format bytes for a person: ``2 GiB``, ``1.5 GiB`` or ``512 MiB``."""
    if size_bytes >= GI:
        amount = Decimal(size_bytes) / GI
        unit = "GiB"
    else:
        amount = Decimal(size_bytes) / MI
        unit = "MiB"
    text = f"{amount.quantize(Decimal('0.01')).normalize():f}"
    return f"{text} {unit}"


def format_human_cpu(millicores: int) -> str:
    """Format millicores for a person: ``1``, ``0.5`` or ``2``."""
    cores = Decimal(millicores) / 1000
    return f"{cores.normalize():f}"
