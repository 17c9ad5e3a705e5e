"""model-staging-name reads which PVC models are staged beside the workloads without
building the stagings (rules/models.py _staged_beside_workloads): the same (model,
namespace) pairs, in the same order, as placement/staging.py's stagings outside the
models namespace, on every corpus repository and this one."""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew import memo, store
from i4qew.placement.staging import stagings
from i4qew.rules.models import _staged_beside_workloads
from i4qew.validation import read_repo
from tests.support.tools import ROOT

CASES = ROOT / "tests" / "corpus"
REPOS = [ROOT, ROOT / "docs" / "examples" / "two-hubs",
         *sorted(p for p in (CASES / "positive").iterdir() if p.is_dir()),
         *sorted(p for p in (CASES / "negative").iterdir() if p.is_dir())]


@pytest.mark.parametrize("root", REPOS, ids=[p.name for p in REPOS])
def test_the_pvc_stagings_are_those_stagings_builds(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(store.ENV, "")
    memo.clear()
    repo = read_repo(root)
    memo.clear()
    if repo is None:
        return
    for env in repo.repository.environments:
        built = [(s.model.name, s.namespace) for s in stagings(repo, env.name)
                 if s.namespace != repo.repository.models.namespace]
        assert [(m.name, ns) for m, ns in _staged_beside_workloads(repo, env.name)] == built


def test_some_repository_stages_a_model_beside_its_workloads() -> None:
    """The guard of the test above: it compares something."""
    found = []
    for root in REPOS:
        repo = read_repo(root)
        memo.clear()
        if repo is not None:
            found += [pair for env in repo.repository.environments for pair in _staged_beside_workloads(repo, env.name)]
    assert found
