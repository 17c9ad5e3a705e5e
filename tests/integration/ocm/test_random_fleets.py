"""`i4qew plan` agrees with OCM's scheduler on seeded random fleets (fleets.py) that
use every placement feature the schemas allow, for a first publish and for the
next revision against its base (Steady and NoSelectIfNew see the hub's existing
decisions: the oracle gets the PlacementDecisions it made for the base).

The rendered hub comes from a copy of the repository without clusters/ (the hub
objects do not depend on the inventory, and render refuses a repository whose
placement checks fail, which random fleets often do); `plan` reads the inventory.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.integration.ocm import fleets, oracle
from tests.support.git_remote import commit, git

SEEDS = range(1, 7)
NOW = fleets.stamp(fleets.NOW)


def hub_of(repo: Path, env: str, tmp: Path) -> list[dict[str, Any]]:
    bare = tmp / "no-inventory"
    shutil.rmtree(bare, ignore_errors=True)
    shutil.copytree(repo, bare, ignore=shutil.ignore_patterns("clusters", ".git"))
    rendered = oracle.render(bare, env, tmp / "out")
    objects = oracle.hub_objects(rendered, oracle.documents(repo / "clusters"))
    shutil.rmtree(tmp / "out")
    return objects


def check(doc: dict[str, Any], objects: list[dict[str, Any]], tmp: Path, where: str,
          existing: Sequence[dict[str, Any]] = ()) -> tuple[dict[tuple[str, str], oracle.Result], int]:
    exact = oracle.run([*objects, *existing], NOW, tmp / "exact")
    feasible = oracle.run(oracle.without_number_of_clusters([*objects, *existing]), NOW, tmp / "feasible")
    return exact, oracle.compare(doc, exact, feasible, where)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_random_fleet_and_its_next_revision(seed: int, tmp_path: Path) -> None:
    oracle.scheduler()
    repo = fleets.random_fleet(seed).write(tmp_path / "repo")
    git(repo, "init", "-q")
    commit(repo, "base")
    base: dict[str, dict[tuple[str, str], oracle.Result]] = {}
    advisory = 0
    for env in ("dev", "production"):
        doc = oracle.plan(repo, env, "--now", NOW)
        base[env], n = check(doc, hub_of(repo, env, tmp_path), tmp_path / env, f"seed {seed} {env}")
        advisory += n
    fleets.churn(fleets.random_fleet(seed), seed).write(repo)
    commit(repo, "head")
    for env in ("dev", "production"):
        doc = oracle.plan(repo, env, "--now", NOW, "--base", "HEAD~1")
        _, n = check(doc, hub_of(repo, env, tmp_path), tmp_path / f"{env}-next", f"seed {seed} {env} next",
                     oracle.decisions_of(base[env]))
        advisory += n
    # Not a vacuous agreement: the fleets place workloads, and some decisions are advisory.
    assert any(r.clusters for r in base["dev"].values())
    if seed == SEEDS[0]:
        assert advisory


def test_the_fleets_use_every_feature() -> None:
    """The generator draws what the docstring of fleets.py promises (over all seeds)."""
    seen: set[str] = set()
    for seed in SEEDS:
        f = fleets.random_fleet(seed)
        for c in f.clusters:
            labels = c["metadata"]["labels"]
            seen.add("empty-set-label" if labels.get(fleets.SET) == "" else
                     "no-set-label" if fleets.SET not in labels else "set-label")
            for t in c["spec"].get("taints", ()):
                seen.add(t["effect"])
                seen.add("timeAdded" if "timeAdded" in t else "no-timeAdded")
        for p in f.policies:
            spec = p["spec"]
            seen.update(f"set:{s}" for s in spec.get("clusterSets", ()))
            seen.update(k for k in ("anyOf", "claims", "maxClusters", "tolerateOffline") if k in spec)
            for t in spec.get("tolerations", ()):
                seen.add(f"tol:{t.get('operator', 'Equal')}:{'key' if 'key' in t else 'nokey'}")
                seen.update(f"tol:{k}" for k in ("effect", "tolerationSeconds") if k in t)
    expected = {"empty-set-label", "no-set-label", "set-label", *fleets.EFFECTS, "timeAdded", "no-timeAdded",
                *(f"set:{s}" for s in fleets.SETS), "anyOf", "claims", "maxClusters", "tolerateOffline",
                "tol:Exists:key", "tol:Exists:nokey", "tol:Equal:key", "tol:effect", "tol:tolerationSeconds"}
    assert expected <= seen, expected - seen
