"""`i4qew plan` on models: per model version the clusters that must hold it, the bytes to move
per site, and against a base which clusters must fetch a new version before the workloads
that use it can move (real git revisions of a fixture repository)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.support.placements import cluster, model, policy, workload, write_repo
from tests.support.plan import commit, git, plan, plan_json

MiB = 1 << 20
FLEET = [cluster("a", {"site": "x", "env": "edge"}), cluster("b", {"site": "x", "env": "edge"}),
         cluster("c", {"site": "y", "env": "edge"}), cluster("d", {"site": "y"})]
POLICIES = [policy("edge", selector="env=edge"), policy("px", selector="site=x"), policy("all")]


def detector(*versions: tuple[str, str | None]) -> dict[str, Any]:
    """Model `detector` staged wherever env=edge; versions (name, size) pinned by digest."""
    m = model("detector", "edge", tuple(v for v, _ in versions))
    for entry, (_, size) in zip(m["spec"]["versions"], versions, strict=True):
        if size is not None:
            entry["size"] = size
    return m


def external() -> dict[str, Any]:
    m = model("reader", "all")
    m["spec"] = {**m["spec"], "distribution": "external", "versions": ["7"]}
    return m


def revisions(root: Path) -> Path:
    write_repo(root, clusters=FLEET, policies=POLICIES, models=[detector(("1", "10Mi"))], workloads=[
        workload("app", "px", model={"name": "detector", "version": "1"})])
    git(root, "init", "-q")
    commit(root, "base")
    write_repo(root, clusters=FLEET, policies=POLICIES, models=[detector(("1", "10Mi"), ("2", "30Mi")), external()],
               workloads=[workload("app", "px", model={"name": "detector", "version": "2"}),
                          workload("ocr", "all", model={"name": "reader", "version": "7"})])
    commit(root, "head")
    return root


def test_without_a_base_every_cluster_of_a_version_fetches_it(tmp_path: Path) -> None:
    root = revisions(tmp_path / "repo")
    doc = plan_json(root)
    by = {(m["model"], m["version"]): m for m in doc["models"]}
    assert list(by) == [("detector", "2"), ("reader", "7")]
    staged = by[("detector", "2")]
    # staged on the model's clusters (env=edge: a, b, c), wider than the workload's (site=x: a, b)
    assert (staged["delivery"], staged["clusters"], staged["groups"]) == ("stager", 3, {"x": 2, "y": 1})
    assert doc["decisions"][staged["decision"]] == ["a", "b", "c"]
    assert (staged["size"], staged["fetch"], staged["bytes"]) == (30 * MiB, 3, 90 * MiB)
    assert staged["bytesByGroup"] == {"x": 60 * MiB, "y": 30 * MiB}
    assert staged["digest"] == "sha256:" + hashlib.sha256(b"detector/2").hexdigest()
    assert (staged["workloads"], staged["waits"], staged["status"]) == (["apps/app"], None, "planned")
    # an external distributor's version: where its workloads are; size unknown
    ext = by[("reader", "7")]
    assert (ext["delivery"], ext["digest"], ext["clusters"], ext["bytes"], ext["bytesByGroup"]) == (
        "external", None, 4, None, None)
    assert doc["summary"]["bytesToMove"] == 90 * MiB


def test_against_a_base_the_clusters_that_must_fetch_first(tmp_path: Path) -> None:
    root = revisions(tmp_path / "repo")
    doc = plan_json(root, "--base", "HEAD~1")
    by = {(m["model"], m["version"]): m for m in doc["models"]}
    assert {k: m["status"] for k, m in by.items()} == {
        ("detector", "1"): "removed", ("detector", "2"): "added", ("reader", "7"): "added"}
    new = by[("detector", "2")]
    assert new["waits"] == {"apps/app": ["a", "b"]}  # app's new pods wait there until 2 is staged
    assert (new["fetch"], new["bytes"]) == (3, 90 * MiB)
    assert by[("detector", "1")]["clusters"] == 0 and by[("detector", "1")]["bytes"] == 0

    code, text = plan(root, "--base", "HEAD~1")
    assert code == 0
    lines = text.splitlines()
    assert ("+ detector 2 (30Mi, stager): 3 clusters [site: x 2, y 1]; 90Mi to move [x 60Mi, y 30Mi] — added"
            in lines)
    assert "      apps/app waits until it is fetched on: a, b" in lines
    assert "- detector 1 (10Mi, stager) — removed" in lines
    code, md = plan(root, "--base", "HEAD~1", "--format", "markdown")
    assert code == 0
    assert "| detector | 2 | 30Mi | stager | 3 | x 2, y 1 | 90Mi | added |" in md
    assert "- detector 2 for `apps/app`: `a`, `b`" in md


def test_an_unchanged_version_moves_nothing_and_a_repinned_one_everything(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_repo(root, clusters=FLEET, policies=POLICIES, models=[detector(("1", "10Mi"))],
               workloads=[workload("app", "px", model={"name": "detector", "version": "1"})])
    git(root, "init", "-q")
    commit(root, "base")
    write_repo(root, clusters=FLEET, policies=POLICIES, models=[detector(("1", "10Mi"))],
               workloads=[workload("app", "px", model={"name": "detector", "version": "1"},
                                   image="registry.example.com/app:1.1")])
    commit(root, "image only")
    (unchanged,) = plan_json(root, "--base", "HEAD~1")["models"]
    assert (unchanged["status"], unchanged["fetch"], unchanged["bytes"], unchanged["waits"]) == ("unchanged", 0, 0, {})
    text = (root / "models" / "all.yaml").read_text()
    old = hashlib.sha256(b"detector/1").hexdigest()
    (root / "models" / "all.yaml").write_text(text.replace(old, hashlib.sha256(b"other").hexdigest()))
    commit(root, "re-pinned")
    (repinned,) = plan_json(root, "--base", "HEAD~1")["models"]
    assert (repinned["status"], repinned["fetch"], repinned["bytes"]) == ("changed", 3, 30 * MiB)
    assert repinned["waits"] == {"apps/app": ["a", "b"]}


def test_without_an_inventory_the_versions_are_listed(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", policies=POLICIES, models=[detector(("1", None))],
                      workloads=[workload("app", "px", model={"name": "detector", "version": "1"})])
    doc = plan_json(root)
    (m,) = doc["models"]
    assert (m["clusters"], m["bytes"], m["size"]) == (None, None, None)
    assert doc["summary"]["bytesToMove"] is None
    code, text = plan(root)
    assert code == 0
    assert "  detector 1 (stager)" in text.splitlines()
    assert json.loads(json.dumps(doc)) == doc
