"""OCM's own placement scheduler as the oracle of `i4qew plan` (no tests here).

The oracle is tests/ocm/scheduler, a Go program over open-cluster-management.io/ocm
built by .ci/install-ocm-scheduler into .tools/ocm-scheduler/. These helpers feed
it what a hub would hold after applying a rendered environment branch — the
rendered Placements and ManagedClusterSetBindings (hub/), the inventory's
ManagedClusters and ManagedClusterSets, and a ManagedClusterSet for every other
set a binding names (i4qew plans as if those sets exist; the oracle itself adds
the hub's `default` and `global` sets) — and compare its PlacementDecisions with
`i4qew plan --format json` (docs/plan-json.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.load.yamlio import Parsed, parse
from tests.support.tools import ROOT

BINARY = ROOT / ".tools" / "ocm-scheduler" / "ocm-scheduler"
GROUP = "cluster.open-cluster-management.io"
HUB_SETS = ("default", "global")  # created by the hub itself (the oracle adds them)


def scheduler() -> Path:
    found = Path(os.environ.get("I4QEW_OCM_SCHEDULER", BINARY))
    if not (found.is_file() and os.access(found, os.X_OK)):
        pytest.skip(f"the OCM scheduler oracle is not built at {found} (bash .ci/install-ocm-scheduler; needs Go)")
    return found


def documents(folder: Path) -> Iterator[Any]:
    """Every YAML/JSON document under `folder`, read as i4qew reads them (YAML 1.2);
    `kind: List` expanded."""
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file()):
        parsed = parse(str(path), path.read_text("utf-8"))
        assert isinstance(parsed, Parsed), parsed
        for doc in parsed.docs:
            if isinstance(doc, dict) and isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
                yield from doc["items"]
            elif isinstance(doc, dict):
                yield doc


def of_kind(docs: Iterable[Any], *kinds: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") in kinds and str(d.get("apiVersion", "")).startswith(GROUP + "/")]


def hub_objects(rendered: Path, inventory: Iterable[Any], hub_name: str | None = None) -> list[dict[str, Any]]:
    """What the hub holds once the branch rendered into `rendered` is applied (hub/, or
    hub/<hub_name>/ of a branch several hubs follow)."""
    hub = of_kind(documents(rendered / "hub" / (hub_name or "")), "Placement", "ManagedClusterSetBinding")
    fleet = of_kind(inventory, "ManagedCluster", "ManagedClusterSet")
    declared = {o["metadata"]["name"] for o in fleet if o["kind"] == "ManagedClusterSet"} | set(HUB_SETS)
    bound = sorted({o["spec"]["clusterSet"] for o in hub if o["kind"] == "ManagedClusterSetBinding"} - declared)
    sets = [{"apiVersion": f"{GROUP}/v1beta2", "kind": "ManagedClusterSet", "metadata": {"name": name},
             "spec": {"clusterSelector": {"selectorType": "ExclusiveClusterSetLabel"}}} for name in bound]
    return [*fleet, *sets, *hub]


def argocd_placements(rendered: Path, hub_name: str | None = None) -> set[tuple[str, str]]:
    """(namespace, name) of the Placements an applicationset environment keeps in the
    Argo CD namespace (hub/argocd/, or hub/<hub_name>/argocd/): the GitOpsCluster's and a
    copy of each workload's."""
    folder = rendered / "hub" / (hub_name or "") / "argocd"
    if not folder.is_dir():
        return set()
    return {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in of_kind(documents(folder), "Placement")}


def inventory_now(inventory: Iterable[Any]) -> str:
    """The time `plan` evaluates tolerationSeconds at by default: the newest taint time."""
    times = [t["timeAdded"] for c in of_kind(inventory, "ManagedCluster")
             for t in (c.get("spec") or {}).get("taints") or () if t.get("timeAdded")]
    return max(times, default="2026-01-01T00:00:00Z")


def decisions_of(results: dict[tuple[str, str], Result]) -> list[dict[str, Any]]:
    """The PlacementDecisions a hub holds after `results` (the existing decisions of a later run)."""
    return [{"apiVersion": f"{GROUP}/v1beta1", "kind": "PlacementDecision",
             "metadata": {"name": f"{name}-decision-1", "namespace": ns,
                          "labels": {f"{GROUP}/placement": name, f"{GROUP}/decision-group-index": "0",
                                     f"{GROUP}/decision-group-name": ""}},
             "status": {"decisions": [{"clusterName": c, "reason": ""} for c in r.clusters]}}
            for (ns, name), r in sorted(results.items())]


@dataclass(frozen=True)
class Result:
    clusters: list[str]  # sorted
    groups: list[dict[str, Any]]
    selected: int
    conditions: dict[str, dict[str, str]]  # by type

    @property
    def misconfigured(self) -> bool:
        return self.conditions.get("PlacementMisconfigured", {}).get("status") == "True"


def run(objects: list[dict[str, Any]], now: str, tmp: Path, *, mode: str = "isolated") -> dict[tuple[str, str], Result]:
    """(namespace, placement) -> what OCM's scheduling controller decided."""
    tmp.mkdir(parents=True, exist_ok=True)
    inputs = tmp / "hub.json"
    inputs.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}), "utf-8")
    done = subprocess.run([str(scheduler()), "--now", now, "--mode", mode, str(inputs)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout)
    assert out["ocm"].startswith("open-cluster-management.io/ocm v")
    return {(p["namespace"], p["name"]): Result(p["clusters"], p["decisionGroups"], p["numberOfSelectedClusters"],
                                                {c["type"]: c for c in p["conditions"] or ()})
            for p in out["placements"]}


def without_number_of_clusters(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same hub with numberOfClusters dropped: the oracle then returns every feasible cluster."""
    out = []
    for o in objects:
        if o["kind"] == "Placement" and "numberOfClusters" in o["spec"]:
            o = {**o, "spec": {k: v for k, v in o["spec"].items() if k != "numberOfClusters"}}
        out.append(o)
    return out


def render(repo: Path, env: str, dest: Path) -> Path:
    result = CliRunner().invoke(cli, ["render", "-C", str(repo), "--env", env, "-o", str(dest)])
    assert result.exit_code == 0, result.output
    return dest


def plan(repo: Path, env: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["plan", "-C", str(repo), "--env", env, "--format", "json", *args])
    doc: dict[str, Any] = json.loads(result.stdout)
    assert "workloads" in doc, result.output
    return doc


def compare(plan_doc: dict[str, Any], exact: dict[tuple[str, str], Result],
            feasible: dict[tuple[str, str], Result], where: str,
            grouped: frozenset[tuple[str, str]] = frozenset()) -> int:
    """Assert that `plan` agrees with the oracle; return how many decisions were advisory.

    `exact`: the oracle on the rendered hub (isolated: a hub where each placement is
    the only one with decisions besides its own base); `feasible`: the same without
    numberOfClusters. Exact decisions must be identical. An advisory decision must
    have exactly the count, lie within the feasible clusters, be what the isolated
    hub picks, and be advisory exactly when numberOfClusters leaves some out.
    `grouped`: the Placements that carry a decisionStrategy (rollout waves)."""
    advisory = 0
    names = plan_doc["decisions"]
    for w in plan_doc["workloads"]:
        if w["status"] == "removed":
            continue
        key = (w["namespace"], w["placement"])
        label = f"{where}: {key[0]}/{key[1]}"
        got, all_of = exact[key], feasible[key]
        chosen = names[w["decision"]]
        assert not got.misconfigured, (label, got.conditions)
        if w.get("waves"):
            waves_agree(w, key, exact, got, label, key in grouped)
        else:
            assert got.groups == [{"index": 0, "name": "", "clusters": got.groups[0]["clusters"]}], (label, got.groups)
            assert sorted(got.groups[0]["clusters"]) == got.clusters
        assert got.selected == len(got.clusters), label
        assert w["feasible"] == len(all_of.clusters), (label, w["feasible"], all_of.clusters)
        assert w["advisory"] == (len(all_of.clusters) > len(chosen)), (label, w["advisory"])
        assert set(chosen) <= set(all_of.clusters) and len(chosen) == len(got.clusters), label
        assert chosen == got.clusters, (label, chosen, got.clusters)
        advisory += w["advisory"]
    # The models' staging placements (no numberOfClusters: every feasible cluster).
    for s in plan_doc["stagings"]:
        key = (s["namespace"], s["placement"])
        got = exact[key]
        assert not got.misconfigured, (f"{where}: {key}", got.conditions)
        assert names[s["decision"]] == got.clusters == feasible[key].clusters, (f"{where}: {key}", got.clusters)
    expected = {(w["namespace"], w["placement"]) for w in plan_doc["workloads"] if w["status"] != "removed"}
    expected |= {(s["namespace"], s["placement"]) for s in plan_doc["stagings"]}
    expected |= {(w["namespace"], f"{w['placement']}-{wave['name']}") for w in plan_doc["workloads"]
                 for wave in w.get("waves") or ()}
    assert expected == set(exact)
    return advisory


def waves_agree(w: dict[str, Any], key: tuple[str, str], exact: dict[tuple[str, str], Result], got: Result,
                label: str, grouped: bool) -> None:
    """Rollout waves (docs/rollout.md): each wave's own Placement decides exactly the clusters
    `plan` puts in that wave, and the workload's Placement groups its decision the same way
    (its decision groups named for the waves, the last wave's clusters unnamed) where it
    carries them: only selectors say waves as decision groups, a share is not one."""
    waves = w["waves"]
    for wave in waves:
        mine = exact[(key[0], f"{key[1]}-{wave['name']}")]
        assert not mine.misconfigured, (label, wave["name"], mine.conditions)
        assert mine.clusters == sorted(wave["clusters"]), (label, wave["name"], mine.clusters, wave["clusters"])
    by_name: dict[str, list[str]] = {}
    for g in got.groups:
        by_name.setdefault(g["name"], []).extend(g["clusters"])
    named = {n: sorted(c) for n, c in by_name.items() if c}
    plan_groups = {wave["name"]: sorted(wave["clusters"]) for wave in waves[:-1] if wave["clusters"]}
    if waves[-1]["clusters"]:
        plan_groups[""] = sorted(waves[-1]["clusters"])
    if not grouped:
        plan_groups = {"": got.clusters} if got.clusters else {}
    assert named == plan_groups, (label, named, plan_groups)
    assert sorted(c for g in got.groups for c in g["clusters"]) == got.clusters, label
