"""The places where `plan` once disagreed with OCM's scheduler (issue 12, item 7),
each shown on the oracle itself: what the hub does, and that i4qew now says the same
(or refuses, or marks the decision advisory). Sources: docs/placement.md."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.integration.ocm import oracle
from tests.support.placements import cluster, policy, workload, write_repo

NOW = "2026-01-10T08:00:00Z"
GLOBAL = {"apiVersion": "cluster.open-cluster-management.io/v1beta2", "kind": "ManagedClusterSetBinding",
          "metadata": {"name": "global", "namespace": "apps"}, "spec": {"clusterSet": "global"}}


def hub(repo: Path, tmp: Path, env: str = "dev") -> list[dict[str, Any]]:
    return oracle.hub_objects(oracle.render(repo, env, tmp / "out"), oracle.documents(repo / "clusters"))


def test_the_toleration_rule_refuses_exactly_what_the_scheduler_rejects(tmp_path: Path) -> None:
    """Every form of toleration the CRD stores: the scheduler's Misconfigured verdict
    and the `toleration` problem of `validate` agree, form by form."""
    oracle.scheduler()
    forms = []
    for key, operator, value in itertools.product((None, "", "k"), (None, "Equal", "Exists"), (None, "", "v")):
        tol = {k: v for k, v in (("key", key), ("operator", operator), ("value", value)) if v is not None}
        forms.append(tol)
    placements = [{"apiVersion": "cluster.open-cluster-management.io/v1beta1", "kind": "Placement",
                   "metadata": {"name": f"p{i}", "namespace": "apps"}, "spec": {"tolerations": [tol]}}
                  for i, tol in enumerate(forms)]
    objects = [cluster("a", {"site": "x"}), GLOBAL, *placements]
    verdict = oracle.run(objects, NOW, tmp_path / "oracle")
    refused_by_hub = {i for i in range(len(forms)) if verdict[("apps", f"p{i}")].misconfigured}
    for i in refused_by_hub:
        assert verdict[("apps", f"p{i}")].clusters == []
    assert {i for i in range(len(forms)) if not verdict[("apps", f"p{i}")].misconfigured
            and verdict[("apps", f"p{i}")].clusters == ["a"]} == set(range(len(forms))) - refused_by_hub

    write_repo(tmp_path / "repo", policies=[policy(f"p{i}", selector="site=x", tolerations=[tol])
                                            for i, tol in enumerate(forms)],
               workloads=[workload("w", "p0")], clusters=[cluster("a", {"site": "x"})])
    result = CliRunner().invoke(cli, ["validate", "-C", str(tmp_path / "repo")])
    refused_by_validate = {int(line.split("of policy 'p", 1)[1].split("'", 1)[0])
                           for line in result.output.splitlines() if "[toleration]" in line}
    assert refused_by_validate == refused_by_hub
    assert len(refused_by_hub) == 15  # an empty key with Equal or no operator (12), Exists with a value (3)
    assert result.exit_code == 1


def test_an_empty_clusterset_label_is_the_default_set(tmp_path: Path) -> None:
    oracle.scheduler()
    fleet = [cluster("a", {"site": "x", oracle.GROUP + "/clusterset": ""}),
             cluster("b", {"site": "x"}),
             cluster("c", {"site": "x", oracle.GROUP + "/clusterset": "labs"})]
    repo = write_repo(tmp_path / "repo", policies=[policy("p", selector="site=x", clusterSets=["default"])],
                      workloads=[workload("w", "p")], clusters=fleet)
    verdict = oracle.run(hub(repo, tmp_path), NOW, tmp_path / "oracle")
    assert verdict[("apps", "w-dev")].clusters == ["a", "b"]
    doc = oracle.plan(repo, "dev")
    assert doc["decisions"][doc["workloads"][0]["decision"]] == ["a", "b"]


def test_prefer_no_select_does_not_rank_number_of_clusters(tmp_path: Path) -> None:
    oracle.scheduler()
    fleet = [cluster("a", {"site": "x"}, taints=[{"key": "k", "effect": "PreferNoSelect", "timeAdded": NOW}]),
             cluster("b", {"site": "x"})]
    repo = write_repo(tmp_path / "repo", policies=[policy("p", selector="site=x", maxClusters=1)],
                      workloads=[workload("w", "p")], clusters=fleet)
    verdict = oracle.run(hub(repo, tmp_path), NOW, tmp_path / "oracle")
    assert verdict[("apps", "w-dev")].clusters == ["a"]  # by name; the taint does not push it back
    w = oracle.plan(repo, "dev")["workloads"][0]
    assert (w["clusters"], w["feasible"], w["advisory"]) == (1, 2, True)


def test_balance_over_other_placements_makes_number_of_clusters_advisory(tmp_path: Path) -> None:
    """On a hub where placements are scheduled one after another, Balance steers each
    away from the clusters the earlier ones chose: not what a lone placement gets,
    so plan marks such decisions advisory (and says how many of how many)."""
    oracle.scheduler()
    fleet = [cluster(n, {"site": "x"}) for n in ("a", "b", "c")]
    repo = write_repo(tmp_path / "repo", policies=[policy("one", selector="site=x", maxClusters=1),
                                                   policy("all", selector="site=x")],
                      workloads=[workload("w1", "one"), workload("w2", "one"), workload("w3", "one"),
                                 workload("every", "all")], clusters=fleet)
    objects = hub(repo, tmp_path)
    alone = oracle.run(objects, NOW, tmp_path / "alone")
    busy = oracle.run(objects, NOW, tmp_path / "busy", mode="sequential")
    doc = oracle.plan(repo, "dev")
    by_name = {w["workload"]: w for w in doc["workloads"]}
    for name in ("w1", "w2", "w3"):
        assert alone[("apps", f"{name}-dev")].clusters == ["a"] == doc["decisions"][by_name[name]["decision"]]
        assert by_name[name]["advisory"] and by_name[name]["feasible"] == 3
        assert len(busy[("apps", f"{name}-dev")].clusters) == 1
    assert {busy[("apps", f"{n}-dev")].clusters[0] for n in ("w1", "w2", "w3")} == {"a", "b", "c"}
    # Without numberOfClusters the choice is the hub's whatever else runs there: exact.
    assert busy[("apps", "every-dev")].clusters == ["a", "b", "c"] and not by_name["every"]["advisory"]
    text = CliRunner().invoke(cli, ["plan", "-C", str(repo), "--env", "dev"]).output
    assert "w1 (apps) placement w1-dev: 1 cluster (advisory: 1 of 3 feasible)" in text
    assert "advisory: numberOfClusters leaves feasible clusters out" in text
    assert "every (apps) placement every-dev: 3 clusters [" in text
