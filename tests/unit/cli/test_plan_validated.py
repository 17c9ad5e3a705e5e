"""`plan` after `validate` of the same files, with the same persistent cache, takes
validate's answer (cli/validate_answer.py) instead of judging the repository again, and
says exactly what a plan without the cache says: the yamllint findings validate reports
are not a plan's; files validate did not judge are judged again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.judged import judged_runs
from tests.unit.placement.test_decided_cache import edit, fleet, invoke

PLANS = [("plan", "--env", "dev"), ("plan", "--env", "production", "--format", "json"),
         ("plan", "--env", "production", "--now", "2026-12-01T10:30:00Z")]
# six findings, warnings only, that validate reports and plan does not (it never lints)
YAMLLINT = "extends: default\nrules:\n  document-start: {level: warning}\n"


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders validate_repo judged (not answered from the cache)."""
    return judged_runs(monkeypatch)


def plans(root: Path, cache: str) -> list[tuple[int, str]]:
    return [invoke(root, cache, *command) for command in PLANS]


def test_plan_after_validate_takes_its_answer_and_says_the_same(tmp_path: Path, judged: list[Path]) -> None:
    root = fleet(tmp_path / "r")
    (root / ".yamllint").write_text(YAMLLINT, "utf-8")
    # a warning of validate_repo's own, which the plan lists
    edit(root / "i4qew.yaml", "gitlab.example.com", "gitlab.example.invalid")
    cache = str(tmp_path / "cache")
    cold = plans(root, "")
    assert "[git-url-placeholder]" in cold[0][1] and not any("[yamllint]" in out for _, out in cold)
    assert "[yamllint]" in invoke(root, cache, "validate")[1]
    judged.clear()
    same = plans(root, cache) == cold
    assert same and judged == []
    # another folder with the same files (a CI job's clone) takes it too
    clone = tmp_path / "clone"
    shutil.copytree(root, clone)
    same = plans(clone, cache) == cold
    assert same and judged == []
    # files validate did not judge: judged here, as a cold plan judges them
    edit(root / "workloads" / "all.yaml", "placement: two", "placement: gpuless")
    cold = plans(root, "")
    judged.clear()
    same = plans(root, cache) == cold
    assert same and len(judged) == len(PLANS)
    invoke(root, cache, "validate")
    judged.clear()
    same = plans(root, cache) == cold
    assert same and judged == []
