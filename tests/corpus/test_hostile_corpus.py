"""The adversarial corpus through `i4qew validate` and `i4qew render --env dev`, as a user runs them.

Every entry of tests/support/hostile/corpus.py either gets problem lines (PATH:LINE:COL: severity
[rule] message) carrying its expected rule ids and exit 1 from both commands, with nothing
written — or is accepted, and then its charts pass `helm lint --strict` (Helm 4), render with
`helm template`, and its hub resources fit the ACM/OCM CRDs. No traceback, no hang (each
command is bounded by tests/support/hostile/runner.TIMEOUT), no problem line longer than MAX_LINE.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.support.crds import CRDS, crd_errors
from tests.support.hostile.corpus import CORPUS, MB, Entry
from tests.support.hostile.repo import write_repo
from tests.support.hostile.runner import (
    helm_lint,
    helm_template,
    problem_lines,
    run_measured,
    validate_and_render,
)

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

RULE = re.compile(r"^[^:]+:\d+:\d+: (?:error|warning) \[([a-z0-9-]+)\] ")


def rules_of(lines: list[str]) -> set[str]:
    return {m.group(1) for m in map(RULE.match, lines) if m}


def check_rendered(out: Path) -> None:
    """The safe-output half of the contract: lint, template, CRDs."""
    charts = sorted((out / "charts").iterdir())
    assert charts, "an accepted repository rendered no chart"
    helm_lint(charts)
    for chart in charts:
        kinds = {d["kind"] for d in helm_template(chart)}
        assert {"Deployment", "ServiceAccount"} <= kinds
    errors: list[str] = []
    for f in sorted((out / "hub").rglob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text("utf-8")):
            if doc and (doc["apiVersion"], doc["kind"]) in CRDS:
                errors.extend(crd_errors(doc))
    assert errors == []


@pytest.mark.parametrize("entry", CORPUS, ids=[e.id for e in CORPUS])
def test_corpus_entry(entry: Entry, tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo")
    entry.build(root)
    found, _ = validate_and_render(root, tmp_path / "out")
    if entry.rules:
        assert found is not None, f"{entry.id} was accepted"
        assert entry.rules <= rules_of(found), found
    else:
        assert found is None
        check_rendered(tmp_path / "out")


SPARSE = [e for e in CORPUS if e.name.startswith("sparse-100mb")]


@pytest.mark.parametrize("entry", SPARSE, ids=[e.id for e in SPARSE])
def test_a_100_mb_file_is_refused_unread(entry: Entry, tmp_path: Path) -> None:
    """Refused by its size before a byte is read: the process never holds it in memory."""
    root = write_repo(tmp_path / "repo")
    entry.build(root)
    done, peak_kib = run_measured("validate", "-C", str(root), timeout=10)
    assert "file-too-large" in "".join(problem_lines(done, "validate")) or "config-file" in done.stdout
    assert peak_kib * 1024 < 100 * MB, f"peak memory {peak_kib} KiB: the file was read"


def test_the_corpus_covers_every_category() -> None:
    counts: dict[str, int] = {}
    for e in CORPUS:
        counts[e.category] = counts.get(e.category, 0) + 1
    assert set(counts) == {"alias", "size", "nesting", "encoding", "keys", "confusable", "path"}
    assert len({e.id for e in CORPUS}) == len(CORPUS)


