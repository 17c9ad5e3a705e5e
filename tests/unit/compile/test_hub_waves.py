"""The wave Placements i4qew compiles decide exactly the clusters `plan` puts in each wave,
whether labels say them (selectors) or cluster names do (a share)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.compile.hub.waves import negate
from i4qew.compile.render import render_tree
from i4qew.k8s.selector_text import parse_selector
from i4qew.placement.decide import Planner
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.waves import members_by_wave
from i4qew.problems import UserError
from i4qew.validation import validate_repo
from tests.support.placements import cluster, decided_by, policy, workload, write_repo

FLEET = [cluster(f"{site}-{i}", {"site": site, "line": str(i)}) for site in ("bologna", "porto", "lab")
         for i in range(1, 4)]
ENV = {"name": "dev", "branch": "acm-dev"}


def wave_placements(root: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(each wave's clusters as its compiled Placement decides them, as plan has them), workload w."""
    v = validate_repo(root)
    assert v.repo is not None
    inv, _ = load_inventory(root)
    assert inv is not None
    tree = render_tree(v.repo, "dev", inventory=inv, source_commit=None)
    docs = [d for d in yaml.safe_load_all(tree["hub/apps/apps/workloads/w.yaml"]) if d["kind"] == "Placement"]
    env = v.repo.repository.environments[0]
    (d,) = Planner(v.repo, inv).decisions("dev")
    waves = d.workload.waves_for(env)
    planned = {w.name: inv.cluster_names(b) for w, b in zip(waves, members_by_wave(inv, waves, d.clusters),
                                                                 strict=True)}
    compiled = {doc["metadata"]["labels"]["edge.i4q.eu/wave"]: [c.name for c in inv.clusters
                                                                  if decided_by(doc, dict(c.labels))]
                for doc in docs[1:]}
    return compiled, planned


@pytest.mark.parametrize("waves", [
    [{"name": "canary", "selector": "site=lab,line=1"}, {"name": "porto", "selector": "site in (porto, lab)"},
     {"name": "rest"}],
    [{"name": "canary", "selector": "site=lab", "clusters": 1}, {"name": "half", "percent": 50}, {"name": "rest"}],
    [{"name": "first", "selector": "line notin (1)"}, {"name": "second", "selector": "!line"}, {"name": "rest"}],
], ids=["selectors", "shares", "negations"])
def test_each_wave_placement_decides_the_planned_wave(tmp_path: Path, waves: list[dict[str, Any]]) -> None:
    write_repo(tmp_path, clusters=FLEET, policies=[policy("edge", selector="site in (porto, lab, bologna)")],
               workloads=[workload("w", "edge")], environments=[{**ENV, "waves": waves}])
    compiled, planned = wave_placements(tmp_path)
    assert compiled == planned
    assert sorted(itertools.chain(*compiled.values())) == sorted(c["metadata"]["name"] for c in FLEET)


def test_a_share_without_an_inventory_is_refused_with_its_place(tmp_path: Path) -> None:
    write_repo(tmp_path, policies=[policy("edge")], workloads=[workload("w", "edge")],
               environments=[{**ENV, "waves": [{"name": "canary", "clusters": 2}, {"name": "rest"}]}])
    v = validate_repo(tmp_path)
    (problem,) = [p for p in v.problems if p.rule == "wave-share"]
    lines = (tmp_path / "i4qew.yaml").read_text().splitlines()
    assert (problem.path, problem.line) == ("i4qew.yaml", next(i for i, s in enumerate(lines, 1) if "clusters:" in s))
    assert v.repo is not None
    with pytest.raises(UserError) as raised:
        render_tree(v.repo, "dev", inventory=None, source_commit=None)
    assert raised.value.problems == [problem]


@pytest.mark.parametrize("text", ["a=1", "a!=1", "a in (1, 2),b", "!a,b notin (x)", "a,b=2,c in (3)"])
def test_negation_matches_exactly_what_the_selector_does_not(text: str) -> None:
    sel = parse_selector(text)
    for values in itertools.product([None, "1", "2", "x"], repeat=3):
        labels = {k: v for k, v in zip("abc", values, strict=True) if v is not None}
        assert any(p.labels.matches(labels) for p in negate(sel)) is not sel.matches(labels), labels
