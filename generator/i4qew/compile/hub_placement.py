"""The effective placement of a workload as an OCM Placement or a legacy PlacementRule.

Placement (cluster.open-cluster-management.io/v1beta1) says everything the
effective placement holds: cluster sets, one predicate per OR branch (label
selector, and a claim selector where the branch has claims), numberOfClusters
and tolerations. PlacementRule (apps.open-cluster-management.io/v1) has one
label selector and nothing else, so a placement that needs more is a problem for
the user, reported at the workload's `placement` field.
"""

from __future__ import annotations

from typing import Any, Final

from i4qew.compile.hub_names import env_labels, placement_name
from i4qew.model import Predicate, Repo, Toleration
from i4qew.placement.effective import GLOBAL_SET, EffectivePlacement, Placeable
from i4qew.problems import Problem
from i4qew.selectors import DOES_NOT_EXIST, EXISTS, IN, Requirement, Selector

PLACEMENT_API: Final = "cluster.open-cluster-management.io/v1beta1"
PLACEMENT_RULE_API: Final = "apps.open-cluster-management.io/v1"
RULE_ID: Final = "placement-api"

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


def selects_nothing(ep: Placeable) -> bool:
    return not ep.predicates or not ep.cluster_sets


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


def _merge_pair(a: Predicate, b: Predicate) -> Predicate | None:
    """`a OR b` as one predicate when they differ only in the values of an `In` on one key."""
    if a.claims != b.claims:
        return None
    ra, rb = set(a.labels.requirements), set(b.labels.requirements)
    only_a, only_b = ra - rb, rb - ra
    if len(only_a) != 1 or len(only_b) != 1:
        return None
    (x,), (y,) = only_a, only_b
    if x.key != y.key or x.operator != IN or y.operator != IN:
        return None
    merged = Requirement(x.key, IN, tuple(set(x.values) | set(y.values)))
    return Predicate(Selector((*(ra & rb), merged)), a.claims)


def merge_for_rule(predicates: tuple[Predicate, ...]) -> tuple[Predicate, ...]:
    """ORs over the values of one key folded into `key in (...)`; other ORs stay separate."""
    preds = list(predicates)
    merged = True
    while merged and len(preds) > 1:
        merged = False
        for i in range(len(preds)):
            for j in range(i + 1, len(preds)):
                m = _merge_pair(preds[i], preds[j])
                if m is not None:
                    preds[i] = m
                    del preds[j]
                    merged = True
                    break
            if merged:
                break
    return tuple(preds)


def rule_problems(repo: Repo, ep: EffectivePlacement) -> list[Problem]:
    """What the effective placement needs that a PlacementRule cannot say."""
    why = inexpressible(ep)
    if not why:
        return []
    w = ep.workload
    path: tuple[str | int, ...] = ("spec", "placement")
    if "placement" in w.overrides.get(ep.env, {}):
        path = ("spec", "environments", ep.env, "placement")
    message = (f"placementApi: PlacementRule cannot express where '{w.name}' goes in {ep.env}: "
               f"{'; '.join(why)}; use placementApi: Placement in i4qew.yaml")
    return [w.doc.problem(path, RULE_ID, message)]


def inexpressible(ep: Placeable) -> list[str]:
    """Why a PlacementRule cannot say what `ep` selects (empty when it can)."""
    if selects_nothing(ep):
        return []
    why: list[str] = []
    preds = merge_for_rule(ep.predicates)
    if len(preds) > 1:
        alternatives = " | ".join(p.labels.to_text() or "(all clusters)" for p in preds)
        why.append(f"it is an OR over different labels ({alternatives})")
    if any(not p.claims.is_empty() for p in preds):
        why.append("it selects by cluster claims")
    if GLOBAL_SET not in ep.cluster_sets:
        why.append(f"it is limited to the cluster sets {', '.join(ep.cluster_sets)}")
    return why


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
