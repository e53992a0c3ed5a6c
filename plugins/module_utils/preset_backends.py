"""Kubernetes resource requests for a preset, per GPU-sharing backend.

TKE gpu-manager (tkestack/gpu-manager) exposes ``tencent.com/vcuda-core`` (100 per card: values
below 100 share one card, whole cards are multiples of 100) and ``tencent.com/vcuda-memory`` (one
unit is 256 MiB). HAMi exposes ``nvidia.com/gpu`` (number of vGPUs), ``nvidia.com/gpumem`` (MiB per
vGPU) and ``nvidia.com/gpucores`` (percent of a card per vGPU). Extended resources cannot be
overcommitted, so requests always equal limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.labshift.lab.plugins.module_utils.presets import (
    BACKEND_GPU_MANAGER,
    BACKEND_HAMI,
    CARD_CORES,
    GPU_MANAGER_MEMORY_UNIT_MIB,
    GpuShare,
    Preset,
)
from ansible_collections.labshift.lab.plugins.module_utils.quantities import format_cpu, format_memory

GPU_MANAGER_CORE = "tencent.com/vcuda-core"
GPU_MANAGER_MEMORY = "tencent.com/vcuda-memory"
HAMI_GPU = "nvidia.com/gpu"
HAMI_MEMORY = "nvidia.com/gpumem"
HAMI_CORES = "nvidia.com/gpucores"

# Extended resource names per backend, in the order they are written out.
GPU_RESOURCE_NAMES = {
    BACKEND_GPU_MANAGER: (GPU_MANAGER_CORE, GPU_MANAGER_MEMORY),
    BACKEND_HAMI: (HAMI_GPU, HAMI_MEMORY, HAMI_CORES),
}


@dataclass(frozen=True)
class PresetResources:
    """The container resources of one preset: CPU, memory and the backend's extended resources."""

    requests: dict[str, str]
    limits: dict[str, str]
    gpu: dict[str, int]

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


def gpu_amounts(gpu: GpuShare | None, backend: str) -> dict[str, int]:
    """Return the backend's extended resources for one session, as integers.

    A CPU-only preset (``gpu`` is None) returns an empty mapping.
    """
    if gpu is None:
        return {}
    if backend == BACKEND_GPU_MANAGER:
        # gpu-manager needs whole cards as multiples of 100, and the loader already rejects a
        # fractional share on several cards.
        core = gpu.cores if gpu.count == 1 else CARD_CORES * gpu.count
        return {
            GPU_MANAGER_CORE: core,
            GPU_MANAGER_MEMORY: gpu.memory_mib * gpu.count // GPU_MANAGER_MEMORY_UNIT_MIB,
        }
    if backend == BACKEND_HAMI:
        return {HAMI_GPU: gpu.count, HAMI_MEMORY: gpu.memory_mib, HAMI_CORES: gpu.cores}
    raise ValueError(f"unknown GPU-sharing backend {backend!r}")


def preset_resources(preset: Preset, backend: str) -> PresetResources:
    """Build the requests and limits of one preset for ``backend``."""
    gpu = gpu_amounts(preset.gpu, backend)
    requests = {"cpu": format_cpu(preset.cpu_request_m), "memory": format_memory(preset.memory_request_bytes)}
    limits = {"cpu": format_cpu(preset.cpu_limit_m), "memory": format_memory(preset.memory_limit_bytes)}
    for name, amount in gpu.items():
        requests[name] = str(amount)
        limits[name] = str(amount)
    return PresetResources(requests=requests, limits=limits, gpu=gpu)
