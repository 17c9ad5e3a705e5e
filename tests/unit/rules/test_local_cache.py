"""The rules that judge each declaration on its own (`@local`, rules/local_cache.py): the
contract itself, on every corpus repository (a local rule's problems are the union of its
problems on each declaration file alone, each reported at that file), and the cache as a
user meets it: after a change, only the changed files are judged, and the answer is a
cold run's, also when i4qew.yaml (which every rule may read) changes under unchanged
workloads."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from i4qew import memo, store
from i4qew.load.files import REPOSITORY_FILE
from i4qew.model.repo import Repo
from i4qew.rules import local_cache
from i4qew.rules.catalog import all_rules
from i4qew.validation import validate_repo
from tests.support.hubs import two_hubs
from tests.support.tools import ROOT
from tests.unit.cli.test_cache import invoke

CASES = ROOT / "tests" / "corpus"
REPOS = [ROOT, ROOT / "docs" / "examples" / "two-hubs",
         *sorted(p for p in (CASES / "positive").iterdir() if p.is_dir()),
         *sorted(p for p in (CASES / "negative").iterdir() if p.is_dir() and (p / REPOSITORY_FILE).is_file())]
LOCAL = [r for r in all_rules().values() if r.local]


def test_the_local_rules_are_the_per_declaration_ones() -> None:
    assert {"plaintext-secret", "mount-path", "image-tag", "pod-security"} <= {r.id for r in LOCAL}
    assert not {"duplicate-workload", "unknown-policy", "model-staging-name", "ingress-conflict",
                "object-size"} & {r.id for r in LOCAL}


def cold_repo(root: Path, monkeypatch: pytest.MonkeyPatch) -> Repo | None:
    """The model of `root` built with the persistent cache off and the process memos cleared
    before and after (a rule then judges exactly what it is handed); None when none builds."""
    monkeypatch.setenv(store.ENV, "")
    memo.clear()
    repo = validate_repo(root).repo
    memo.clear()
    return repo


@pytest.mark.parametrize("root", REPOS, ids=[p.name for p in REPOS])
def test_a_local_rule_judges_each_file_alone(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `@local` promises: run over the repository restricted to any one declaration
    file (settings and config files whole), a local rule reports exactly the problems it
    reports at that file over the whole repository; what it reports elsewhere does not
    depend on the declarations."""
    repo = cold_repo(root, monkeypatch)
    if repo is None:
        return
    paths = sorted({d.path for d in repo.documents()} - {REPOSITORY_FILE})
    for rule in LOCAL:
        assert rule.check is not None
        whole = Counter(rule.check(repo))
        alone = {path: Counter(rule.check(local_cache._restricted(repo, [path]))) for path in paths}
        empty = Counter(rule.check(local_cache._restricted(repo, [])))
        for path in paths:
            at = Counter({p: n for p, n in alone[path].items() if p.path == path})
            assert at == Counter({p: n for p, n in whole.items() if p.path == path}), (rule.id, path)
            assert alone[path] - at == empty, (rule.id, path)  # elsewhere: the settings' and files' own
        assert Counter({p: n for p, n in whole.items() if p.path not in paths}) == empty, rule.id


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The declaration files each run's local rules judged."""
    runs: list[list[str]] = []
    real = local_cache._restricted

    def recording(repo: Repo, paths: object) -> Repo:
        got = real(repo, paths)  # type: ignore[arg-type]
        runs.append(sorted({d.path for d in got.documents()} - {REPOSITORY_FILE}))
        return got

    monkeypatch.setattr(local_cache, "_restricted", recording)
    return runs


def test_after_a_change_only_the_changed_file_is_judged(tmp_path: Path, judged: list[list[str]]) -> None:
    root, cache = two_hubs(tmp_path / "repo"), tmp_path / "cache"
    cold = invoke(root, ("validate",), "")
    assert invoke(root, ("validate",), str(cache)) == cold
    assert judged[-1] == ["policies/edge.yaml", "workloads/anomaly.yaml", "workloads/dashboard.yaml"]
    anomaly = root / "workloads" / "anomaly.yaml"
    anomaly.write_text(anomaly.read_text("utf-8").replace("anomaly:1.4.2", "anomaly:latest") + "  replicas: -2\n")
    cold = invoke(root, ("validate",), "")
    assert "[replicas]" in cold[1] and "[image-tag]" in cold[1]
    assert invoke(root, ("validate",), str(cache)) == cold
    assert judged[-1] == ["workloads/anomaly.yaml"]


def test_a_settings_change_judges_every_file_again(tmp_path: Path, judged: list[list[str]]) -> None:
    """image-tag reads the environments of i4qew.yaml: a workload on :latest is a warning
    until an environment it deploys to is promoted into, then an error."""
    root, cache = two_hubs(tmp_path / "repo"), tmp_path / "cache"
    anomaly = root / "workloads" / "anomaly.yaml"
    anomaly.write_text(anomaly.read_text("utf-8").replace("anomaly:1.4.2", "anomaly:latest"))
    settings = root / REPOSITORY_FILE
    settings.write_text(settings.read_text("utf-8").replace("      promotesFrom: dev\n", ""))
    cold = invoke(root, ("validate",), "")
    assert cold[0] == 0 and "warning [image-tag]" in cold[1]
    assert invoke(root, ("validate",), str(cache)) == cold
    shutil.copy(ROOT / "docs" / "examples" / "two-hubs" / REPOSITORY_FILE, settings)
    cold = invoke(root, ("validate",), "")
    assert cold[0] == 1 and "error [image-tag]" in cold[1]
    assert invoke(root, ("validate",), str(cache)) == cold
    assert len(judged[-1]) == 3


def test_a_declaration_another_file_keeps_out_of_the_model_is_not_judged(tmp_path: Path) -> None:
    """Two policies of one name: the model holds the first file's. A file's entry names the
    documents of it the model holds, so the second file's old problems do not come back."""
    root, cache = two_hubs(tmp_path / "repo"), tmp_path / "cache"
    edge = root / "policies" / "edge.yaml"
    edge.write_text(edge.read_text("utf-8").replace('  selector: "role=line"\n',
                                                    '  selector: "role=line"\n  tolerations: [{operator: Equal}]\n'))
    cold = invoke(root, ("validate",), "")
    assert "policies/edge.yaml:7:17: error [toleration]" in cold[1]
    assert invoke(root, ("validate",), str(cache)) == cold
    (root / "policies" / "0-lines.yaml").write_text(
        "apiVersion: edge.i4q.eu/v1alpha1\nkind: PlacementPolicy\nmetadata:\n  name: lines\nspec:\n"
        '  selector: "role=line"\n')
    cold = invoke(root, ("validate",), "")
    assert "[toleration]" not in cold[1]
    assert invoke(root, ("validate",), str(cache)) == cold
