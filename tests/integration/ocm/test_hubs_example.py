"""The two-hub example (docs/examples/two-hubs, spec.hubs) agrees with OCM's own scheduler
on each hub: what hub <hub> holds once it applies hub/<hub>/ of the rendered branch (its
Placements and ManagedClusterSetBindings, with its own inventory clusters/<hub>/) decides,
Placement by Placement, what `i4qew plan` shows for that hub and what the branch's
placement/<hub>/decisions.json records. production is delivered by each hub's Argo CD: the copy
of each workload's Placement in the Argo CD namespace decides what the workload's own does
on that hub, and the hub's GitOpsCluster Placement decides every cluster any of them lands
on (its Argo CD has a cluster secret for exactly those)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.ocm import oracle
from tests.support.hubs import TWO_HUBS, two_hubs

ARGO_NS = "openshift-gitops"


@pytest.mark.parametrize("env", ["dev", "production"])
def test_each_hub_decides_what_plan_and_its_branch_folder_say(env: str, tmp_path: Path) -> None:
    oracle.scheduler()
    rendered = oracle.render(TWO_HUBS, env, tmp_path / "out")
    fleet = oracle.plan(TWO_HUBS, env)
    placed = 0
    for hub in ("east", "west"):
        inventory = list(oracle.documents(TWO_HUBS / "clusters" / hub))
        own = {c["metadata"]["name"] for c in oracle.of_kind(inventory, "ManagedCluster")}
        now = oracle.inventory_now(inventory)
        objects = oracle.hub_objects(rendered, inventory, hub)
        exact = oracle.run(objects, now, tmp_path / hub / "exact")
        feasible = oracle.run(oracle.without_number_of_clusters(objects), now, tmp_path / hub / "feasible")
        argo = oracle.argocd_placements(rendered, hub)
        assert bool(argo) == (env == "production"), (hub, argo)
        doc = fleet["hubs"][hub]
        # plan lists the workloads that run on the hub; the snapshot every Placement of it
        shown = {(w["namespace"], w["placement"]) for w in doc["workloads"]}
        oracle.compare(doc, {k: v for k, v in exact.items() if k in shown},
                       {k: v for k, v in feasible.items() if k in shown}, f"two-hubs/{env}/{hub}")
        snapshot = json.loads((rendered / "placement" / hub / "decisions.json").read_text("utf-8"))
        recorded = {(p["namespace"], p["placement"]): snapshot["decisions"][p["decision"]]
                    for p in snapshot["placements"]}
        assert set(recorded) == set(exact) - argo
        for key, clusters in recorded.items():
            assert exact[key].clusters == clusters, (hub, key)
            assert set(clusters) <= own
            placed += len(clusters)
        if argo:
            (gitops,) = [k for k in argo if k[1] == f"plants-{env}"]
            landed: set[str] = set()
            for ns, name in argo - {gitops}:
                (twin,) = [k for k in recorded if k[1] == name]
                assert exact[(ns, name)].clusters == exact[twin].clusters, (hub, name)
                landed |= set(exact[(ns, name)].clusters)
            # the hub's Argo CD gets a cluster secret for each of the hub's clusters of the
            # environment (the example's selectors are stage=<env>), offline ones included
            stage = sorted(c["metadata"]["name"] for c in oracle.of_kind(inventory, "ManagedCluster")
                           if c["metadata"].get("labels", {}).get("stage") == env)
            assert exact[gitops].clusters == stage, (hub, exact[gitops].clusters)
            assert landed and landed <= set(stage)
    assert placed  # the example places workloads on both hubs


# Rollout waves on both hubs: by selector where Subscriptions deliver (dev), by share where
# each hub's Argo CD does (production: each hub's canary is one of its own clusters).
WAVES = {"dev": '[{name: canary, selector: "site=bologna"}, {name: rest}]',
         "production": "[{name: canary, clusters: 1}, {name: rest}]"}


def test_each_hub_decides_its_own_waves(tmp_path: Path) -> None:
    oracle.scheduler()
    root = two_hubs(tmp_path / "repo")
    config = root / "i4qew.yaml"
    text = config.read_text()
    for env, waves in WAVES.items():
        text = text.replace(f'      selector: "stage={env}"\n', f'      selector: "stage={env}"\n      waves: {waves}\n')
    config.write_text(text)
    waved = 0
    for env in WAVES:
        rendered = oracle.render(root, env, tmp_path / env)
        fleet = oracle.plan(root, env)
        for hub in ("east", "west"):
            inventory = list(oracle.documents(root / "clusters" / hub))
            now = oracle.inventory_now(inventory)
            objects = oracle.hub_objects(rendered, inventory, hub)
            exact = oracle.run(objects, now, tmp_path / env / hub / "exact")
            feasible = oracle.run(oracle.without_number_of_clusters(objects), now, tmp_path / env / hub / "feasible")
            doc = fleet["hubs"][hub]
            wanted: set[tuple[str, str]] = set()
            for w in doc["workloads"]:
                own = (w["namespace"], w["placement"])
                wanted.add(own)
                for wave in w["waves"]:
                    name = f"{w['placement']}-{wave['name']}"
                    # Argo CD's wave Placements live in its namespace (compile/hub/argocd_waves.py)
                    at = (ARGO_NS, name) if env == "production" else (w["namespace"], name)
                    exact[(w["namespace"], name)] = exact[at]
                    wanted.add((w["namespace"], name))
                    waved += 1
            grouped = frozenset((o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects
                                if o["kind"] == "Placement" and "decisionStrategy" in o["spec"])
            oracle.compare(doc, {k: v for k, v in exact.items() if k in wanted},
                           {k: v for k, v in feasible.items() if k in wanted}, f"two-hubs/{env}/{hub}", grouped)
    assert waved
