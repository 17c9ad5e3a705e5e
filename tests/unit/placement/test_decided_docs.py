"""Where each workload document's decisions are, kept between runs (placement/decided_docs.py):
a warm run answers as a cold one after each edit of what an effective placement reads, and
makes the effective placements of the changed file's workloads only; a decision made from it
(LaterDecision) is the decision a cold run makes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from i4qew.placement import effective
from i4qew.placement.decide import Decision, LaterDecision, Planner
from i4qew.placement.effective import EffectivePlacement
from i4qew.placement.inventory_load import load_inventory
from i4qew.validation import read_repo
from tests.support.placements import model
from tests.unit.placement.test_decided_cache import answers, edit, fleet, invoke

# (what is edited, file, old, new): each changes some command's answer
EDITS = [
    ("a policy's predicates", "policies/all.yaml", "selector: role=line\n", "selector: role=line,gpu=no\n"),
    ("a workload's placement", "workloads/all.yaml", "placement: lines", "placement: two"),
    ("a workload's placement in one environment", "workloads/g.yaml", "placement: gpuless\n",
     "placement: gpuless\n  environments:\n    production: {placement: gpus}\n"),
    ("a workload's model", "workloads/all.yaml", "  model:\n    name: m\n", "  model:\n    name: n\n"),
    ("a policy's numberOfClusters", "policies/all.yaml", "maxClusters: 2", "maxClusters: 1"),
    ("a policy's offline tolerations", "policies/all.yaml", "tolerateOffline: true", "tolerateOffline: false"),
    ("the model's policy", "models/all.yaml", "placement: gpus", "placement: gpuless"),
    ("a workload disabled in one environment", "workloads/all.yaml", "  placement: two\n---\n",
     "  placement: two\n  environments:\n    dev: {enabled: false}\n---\n"),
    ("an inventory label", "clusters/west/managedclusters.yaml", "gpu: 'yes'", "gpu: 'no'"),
    ("an environment's selector", "i4qew.yaml", "selector: stage=dev", "selector: role=line"),
]


def with_model_n(root: Path) -> Path:
    """The fleet with a second model, on the policy that selects the GPU-less clusters."""
    (root / "models" / "n.yaml").write_text(yaml.safe_dump(model("n", "gpuless"), sort_keys=False))
    return root


def test_a_warm_run_answers_as_a_cold_one_after_each_edit(tmp_path: Path) -> None:
    root = with_model_n(fleet(tmp_path / "r"))
    cache = str(tmp_path / "cache")
    before = answers(root, "")
    assert answers(root, cache) == before  # fills the caches
    assert answers(root, cache) == before  # answers from them
    for what, path, old, new in EDITS:
        edit(root / path, old, new)
        cold = answers(root, "")
        assert cold != before, what  # the edit changes some answer
        assert answers(root, cache) == cold, what
        before = cold


def test_an_unresolved_reference_and_its_repair(tmp_path: Path) -> None:
    """A workload whose model is not declared has no effective placement (rule unknown-model
    reports it); declared again, it is placed as a cold run places it."""
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    answers(root, cache)
    edit(root / "models" / "all.yaml", "name: m\n", "name: gone\n")
    assert "[unknown-model]" in invoke(root, "", "validate")[1]
    assert answers(root, cache) == answers(root, "")
    edit(root / "models" / "all.yaml", "name: gone\n", "name: m\n")
    assert answers(root, cache) == answers(root, "")


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The effective placements made (workload, environment)."""
    out: list[tuple[str, str]] = []
    real = effective._effective

    def spy(repo: object, w: object, env: str) -> object:
        out.append((w.name, env))  # type: ignore[attr-defined]
        return real(repo, w, env)  # type: ignore[arg-type]

    monkeypatch.setattr(effective, "_effective", spy)
    return out


def test_a_warm_validate_makes_the_placements_of_the_changed_file_only(
        tmp_path: Path, made: list[tuple[str, str]]) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    invoke(root, cache, "validate")
    invoke(root, cache, "plan", "--env", "dev")
    # a document is known by its file's bytes: each workload of the edited file is placed again
    for path, old, new, names in (("all.yaml", "cpu: 100m", "cpu: 200m", "abcdeh"), ("g.yaml", "name: g\n", "name: g2\n", ["g2"])):
        edit(root / "workloads" / path, old, new)
        cold = invoke(root, "", "validate")
        made.clear()
        assert invoke(root, cache, "validate") == cold
        assert sorted(set(made)) == [(name, env) for name in names for env in ("dev", "production")], (path, made)


def test_a_later_decision_is_the_decision_of_its_planner(tmp_path: Path) -> None:
    root = fleet(tmp_path / "r")
    repo = read_repo(root)
    inv, _ = load_inventory(root, folder="clusters/east")
    assert repo is not None and inv is not None
    planner = Planner(repo, inv)
    w = next(w for w in repo.workloads if w.name == "e")
    made = planner.decide(w, "dev")
    assert made is not None and made.clusters
    later = LaterDecision.of(planner, w, "dev", made.name, made.key)
    placed = later.placed(made.clusters, made.feasible, made.advisory)
    assert "effective" not in vars(later) and "effective" not in vars(placed)  # not made yet
    assert isinstance(placed, LaterDecision)
    assert placed == made and made == placed  # (made on reading)
    assert isinstance(placed.effective, EffectivePlacement) and placed.effective is made.effective
    assert "effective" not in vars(later)
    assert later != made and later.clusters == 0 and later.effective is made.effective
    assert type(placed.placed(0, 0, False)) is Decision  # its placement made: an ordinary decision
