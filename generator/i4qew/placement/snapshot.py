"""The placement snapshot and the model index written on an environment branch.

    placement/decisions.json   the decision of every placement over the inventory
    models/index.json          which model versions each placement needs (read by
                               the i4Q model distribution service)

Schemas: docs/placement-snapshot.md and docs/model-index.md. Identical cluster
lists are stored once, under a digest of their content, so 2,000 workloads over
10,000 clusters stay a few MB and the file does not churn when one list changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Set
from datetime import datetime
from typing import Any

from i4qew import memo
from i4qew.model.repo import Repo
from i4qew.model.sources import version_size, version_source
from i4qew.placement.decide import Decision, placement_name, planner_for
from i4qew.placement.effective import effective_placement
from i4qew.placement.image_volumes import image_volume_checks, image_volume_models
from i4qew.placement.inventory import Inventory
from i4qew.placement.jsonout import NameList, dumps
from i4qew.placement.snapshot_read import read_advisory as read_advisory
from i4qew.placement.snapshot_read import read_decisions as read_decisions
from i4qew.placement.staging import staging_hub_name, stagings

API_VERSION = "edge.i4q.eu/v1alpha1"
DECISIONS_PATH = "placement/decisions.json"
MODEL_INDEX_PATH = "models/index.json"


def digest(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


class NameTable:
    """Bitset -> (digest, names), each distinct set expanded once."""

    def __init__(self, inventory: Inventory) -> None:
        self.inv = inventory
        self.by_bits: dict[int, tuple[str, list[str]]] = {}

    def get(self, bits: int) -> tuple[str, list[str]]:
        got = self.by_bits.get(bits)
        if got is None:
            names = self.inv.cluster_names(bits)
            got = self.by_bits[bits] = (digest(names), names)
        return got

    def table(self) -> dict[str, NameList]:
        return {d: NameList(names) for d, names in sorted(self.by_bits.values())}


# The texts of a tuple of predicates, by its identity (the tuple kept alive): the hubs of a
# fleet share each workload's effective placement, and write its predicates once per hub.
_texts: dict[int, tuple[tuple[Any, ...], list[dict[str, str]]]] = memo.held("placement.snapshot.predicate_texts", {})


def predicate_texts(decision_predicates: Iterable[Any]) -> list[dict[str, str]]:
    """The predicates as the snapshot and the plan write them (shared: callers only read it)."""
    if isinstance(decision_predicates, tuple):
        got = _texts.get(id(decision_predicates))
        if got is not None and got[0] is decision_predicates:
            return got[1]
    out = []
    for p in decision_predicates:
        entry = {"labels": p.labels.to_text()}
        if not p.claims.is_empty():
            entry["claims"] = p.claims.to_text()
        out.append(entry)
    if isinstance(decision_predicates, tuple):
        if len(_texts) >= 100_000:
            _texts.clear()
        _texts[id(decision_predicates)] = (decision_predicates, out)
    return out


def placement_files(repo: Repo, env: str, inventory: Inventory | None, *,
                    base: Mapping[str, Iterable[str]] | None = None,
                    now: datetime | None = None) -> dict[str, bytes]:
    """{path: bytes} for the environment branch. `base` ("namespace/workload" ->
    cluster names, e.g. `read_decisions` of the branch's previous snapshot) keeps
    numberOfClusters choices and NoSelectIfNew clusters stable."""
    return placement_snapshot(repo, env, inventory, base=base, now=now)[0]


def placement_snapshot(repo: Repo, env: str, inventory: Inventory | None, *,
                       base: Mapping[str, Iterable[str]] | None = None,
                       now: datetime | None = None) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """placement_files, and what `read_decisions` reads back from its decisions.json
    ("namespace/workload" -> the clusters chosen), without writing and parsing it again."""
    planner = planner_for(repo, inventory, now) if inventory is not None else None
    decided: dict[str, Decision] = {}
    base_bits: dict[str, int] = {}
    if planner is not None and inventory is not None:
        base_bits = inventory.bits_by_key(base or {})
        decided = {d.key: d for d in planner.decisions(env, base_bits)}
    names = NameTable(inventory) if inventory is not None else None
    placements: list[dict[str, Any]] = []
    chosen: dict[str, list[str]] = {}
    advisory: set[str] = set()
    for w in repo.workloads:
        if not w.enabled_in(env):
            continue
        ep = planner.effective(w, env) if planner is not None else effective_placement(repo, w, env)
        if ep is None:
            continue
        key = f"{w.namespace}/{w.name}"
        entry: dict[str, Any] = {
            "workload": w.name,
            "namespace": w.namespace,
            "placement": placement_name(w.name, env),
            "policy": ep.policy,
            "predicates": predicate_texts(ep.predicates),
            "clusterSets": list(ep.cluster_sets),
            "numberOfClusters": ep.max_clusters,
            "clusters": None,
            "decision": None,
            "feasible": None,
            "advisory": False,
        }
        d = decided.get(key)
        if d is not None and names is not None:
            entry["decision"], chosen[key] = names.get(d.clusters)
            entry["clusters"], entry["feasible"], entry["advisory"] = d.clusters.bit_count(), d.feasible, d.advisory
            if d.advisory:
                advisory.add(key)
        placements.append(entry)
    staged: list[dict[str, Any]] = []
    image = image_volume_models(image_volume_checks(repo, env, planner, base_bits))
    for s in stagings(repo, env, image):
        entry = {
            "model": s.model.name,
            "namespace": s.namespace,
            "placement": staging_hub_name(s.model.name, env),
            "versions": list(s.versions),
            "predicates": predicate_texts(s.predicates),
            "clusterSets": list(s.cluster_sets),
            "clusters": None,
            "decision": None,
        }
        if planner is not None and names is not None:
            bits = planner.evaluate(s)
            entry["decision"], entry["clusters"] = names.get(bits)[0], bits.bit_count()
        staged.append(entry)
    snapshot = {
        "apiVersion": API_VERSION,
        "kind": "PlacementSnapshot",
        "environment": env,
        "placementApi": repo.repository.placement_api,
        "inventory": None if inventory is None else {"clusters": len(inventory)},
        "placements": placements,
        "stagings": staged,
        "decisions": names.table() if names is not None else {},
    }
    return {
        DECISIONS_PATH: dumps(snapshot).encode(),
        MODEL_INDEX_PATH: dumps(model_index(repo, env, inventory, chosen, advisory)).encode(),
    }, chosen


def model_index(repo: Repo, env: str, inventory: Inventory | None,
                chosen: Mapping[str, list[str]], advisory: Set[str] = frozenset()) -> dict[str, Any]:
    """`advisory`: the "namespace/workload" keys whose decision is advisory (Decision.advisory)."""
    needs: dict[tuple[str, str], list[dict[str, str]]] = {}
    guessed: set[tuple[str, str]] = set()
    clusters: dict[tuple[str, str], set[str]] = {}
    for w in repo.workloads:
        ref = w.model
        if ref is None or not w.enabled_in(env) or ref.name not in repo.models:
            continue
        key = f"{w.namespace}/{w.name}"
        needs.setdefault((ref.name, ref.version), []).append({
            "namespace": w.namespace,
            "placement": placement_name(w.name, env),
            "workload": w.name,
            "mountPath": ref.mount_path,
        })
        clusters.setdefault((ref.name, ref.version), set()).update(chosen.get(key, ()))
        if key in advisory:
            guessed.add((ref.name, ref.version))
    models = []
    for (name, version), users in sorted(needs.items()):
        model = repo.models[name]
        source = version_source(model, version)
        models.append({
            "name": name,
            "version": version,
            "distribution": model.distribution,
            "source": source.text if source else None,
            "digest": source.digest if source else None,
            "size": version_size(model, version),
            "policy": model.placement,
            "storage": dict(model.storage),
            "placements": sorted(users, key=lambda u: (u["namespace"], u["placement"])),
            "clusters": NameList(sorted(clusters[(name, version)])) if inventory is not None else None,
            "advisory": (name, version) in guessed,
        })
    return {"apiVersion": API_VERSION, "kind": "ModelIndex", "environment": env, "models": models}
