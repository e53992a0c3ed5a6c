"""Filter plugin: the Kubernetes node labels that preset node selections match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.labshift.lab.plugins.module_utils.ansible_adapter import filter_errors
from ansible_collections.labshift.lab.plugins.module_utils.preset_profiles import node_labels

DOCUMENTATION = r"""
name: preset_node_labels
short_description: Compute the node labels of a workstation that preset node selections match
version_added: 0.1.0
description:
  - Returns C(labshift.io/room) (the room id from O(rooms) whose group is in O(_input)) and
    C(labshift.io/gpu-model) (O(gpu_model) with characters that label values do not allow
    replaced by C(-), for example C(NVIDIA-GeForce-RTX-3070)).
  - The KubeSpawner profiles of presets with C(nodes.room) or C(nodes.gpu_model) select nodes by
    these labels, so the workstation role must label each node with this mapping.
  - A host in no room group gets no room label. A host in two room groups raises an error in
    O(language).
positional: rooms
options:
  _input:
    description: The host's inventory groups, C(group_names).
    type: list
    elements: str
    required: true
  rooms:
    description: C(labshift_rooms), room id to C({group, name}).
    type: dict
    required: true
  gpu_model:
    description: The host's C(workstation_gpu_model); empty for no label.
    type: str
    default: ""
  host:
    description: Host name for error messages, normally C(inventory_hostname).
    type: str
    default: ""
  language:
    description: Language of error messages, C(labshift_language).
    type: str
    default: zh
"""

EXAMPLES = r"""
- name: Label the workstation's Kubernetes node for preset node selection
  kubernetes.core.k8s:
    state: patched
    kind: Node
    name: "{{ inventory_hostname }}"
    definition:
      metadata:
        labels: "{{ group_names | labshift.lab.preset_node_labels(labshift_rooms,
                    gpu_model=workstation_gpu_model | default(''), host=inventory_hostname) }}"
# ws-a01 in room_a with an RTX 3070:
#   {'labshift.io/room': 'a', 'labshift.io/gpu-model': 'NVIDIA-GeForce-RTX-3070'}
"""

RETURN = r"""
_value:
  description: Label name to label value; empty when the host has neither a room nor a GPU model.
  type: dict
"""


@filter_errors()
def preset_node_labels(
    group_names: Sequence[str],
    rooms: Mapping[str, Any],
    gpu_model: str = "",
    host: str = "",
    language: str | None = None,
) -> dict[str, str]:
    """Return the node labels of one workstation."""
    return node_labels(group_names, rooms, gpu_model or "", host)


class FilterModule:
    """Preset node label filter."""

    def filters(self) -> dict[str, Any]:
        return {"preset_node_labels": preset_node_labels}
