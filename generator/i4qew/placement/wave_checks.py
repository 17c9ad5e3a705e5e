"""Rollout waves over the inventory (registered by rules/placement.py with the other
placement checks): a wave that holds nothing, a wave that holds everything, and a
canary that shares neither a site nor an architecture with the rest of the fleet.
Their ids are documented with the other placement checks (checks.py RULE_DOCS)."""

from __future__ import annotations

from collections.abc import Iterable

from i4qew.load.documents import Document
from i4qew.model.repo import Environment, Repo, Workload
from i4qew.model.waves import Wave
from i4qew.placement.bits import members
from i4qew.placement.decide import Decision, Planner
from i4qew.placement.effective import effective_placement
from i4qew.placement.waves import members_by_wave
from i4qew.problems import Problem, Severity

SITE_LABEL = "site"
SHOWN = 5


def _where(repo: Repo, w: Workload, env: Environment, wave: Wave) -> tuple[Document, tuple[str | int, ...]]:
    if "waves" in w.overrides.get(env.name, {}):
        return w.doc, ("spec", "environments", env.name, "waves", wave.index, "name")
    if "waves" in w.spec:
        return w.doc, ("spec", "waves", wave.index, "name")
    assert repo.repository.doc is not None  # an environment with waves was declared there
    return repo.repository.doc, ("spec", "environments", env.index, "waves", wave.index, "name")


def _values(planner: Planner, bits: int, keys: Iterable[str]) -> set[tuple[str, str]]:
    labels = planner.inv.clusters
    return {(k, labels[i].labels[k]) for i in members(bits) for k in keys if k in labels[i].labels}


def _canary(planner: Planner, repo: Repo, canary: int, rest: int) -> str | None:
    prefix = repo.repository.arch_prefix
    keys = {k for c in planner.inv.clusters for k in c.labels if k == SITE_LABEL or k.startswith(prefix)}
    theirs = _values(planner, rest, keys)
    if not theirs or _values(planner, canary, keys) & theirs:
        return None
    mine = sorted(f"{k}={v}" for k, v in _values(planner, canary, keys))
    return ", ".join(mine) or "no site or architecture label"


def wave_problems(repo: Repo, planner: Planner, env: Environment, decisions: list[Decision]) -> list[Problem]:
    found: dict[tuple[str, Document, tuple[str | int, ...]], list[str]] = {}
    texts: dict[tuple[str, Document, tuple[str | int, ...]], str] = {}
    for d in decisions:
        waves = d.workload.waves_for(env)
        if len(waves) < 2 or not d.clusters:
            continue
        bits = members_by_wave(planner.inv, waves, d.clusters)
        whole = next((i for i, b in enumerate(bits) if b == d.clusters), None)
        if whole is not None and d.clusters.bit_count() > 1:
            key = ("wave-whole", *_where(repo, d.workload, env, waves[whole]))
            texts[key] = (f"wave '{waves[whole].name}' of '{env.name}' holds every cluster of"
                          " {what}: the rollout would reach them all at once")
            found.setdefault(key, []).append(d.workload.name)
            continue
        for wave, b in zip(waves, bits, strict=True):
            if not b:
                key = ("wave-empty", *_where(repo, d.workload, env, wave))
                texts[key] = f"wave '{wave.name}' of '{env.name}' holds no cluster of {{what}}"
                found.setdefault(key, []).append(d.workload.name)
        rest = d.clusters & ~bits[0]
        canary = _canary(planner, repo, bits[0], rest) if bits[0] and rest else None
        if canary is not None:
            key = ("wave-canary", *_where(repo, d.workload, env, waves[0]))
            texts[key] = (f"the first wave '{waves[0].name}' of '{env.name}' shares no site and no architecture "
                          f"with the rest of {{what}} ({canary}): it proves nothing about them")
            found.setdefault(key, []).append(d.workload.name)
    out: list[Problem] = []
    for key, workloads in found.items():
        rule, doc, path = key
        what = (f"workload '{workloads[0]}'" if len(workloads) == 1 else
                f"{len(workloads)} workloads ({', '.join(workloads[:SHOWN])}{', …' if len(workloads) > SHOWN else ''})")
        out.append(doc.problem(path, rule, texts[key].format(what=what), Severity.WARNING))
    return out


def needs_inventory(repo: Repo, folder: str = "clusters/") -> list[Problem]:
    """Waves that only cluster names can say (a share, or numberOfClusters on the
    placement), in a repository without an inventory to choose the names from (`folder`:
    where it is missing, a hub's clusters/<hub>/ with spec.hubs); each problem once."""
    out: list[Problem] = []
    for env in repo.repository.environments:
        if not env.waves:
            continue
        for w in repo.workloads:
            waves = w.waves_for(env)
            shared = next((x for x in waves[:-1] if x.share is not None), None)
            if shared is not None and shared.share is not None:
                doc, path = _where(repo, w, env, shared)
                out.append(doc.problem((*path[:-1], shared.share.key), "wave-share",
                                       f"wave '{shared.name}' of '{env.name}' takes a share of the clusters: which "
                                       f"ones is drawn by name from the cluster inventory, and {folder} holds none"))
                continue
            ep = effective_placement(repo, w, env.name) if w.enabled_in(env.name) else None
            if ep is not None and ep.max_clusters is not None:
                out.append(w.doc.problem(("spec", "placement"), "wave-share",
                                       f"placement '{w.placement_for(env.name)}' sets maxClusters: with waves in "
                                       f"'{env.name}' each wave names its clusters, drawn from the cluster "
                                       f"inventory, and {folder} holds none"))
    return list(dict.fromkeys(out))
