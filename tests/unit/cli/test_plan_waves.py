"""`i4qew plan` shows each wave's clusters per workload, and what each wave gained and
lost against --base (real git revisions)."""

from __future__ import annotations

from pathlib import Path

from tests.support.placements import cluster, policy, workload, write_repo
from tests.unit.cli.test_plan import commit, git, plan, plan_json

FLEET = [cluster(n, {"site": n.split("-")[0]}) for n in ("lab-1", "porto-1", "porto-2", "rome-1")]
ENV = {"name": "dev", "branch": "acm-dev"}


def test_plan_lists_each_waves_clusters_and_their_changes_against_the_base(tmp_path: Path) -> None:
    first = [{"name": "canary", "selector": "site=lab"}, {"name": "rest"}]
    write_repo(tmp_path, clusters=FLEET, policies=[policy("all")], workloads=[workload("w", "all")],
               environments=[{**ENV, "waves": first}])
    git(tmp_path, "init", "-q")
    commit(tmp_path, "base")
    moved = [{"name": "canary", "selector": "site in (lab, rome)"}, {"name": "rest"}]
    write_repo(tmp_path, clusters=FLEET, policies=[policy("all")], workloads=[workload("w", "all")],
               environments=[{**ENV, "waves": moved}])

    (now,) = plan_json(tmp_path)["workloads"]
    assert now["waves"] == [
        {"name": "canary", "clusters": ["lab-1", "rome-1"], "gained": None, "lost": None},
        {"name": "rest", "clusters": ["porto-1", "porto-2"], "gained": None, "lost": None}]
    (against,) = plan_json(tmp_path, "--base", "HEAD")["workloads"]
    assert against["waves"] == [
        {"name": "canary", "clusters": ["lab-1", "rome-1"], "gained": ["rome-1"], "lost": []},
        {"name": "rest", "clusters": ["porto-1", "porto-2"], "gained": [], "lost": ["rome-1"]}]
    assert against["status"] == "unchanged"  # the same clusters run it; only their wave moved

    code, text = plan(tmp_path, "--base", "HEAD")
    assert code == 0, text
    assert "      wave canary: 2 clusters (+1 −0): lab-1, rome-1\n        + rome-1\n" in text
    assert "      wave rest: 2 clusters (+0 −1): porto-1, porto-2\n        - rome-1\n" in text
    code, md = plan(tmp_path, "--base", "HEAD", "--format", "markdown")
    assert "| canary 2 (+1 −0), rest 2 (+0 −1) |" in md


def test_plan_without_waves_has_no_wave_column_or_key(tmp_path: Path) -> None:
    write_repo(tmp_path, clusters=FLEET, policies=[policy("all")], workloads=[workload("w", "all")])
    (entry,) = plan_json(tmp_path)["workloads"]
    assert "waves" not in entry
    assert "wave " not in plan(tmp_path)[1]
