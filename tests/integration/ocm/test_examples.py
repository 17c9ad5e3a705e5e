"""`i4qew plan` on this repository's examples agrees with OCM's own scheduler.

The repository root (its clusters/ inventory, both environments) and every
positive case that uses Placements (planned over the root's inventory; a
PlacementRule is decided by another controller, not by OCM's scheduler) are
rendered with `i4qew render`; the rendered Placements and ManagedClusterSetBindings plus the
inventory go to the oracle (tests/integration/ocm/oracle.py), and its
PlacementDecisions must be the clusters `i4qew plan --format json` lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew.placement.staging import staging_argocd_name
from tests.integration.ocm import oracle
from tests.support.tools import ROOT

INVENTORY = ROOT / "clusters"
CASES = sorted(p for p in (ROOT / "tests" / "corpus" / "positive").iterdir()
               if p.is_dir() and "placementApi: PlacementRule" not in (p / "i4qew.yaml").read_text("utf-8"))


def agree(repo: Path, env: str, tmp_path: Path, *plan_args: str) -> dict[str, object]:
    oracle.scheduler()
    inventory = list(oracle.documents(INVENTORY))
    now = oracle.inventory_now(inventory)
    rendered = oracle.render(repo, env, tmp_path / "out")
    objects = oracle.hub_objects(rendered, inventory)
    doc = oracle.plan(repo, env, *plan_args)
    exact = oracle.run(objects, now, tmp_path / "exact")
    feasible = oracle.run(oracle.without_number_of_clusters(objects), now, tmp_path / "feasible")
    argo = oracle.argocd_placements(rendered)
    grouped = frozenset((o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects
                        if o["kind"] == "Placement" and "decisionStrategy" in o["spec"])
    oracle.compare(doc, {k: v for k, v in exact.items() if k not in argo},
                   {k: v for k, v in feasible.items() if k not in argo}, f"{repo.name}/{env}", grouped)
    if argo:
        argocd_agrees(doc, exact, argo, env)
    return doc


def argocd_agrees(doc: dict[str, object], exact: dict[tuple[str, str], oracle.Result],
                  argo: set[tuple[str, str]], env: str) -> None:
    """delivery: applicationset: the ApplicationSet's Placement in the Argo CD namespace
    decides what the workload's (or the model staging's) own does, and the GitOpsCluster's
    Placement decides every cluster any of them lands on (the generator skips a cluster
    without a cluster secret)."""
    workloads, stagings = doc["workloads"], doc["stagings"]
    assert isinstance(workloads, list) and isinstance(stagings, list)
    (argo_ns,) = {ns for ns, _ in argo}
    landed: set[str] = set()
    copies = set()
    for ns, own, copy_name in [*((w["namespace"], w["placement"], w["placement"]) for w in workloads),
                               *((s["namespace"], s["placement"], staging_argocd_name(s["model"], s["namespace"], env))
                                 for s in stagings)]:
        copy = exact[(argo_ns, copy_name)]
        assert copy.clusters == exact[(ns, own)].clusters, copy_name
        landed |= set(copy.clusters)
        copies.add((argo_ns, copy_name))
    (env_placement,) = argo - copies
    assert landed and landed <= set(exact[env_placement].clusters)


@pytest.mark.parametrize("env", ["dev", "production"])
def test_the_repository_example(env: str, tmp_path: Path) -> None:
    doc = agree(ROOT, env, tmp_path)
    # The example places every workload somewhere: the agreement is not about empty sets.
    assert doc["workloads"] and all(w["clusters"] for w in doc["workloads"])


def test_the_cases_compared_are_most_of_the_positive_ones() -> None:
    assert len(CASES) >= 3 and ROOT / "tests" / "corpus" / "positive" / "full-featured" in CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_positive_cases_over_the_example_inventory(case: Path, tmp_path: Path) -> None:
    agree(case, "dev", tmp_path, "--inventory", str(INVENTORY / "managedclusters.yaml"))
