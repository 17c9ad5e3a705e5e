"""Placement policies of the synthetic fleet, kept as data so the generator can
evaluate them itself (which clusters each policy selects) and render them in
every selector form users write: kubectl text with in/notin/!key, matchLabels
with matchExpressions, anyOf, claims, maxClusters, tolerations, cluster sets.

Workload policies are bound to one *home* region and name sites of it; model
policies select model-cache clusters of whole regions, so a model's policy is
a superset of the sites of any workload policy of its regions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from fleet_clusters import (
    CACHE_LABEL,
    FAR,
    GPU_LABEL,
    LOW_BANDWIDTH,
    MAINTENANCE,
    NEAR,
    PRODUCT_CLAIM,
    ROLES,
)

Req = tuple[str, str, tuple[str, ...]]  # key, operator (In/NotIn/Exists/DoesNotExist), values


@dataclass(frozen=True)
class Alt:
    """One predicate: label requirements and claim requirements, ANDed."""

    labels: tuple[Req, ...]
    claims: tuple[Req, ...] = ()


@dataclass(frozen=True)
class Policy:
    name: str
    form: str  # text | structured | mixed
    base: Alt
    any_of: tuple[Alt, ...] = ()
    cluster_sets: tuple[str, ...] | None = None
    max_clusters: int | None = None
    tolerations: tuple[tuple[str, str], ...] = ()  # (taint key, effect) tolerated with operator Exists
    tolerate_offline: bool = True
    regions: tuple[str, ...] = ()  # regions it can select in

    def predicates(self) -> tuple[Alt, ...]:
        alts = self.any_of or (Alt(()),)
        return tuple(Alt(self.base.labels + a.labels, self.base.claims + a.claims) for a in alts)


def req_matches(req: Req, labels: dict[str, str]) -> bool:
    key, op, values = req
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    return key not in labels


def alt_matches(alt: Alt, labels: dict[str, str], claims: dict[str, str]) -> bool:
    return all(req_matches(r, labels) for r in alt.labels) and all(req_matches(r, claims) for r in alt.claims)


def req_text(req: Req) -> str:
    key, op, values = req
    if op == "Exists":
        return key
    if op == "DoesNotExist":
        return f"!{key}"
    if len(values) == 1:
        return f"{key}{'=' if op == 'In' else '!='}{values[0]}"
    return f"{key} {'in' if op == 'In' else 'notin'} ({', '.join(values)})"


def _expression(req: Req) -> dict[str, Any]:
    key, op, values = req
    return {"key": key, "operator": op, "values": list(values)} if values else {"key": key, "operator": op}


def render_alt(alt: Alt, form: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    reqs = list(alt.labels)
    if form == "mixed" and len(reqs) > 1:
        out["selector"] = ", ".join(req_text(r) for r in reqs[:1])
        reqs = reqs[1:]
        form = "structured"
    if form == "text" and reqs:
        out["selector"] = ", ".join(req_text(r) for r in reqs)
    elif reqs:
        match_labels = {k: v[0] for k, op, v in reqs if op == "In" and len(v) == 1}
        exprs = [_expression(r) for r in reqs if not (r[1] == "In" and len(r[2]) == 1)]
        if match_labels:
            out["matchLabels"] = match_labels
        if exprs:
            out["matchExpressions"] = exprs
    if alt.claims:
        if form == "text":
            out["claims"] = ", ".join(req_text(r) for r in alt.claims)
        else:
            out["claims"] = {"matchExpressions": [_expression(r) for r in alt.claims]}
    return out


def render_policy(p: Policy) -> dict[str, Any]:
    spec = render_alt(p.base, p.form)
    if p.any_of:
        spec["anyOf"] = [render_alt(a, "text" if i % 2 == 0 else "structured") for i, a in enumerate(p.any_of)]
    if p.cluster_sets:
        spec["clusterSets"] = list(p.cluster_sets)
    if p.max_clusters:
        spec["maxClusters"] = p.max_clusters
    if p.tolerations:
        spec["tolerations"] = [{"key": k, "operator": "Exists", "effect": e} for k, e in p.tolerations]
    if not p.tolerate_offline:
        spec["tolerateOffline"] = False
    return {"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "PlacementPolicy", "metadata": {"name": p.name},
            "spec": spec}


NOT_DECOMMISSIONED: Req = ("decommissioned", "DoesNotExist", ())


def model_policies(regions: list[str], count: int) -> list[Policy]:
    """Everywhere, then one per region, then pairs of neighbouring regions (anyOf).

    They tolerate every taint a workload policy may tolerate: the model must be on
    each cluster a workload using it can be placed on."""
    cache: Req = (CACHE_LABEL, "In", ("true",))
    tol = ((MAINTENANCE, "NoSelect"), (LOW_BANDWIDTH, "PreferNoSelect"))
    out = [Policy("models-everywhere", "text", Alt((cache, NOT_DECOMMISSIONED)), tolerations=tol,
                  regions=tuple(regions))]
    for i, r in enumerate(regions):
        out.append(Policy(f"models-{r}", "text" if i % 2 else "structured",
                          Alt((("region", "In", (r,)), cache)), tolerations=tol, regions=(r,)))
    if len(regions) > 2:
        for i, r in enumerate(regions):
            s = regions[(i + 1) % len(regions)]
            out.append(Policy(f"models-{r}-{s}", "text", Alt((cache,)),
                              any_of=(Alt((("region", "In", (r,)),)), Alt((("region", "In", (s,)),))),
                              tolerations=tol, regions=(r, s)))
    return out[:count]


def workload_policy(rng: random.Random, i: int, region: str, sites: list[str], pilots: dict[str, str]) -> Policy:
    """The i-th workload policy, homed in `region` (whose fleet sites are `sites`)."""
    name = f"{region}-{('lines', 'cells', 'gateways', 'plants', 'vision', 'pilot', 'fleet')[i % 7]}-{i:03d}"
    picked = tuple(sorted(rng.sample(sites, rng.randint(1, min(3, len(sites))))))
    tier = rng.choice((NEAR, FAR, None))
    tier_req: tuple[Req, ...] = ((("tier", "In", (tier,)),) if tier else ())
    form = i % 7
    base: Alt
    any_of: tuple[Alt, ...] = ()
    style = "text"
    if form == 0:
        base = Alt((("site", "In", picked), *tier_req, NOT_DECOMMISSIONED))
    elif form == 1 and len(sites) >= 2:
        dropped = tuple(sorted(rng.sample(sites, min(2, len(sites) - 1))))
        base = Alt((("region", "In", (region,)), ("site", "NotIn", dropped), ("tier", "NotIn", (FAR,))))
    elif form == 2:
        base, style = Alt((("region", "In", (region,)), *tier_req, ("site", "In", picked), NOT_DECOMMISSIONED)), "structured"
    elif form == 3 and len(picked) >= 2:
        base = Alt((("region", "In", (region,)),))
        any_of = (Alt((("site", "In", picked[:1]), ("tier", "In", (NEAR,)))), Alt((("site", "In", picked[1:]),)))
    elif form == 4:
        claim: Req = (PRODUCT_CLAIM, "In", ("K3s",) if i % 2 else ("K3s", "MicroShift"))
        base, style = Alt((("site", "In", picked), *tier_req), (claim,)), ("text" if i % 2 else "mixed")
    elif form == 5:
        pilot = pilots[picked[0]]
        base = Alt((("env", "In", (pilot,)), ("region", "In", (region,)), NOT_DECOMMISSIONED))
    elif form == 6:
        gpu_or_role: Req = ((GPU_LABEL, "Exists", ()) if i % 2 else ("role", "In", (ROLES[FAR][0], ROLES[NEAR][0])))
        base, style = Alt((gpu_or_role, ("site", "In", picked))), "mixed"
    else:
        base = Alt((("site", "In", picked), *tier_req))
    return Policy(
        name=name,
        form=style,
        base=base,
        any_of=any_of,
        cluster_sets=(f"edge-{region}",) if i % 6 == 5 else None,
        max_clusters=rng.randint(2, 5) if i % 7 == 3 else None,
        tolerations=((MAINTENANCE, "NoSelect"),) if i % 5 == 4 else (),
        tolerate_offline=i % 13 != 12,
        regions=(region,),
    )
