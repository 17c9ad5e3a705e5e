"""Compilers: pure functions from the repository model to a tree {path: bytes}.

`render_tree` assembles an environment branch:

    README.md                     generated; states the source commit
    charts/<workload>/            one self-contained Helm chart per workload
    hub/                          ACM resources applied on the hub
    placement/                    decisions over the inventory at generation time
    models/index.json             which model versions each placement needs
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from i4qew.model.repo import GPU_RESOURCE

Tree = dict[str, bytes]

# A workload's spec fields (and an environment's overrides of them) that only its chart,
# its hub objects and the README read: nothing under placement/ (effective placement,
# decisions, snapshot, model index, capacity, pictures) does. A change to these alone
# moves no placement file. Every field not named here counts as read (the safe default).
CHART_ONLY = frozenset({"image", "imagePullSecrets", "command", "args", "env", "ingress", "ports", "service",
                        "probes", "securityContext", "config"})


# The fields the placement pictures' capacity headroom reads (requests x replicas on the
# clusters a workload runs on, placement/capacity.py); of these the placement itself reads
# only whether the resources ask for a GPU (placement/effective.py needs_gpu).
CAPACITY = frozenset({"replicas", "resources"})


def placement_fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A workload's spec, or one environment's overrides, as far as the placement reads it:
    without the CHART_ONLY and CAPACITY fields, the resources' GPU quantities kept."""
    out = {k: v for k, v in spec.items() if k not in CHART_ONLY and k not in CAPACITY}
    if "resources" in spec:
        out["resources"] = _gpu(spec["resources"])
    return out


def _gpu(resources: Any) -> Any:
    """What needs_gpu reads of a resources field: each part's GPU quantity."""
    if not isinstance(resources, dict):
        return resources
    out = {}
    for part in ("requests", "limits"):
        values = resources.get(part) or {}
        out[part] = values.get(GPU_RESOURCE) if isinstance(values, dict) else values
    return out


# The CHART_ONLY fields a namespace's hub objects read: the Pod Security level its Policy
# enforces (compile/hub/policy_psa.py) and its pull-secret Policies (compile/hub/policy_pull.py).
# Of a workload's spec the hub compilers read nothing else but what the placement reads
# (its Placement, Subscription, staging; grep of compile/hub/ and compile/staging/).
HUB_READS = frozenset({"securityContext", "imagePullSecrets"})


def hub_fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A workload's spec, or one environment's overrides, as far as the hub objects of its
    namespace read it: placement_fields and the HUB_READS fields."""
    out = placement_fields(spec)
    out.update({k: spec[k] for k in sorted(HUB_READS) if k in spec})
    return out


def capacity_fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A workload's spec, or one environment's overrides: its CAPACITY fields."""
    return {k: v for k, v in spec.items() if k in CAPACITY}


@dataclass(frozen=True)
class Changed:
    """The workloads a change touches, their names and namespaces before and after it, and
    the models they mount before and after it (compile/incremental.py renders what they own)."""

    names: frozenset[str]
    namespaces: frozenset[str]
    models: frozenset[str] = frozenset()
    # False when the change touches only fields no placement decision, snapshot or model
    # index reads (CHART_ONLY, CAPACITY but a GPU's): it moves none of them.
    placement: bool = True
    # True when it touches CAPACITY fields: the pictures of the hubs where those workloads
    # may run show other headroom.
    capacity: bool = False
    # False when it touches only fields no hub object reads (CHART_ONLY but HUB_READS,
    # CAPACITY but a GPU's): the hub objects of its namespaces stay as they are.
    hub: bool = True
    # The branch head's README.md, when the head's placement files (placement/, models/,
    # the pictures) are what a render of this change writes (gitops/publish_render.py says
    # when): they stay, and the README's cluster counts are read back from it.
    readme: bytes | None = None


def merge(*parts: Mapping[str, bytes]) -> Tree:
    tree: Tree = {}
    for part in parts:
        for path, data in part.items():
            if path in tree:
                raise ValueError(f"two compilers wrote {path}")
            tree[path] = data
    return dict(sorted(tree.items()))
