"""The effective placement of a workload as an OCM Placement or a legacy PlacementRule.

Placement (cluster.open-cluster-management.io/v1beta1) says everything the
effective placement holds: cluster sets, one predicate per OR branch (label
selector, and a claim selector where the branch has claims), numberOfClusters
and tolerations. PlacementRule (apps.open-cluster-management.io/v1) has one
label selector and nothing else: placement/expressible.py says which placements
it can carry, and validation reports the others at the workload's `placement`.
"""

from __future__ import annotations

from typing import Any, Final

from i4qew.compile.hub.names import env_labels, placement_name
from i4qew.k8s.selectors import DOES_NOT_EXIST, EXISTS, Requirement, Selector
from i4qew.model.repo import Predicate, Repo, Toleration
from i4qew.placement.effective import EffectivePlacement, Placeable
from i4qew.placement.expressible import merge_for_rule, selects_nothing

PLACEMENT_API: Final = "cluster.open-cluster-management.io/v1beta1"
PLACEMENT_RULE_API: Final = "apps.open-cluster-management.io/v1"

# A predicate no cluster can satisfy. An empty `predicates` list (or an empty
# `clusterSets`) would select every cluster, the opposite of what a placement
# whose conjuncts contradict each other means.
_NEVER: Final = Predicate(
    Selector((Requirement("edge.i4q.eu/unsatisfiable", EXISTS),
              Requirement("edge.i4q.eu/unsatisfiable", DOES_NOT_EXIST))),
    Selector(),
)


def _expressions(sel: Selector) -> list[dict[str, Any]]:
    """A selector as matchExpressions only (claimSelector has no matchLabels)."""
    out: list[dict[str, Any]] = []
    for r in sel.requirements:
        expr: dict[str, Any] = {"key": r.key, "operator": r.operator}
        if r.values:
            expr["values"] = list(r.values)
        out.append(expr)
    return out


def _toleration(t: Toleration) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if t.key is not None:
        doc["key"] = t.key
    doc["operator"] = t.operator
    if t.value is not None:
        doc["value"] = t.value
    if t.effect is not None:
        doc["effect"] = t.effect
    if t.toleration_seconds is not None:
        doc["tolerationSeconds"] = t.toleration_seconds
    return doc


def _metadata(repo: Repo, ep: EffectivePlacement) -> dict[str, Any]:
    return {
        "name": placement_name(ep.workload.name, ep.env),
        "namespace": ep.workload.namespace,
        "labels": env_labels(repo, ep.env, ep.workload),
    }


def placement(repo: Repo, ep: EffectivePlacement) -> dict[str, Any]:
    return {"apiVersion": PLACEMENT_API, "kind": "Placement", "metadata": _metadata(repo, ep),
            "spec": placement_spec(ep)}


def placement_spec(ep: Placeable) -> dict[str, Any]:
    """The Placement's spec for an effective placement (or a model's staging)."""
    predicates = (_NEVER,) if selects_nothing(ep) else ep.predicates
    spec: dict[str, Any] = {}
    if ep.cluster_sets:
        spec["clusterSets"] = list(ep.cluster_sets)
    if ep.max_clusters is not None:
        spec["numberOfClusters"] = ep.max_clusters
    spec["predicates"] = []
    for p in predicates:
        selector: dict[str, Any] = {"labelSelector": dict(p.labels.to_structured())}
        if not p.claims.is_empty():
            selector["claimSelector"] = {"matchExpressions": _expressions(p.claims)}
        spec["predicates"].append({"requiredClusterSelector": selector})
    if ep.tolerations:
        spec["tolerations"] = [_toleration(t) for t in ep.tolerations]
    return spec


def placement_rule(repo: Repo, ep: EffectivePlacement) -> dict[str, Any]:
    """Only for placements `rule_problems` accepts. Taints and cluster sets do not exist
    for PlacementRule: it keeps the controller's default cluster conditions."""
    return {"apiVersion": PLACEMENT_RULE_API, "kind": "PlacementRule", "metadata": _metadata(repo, ep),
            "spec": placement_rule_spec(ep)}


def placement_rule_spec(ep: Placeable) -> dict[str, Any]:
    (pred,) = (_NEVER,) if selects_nothing(ep) else merge_for_rule(ep.predicates)
    spec: dict[str, Any] = {"clusterSelector": dict(pred.labels.to_structured())}
    if ep.max_clusters is not None:
        spec["clusterReplicas"] = ep.max_clusters
    return spec
