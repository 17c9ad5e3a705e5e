"""`i4qew plan` between two git revisions of a fixture repository (real git)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.placements import cluster, kubectl_list, policy, workload, write_repo
from tests.support.plan import commit, git, plan, plan_json

FLEET = [cluster("a", {"site": "x"}), cluster("b", {"site": "x"}), cluster("c", {"site": "y"}),
         cluster("d", {"site": "y"})]
POLICIES = [policy("px", selector="site=x"), policy("py", selector="site=y")]


def two_revisions(root: Path) -> Path:
    write_repo(root, clusters=FLEET, policies=POLICIES, workloads=[
        workload("keep", "px"), workload("move", "px"), workload("gone", "py"), workload("bump", "py")])
    git(root, "init", "-q")
    commit(root, "base")
    write_repo(root, clusters=FLEET, policies=POLICIES, workloads=[
        workload("keep", "px"), workload("move", "py"), workload("fresh", "px"),
        workload("bump", "py", image="registry.example.com/bump:2.0")])
    commit(root, "head")
    return root


def test_the_change_against_a_base_revision(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    doc = plan_json(root, "--base", "HEAD~1")
    assert doc["base"] == "HEAD~1"
    assert doc["summary"] == {"workloads": 4, "added": 1, "removed": 1, "changed": 2, "unchanged": 1, "blastRadius": 4,
                              "bytesToMove": 0}
    by = {w["workload"]: w for w in doc["workloads"]}
    assert [w["workload"] for w in doc["workloads"]] == ["bump", "fresh", "gone", "keep", "move"]
    assert {k: w["status"] for k, w in by.items()} == {
        "bump": "changed", "fresh": "added", "gone": "removed", "keep": "unchanged", "move": "changed"}
    assert (by["bump"]["specChanged"], by["bump"]["placementChanged"]) == (True, False)
    assert (by["move"]["specChanged"], by["move"]["placementChanged"]) == (False, True)
    assert (by["move"]["gained"], by["move"]["lost"]) == (["c", "d"], ["a", "b"])
    assert (by["fresh"]["gained"], by["fresh"]["lost"]) == (["a", "b"], [])
    assert (by["gone"]["gained"], by["gone"]["lost"], by["gone"]["clusters"]) == ([], ["c", "d"], 0)
    assert by["keep"]["groups"] == {"x": 2}
    assert doc["decisions"][by["keep"]["decision"]] == ["a", "b"]
    assert doc["blastRadius"] == ["a", "b", "c", "d"]


def test_markdown_and_text(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    code, md = plan(root, "--base", "HEAD~1", "--format", "markdown")
    assert code == 0
    assert md.splitlines()[0] == "<!-- i4qew:plan:dev -->"
    assert "1 added, 1 removed, 2 changed, 1 unchanged; blast radius 4 clusters" in md
    assert "| move | apps | 2 | y 2 | changed: placement (+2 −2) |" in md
    assert "<details><summary>1 unchanged workloads</summary>" in md
    assert "gained: **y** (2): `c`, `d`" in md
    code, text = plan(root, "--base", "HEAD~1")
    assert code == 0
    assert "+ fresh (apps) placement fresh-dev: 2 clusters [site: x 2] — added (+2 −0)" in text.splitlines()
    assert "- gone (apps) placement gone-dev — removed (+0 −2)" in text.splitlines()


def test_clusters_that_left_the_inventory_and_stable_number_of_clusters(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pols = [*POLICIES, policy("one", selector="site=x", maxClusters=1)]
    write_repo(root, clusters=[*FLEET, cluster("e", {"site": "y"})], policies=pols,
               workloads=[workload("single", "one"), workload("ys", "py")])
    git(root, "init", "-q")
    commit(root, "base")
    # The inventory changes: `e` is decommissioned, `0a` joins (first by name).
    write_repo(root, clusters=[cluster("0a", {"site": "x"}), *FLEET], policies=pols,
               workloads=[workload("single", "one"), workload("ys", "py")])
    commit(root, "head")
    doc = plan_json(root, "--base", "HEAD~1")
    by = {w["workload"]: w for w in doc["workloads"]}
    assert doc["decisions"][by["single"]["decision"]] == ["a"]  # the base's choice is kept
    assert by["single"]["status"] == "unchanged"
    assert (by["ys"]["status"], by["ys"]["lost"]) == ("changed", ["e"])
    assert doc["summary"]["blastRadius"] == 1 and doc["blastRadius"] == ["e"]
    # Without the base, the choice is by name.
    by_name = {w["workload"]: w for w in plan_json(root)["workloads"]}
    assert plan_json(root)["decisions"][by_name["single"]["decision"]] == ["0a"]


def test_number_of_clusters_that_leaves_clusters_out_is_advisory_in_every_format(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", clusters=FLEET, policies=[*POLICIES, policy("one", selector="site=x", maxClusters=1)],
                      workloads=[workload("single", "one"), workload("ys", "py")])
    by = {w["workload"]: w for w in plan_json(root)["workloads"]}
    assert (by["single"]["clusters"], by["single"]["feasible"], by["single"]["advisory"]) == (1, 2, True)
    assert (by["ys"]["clusters"], by["ys"]["feasible"], by["ys"]["advisory"]) == (2, 2, False)
    code, text = plan(root)
    assert code == 0
    assert "  single (apps) placement single-dev: 1 cluster (advisory: 1 of 2 feasible) [site: x 1]" in text
    assert "  ys (apps) placement ys-dev: 2 clusters [site: y 2]" in text
    assert "\nadvisory: numberOfClusters leaves feasible clusters out. The count is exact" in text
    code, md = plan(root, "--format", "markdown")
    assert "| single | apps | 1 (advisory) | x 1 |" in md and "| ys | apps | 2 | y 2 |" in md
    assert "<sub>advisory: numberOfClusters leaves feasible clusters out." in md
    # Nothing advisory, no note.
    write_repo(root, clusters=FLEET, policies=POLICIES, workloads=[workload("ys", "py")])
    assert "advisory" not in plan(root)[1] and "advisory" not in plan(root, "--format", "markdown")[1]


def test_inventory_file_and_a_bad_base(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    other = tmp_path / "fleet.json"
    other.write_text(json.dumps(kubectl_list([cluster("z", {"site": "x"}), cluster("y1", {"site": "y"})])))
    doc = plan_json(root, "--inventory", str(other))
    assert doc["inventory"] == {"clusters": 2}
    assert {w["workload"]: w["clusters"] for w in doc["workloads"]} == {"bump": 1, "fresh": 1, "keep": 1, "move": 1}
    code, out = plan(root, "--base", "no-such-revision")
    assert code == 2 and "--base no-such-revision" in out


def test_validation_errors_exit_1_without_a_plan(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", clusters=FLEET, policies=POLICIES, workloads=[workload("w", "nowhere")])
    code, out = plan(root, "--format", "markdown")
    assert code == 1
    assert out.startswith("<!-- i4qew:plan:dev -->\n")
    assert "No plan: the repository does not validate." in out and "nowhere" in out


def test_empty_placement_is_an_error_but_the_plan_is_shown(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", clusters=FLEET, policies=[policy("pz", selector="site=z")],
                      workloads=[workload("w", "pz")])
    code, out = plan(root)
    assert code == 1
    assert "w (apps) placement w-dev: 0 clusters" in out
    assert "[placement-empty] workload 'w' would run on no cluster in 'dev'" in out


def test_without_inventory_the_predicates_are_shown(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", policies=POLICIES, workloads=[workload("w", "px")])
    code, out = plan(root)
    assert code == 0
    assert out.splitlines() == ["plan for 'dev': 1 workload (no cluster inventory: decisions unknown)",
                                "  w (apps) placement w-dev", "      site=x"]


def test_markdown_stays_short_at_scale(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    fleet = [cluster(f"c{i:04d}", {"site": f"s{i % 7}"}) for i in range(450)]
    write_repo(root, clusters=fleet, policies=[policy("all", selector="")], workloads=[workload("w", "all")])
    git(root, "init", "-q")
    commit(root, "base")
    write_repo(root, clusters=fleet, policies=[policy("all", selector="")],
               workloads=[workload("w", "all"), workload("v", "all")])
    commit(root, "head")
    code, md = plan(root, "--base", "HEAD~1", "--format", "markdown")
    assert code == 0
    assert "| v | apps | 450 | s0 65, s1 65, s2 64, s3 64, s4 64, … +2 more | added (+450 −0) |" in md
    gained = next(line for line in md.splitlines() if line.startswith("gained: "))
    assert gained.count("`c") == 200 and gained.endswith("… and 250 more clusters")


def mixed(root: Path, dev_delivery: str) -> None:
    write_repo(root, clusters=FLEET, policies=POLICIES, workloads=[workload("keep", "px"), workload("bump", "py")],
               environments=[{"name": "dev", "selector": "site in (x, y)", "delivery": dev_delivery}])


def test_plan_shows_a_change_of_delivery_before_it_is_published(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    mixed(root, "subscription")
    git(root, "init", "-q")
    commit(root, "base")
    mixed(root, "applicationset")
    commit(root, "head")
    doc = plan_json(root, "--base", "HEAD~1")
    assert doc["delivery"] == {"head": "applicationset", "base": "subscription"}
    assert {w["workload"]: (w["status"], w["deliveryChanged"]) for w in doc["workloads"]} == {
        "bump": ("changed", True), "keep": ("changed", True)}
    assert doc["blastRadius"] == ["a", "b", "c", "d"]  # every cluster: the release is reinstalled there
    code, text = plan(root, "--base", "HEAD~1")
    assert code == 0, text
    lines = text.splitlines()
    assert lines[1].startswith("! delivery changes from subscription to applicationset: the Subscriptions go")
    assert "docs/argocd.md#migration" in lines[1]
    assert "changed: delivery" in text
    code, md = plan(root, "--base", "HEAD~1", "--format", "markdown")
    assert "> [!warning]\n> delivery changes from subscription to applicationset" in md
    # and back: Argo CD deletes its objects before the Subscription installs again
    code, text = plan(root, "--base", "HEAD", "--format", "text")
    assert "! delivery" not in text
    mixed(root, "subscription")
    commit(root, "back")
    code, text = plan(root, "--base", "HEAD~1")
    assert "! delivery changes from applicationset to subscription: the ApplicationSets go" in text
