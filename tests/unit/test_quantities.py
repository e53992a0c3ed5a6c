"""Unit tests for preset quantity parsing and formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kubernetes.utils.quantity import parse_quantity

from ansible_collections.labshift.lab.plugins.module_utils import quantities
from ansible_collections.labshift.lab.plugins.module_utils.quantities import QuantityError


def kubernetes_quantity(text: str) -> Decimal:
    """Parse ``text`` with the Kubernetes Python client, the reference for the API server's reading."""
    return Decimal(parse_quantity(text))  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2Gi", 2 * 1024**3),
        ("512Mi", 512 * 1024**2),
        ("1.5Gi", 1536 * 1024**2),
        ("64Ki", 64 * 1024),
        ("1Ti", 1024**4),
        (" 8Gi ", 8 * 1024**3),
    ],
)
def test_memory_parses_binary_units(text: str, expected: int) -> None:
    assert quantities.parse_memory_bytes(text) == expected
    assert kubernetes_quantity(text.strip()) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2G", "memory_unit"),
        ("2GB", "memory_unit"),
        ("2 GiB", "memory_unit"),
        ("2gi", "memory_unit"),
        ("2048", "memory_unit"),
        (2048, "memory_unit"),
        (True, "memory_unit"),
        ("-2Gi", "memory_unit"),
        ("0Gi", "not_positive"),
        ("0.3Ki", "memory_precision"),
    ],
)
def test_memory_rejects_bad_input(value: object, kind: str) -> None:
    with pytest.raises(QuantityError) as raised:
        quantities.parse_memory_bytes(value)
    assert raised.value.kind == kind
    assert raised.value.value == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1000), (2, 2000), (0.5, 500), ("500m", 500), ("1", 1000), ("1.5", 1500), ("250m", 250), (0.001, 1)],
)
def test_cpu_parses_cores_and_millicores(value: object, expected: int) -> None:
    assert quantities.parse_cpu_millicores(value) == expected
    assert kubernetes_quantity(str(value)) * 1000 == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("1 core", "cpu"),
        ("2c", "cpu"),
        (True, "cpu"),
        (None, "cpu"),
        ("-1", "cpu"),
        ("0", "not_positive"),
        (0, "not_positive"),
        ("0.0005", "cpu_precision"),
        ("0.5m", "cpu_precision"),
    ],
)
def test_cpu_rejects_bad_input(value: object, kind: str) -> None:
    with pytest.raises(QuantityError) as raised:
        quantities.parse_cpu_millicores(value)
    assert raised.value.kind == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4096, 4096), ("4096Mi", 4096), ("4Gi", 4096), ("4.5Gi", 4608), ("8Gi", 8192), (1000, 1000)],
)
def test_gpu_memory_parses_mib(value: object, expected: int) -> None:
    assert quantities.parse_gpu_memory_mib(value) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("4GB", "gpu_memory_unit"),
        ("4G", "gpu_memory_unit"),
        ("4096Ki", "gpu_memory_unit"),
        (4096.5, "gpu_memory_unit"),
        (False, "gpu_memory_unit"),
        ("0.3Gi", "gpu_memory_precision"),
        ("1000.5Mi", "gpu_memory_precision"),
        (0, "not_positive"),
    ],
)
def test_gpu_memory_rejects_bad_input(value: object, kind: str) -> None:
    with pytest.raises(QuantityError) as raised:
        quantities.parse_gpu_memory_mib(value)
    assert raised.value.kind == kind


@pytest.mark.parametrize(
    ("millicores", "expected"), [(1000, "1"), (2000, "2"), (500, "500m"), (1500, "1500m")]
)
def test_format_cpu(millicores: int, expected: str) -> None:
    assert quantities.format_cpu(millicores) == expected
    assert kubernetes_quantity(expected) * 1000 == millicores


@pytest.mark.parametrize(
    ("size", "kubernetes", "spawner"),
    [
        (2 * 1024**3, "2Gi", "2G"),
        (1536 * 1024**2, "1536Mi", "1536M"),
        (1024**4, "1Ti", "1T"),
        (3 * 1024, "3Ki", "3K"),
        (1000, "1000", 1000),
        (0, "0", 0),
    ],
)
def test_format_memory_both_conventions(size: int, kubernetes: str, spawner: str | int) -> None:
    assert quantities.format_memory(size) == kubernetes
    assert kubernetes_quantity(kubernetes) == size
    assert quantities.format_spawner_bytes(size) == spawner


@pytest.mark.parametrize(
    ("size", "expected"),
    [(2 * 1024**3, "2 GiB"), (1536 * 1024**2, "1.5 GiB"), (512 * 1024**2, "512 MiB"), (8 * 1024**3, "8 GiB")],
)
def test_format_human_memory(size: int, expected: str) -> None:
    assert quantities.format_human_memory(size) == expected


@pytest.mark.parametrize(("millicores", "expected"), [(1000, "1"), (500, "0.5"), (2000, "2"), (1250, "1.25")])
def test_format_human_cpu(millicores: int, expected: str) -> None:
    assert quantities.format_human_cpu(millicores) == expected
