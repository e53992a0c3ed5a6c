"""Documentation fragment labshift.lab.presets: the options shared by the preset and capacity filters."""

from __future__ import annotations


class ModuleDocFragment:
    """Options C(user_groups), C(backend) and C(share_memory_mib)."""

    DOCUMENTATION = r"""
options:
  user_groups:
    description: The user groups, C(labshift_user_groups).
    type: list
    elements: dict
    required: true
  backend:
    description: GPU-sharing backend, C(labshift_gpu_sharing_backend).
    type: str
    choices: [gpu-manager, hami]
    default: gpu-manager
  share_memory_mib:
    description: vGPU size in MiB, C(labshift_gpu_share_memory_mib).
    type: int
    default: 4096
"""
