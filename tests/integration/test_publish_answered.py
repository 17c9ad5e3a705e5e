"""`publish` after `validate` of the same files, with the same persistent cache (the default
branch's pipeline: the publish job needs the validate job, ci/README.md "Caching"): it takes
validate's answer instead of judging the repository again, from another clone of the same
commit too (CI jobs may clone to different paths), and says exactly what a publish without
the cache says; files validate did not judge are judged again (real git, 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew import memo, store
from i4qew.cli import publish as publish_cli
from i4qew.gitops.land import Outcome
from i4qew.gitops.publish import PublishRequest, publish
from i4qew.problems import UserError
from tests.support.git_remote import Site, clean_environ, edit, git, site
from tests.support.hubs import push_two_hubs
from tests.support.judged import judged_runs
from tests.unit.cli.test_cache import invoke

pytestmark = pytest.mark.slow

# the repository's yamllint config: six findings, warnings only, that validate reports and
# publish does not (it never lints)
YAMLLINT = "extends: default\nrules:\n  document-start: {level: warning}\n"


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders validate_repo judged (not answered from the cache)."""
    return judged_runs(monkeypatch)


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as found:
        push_two_hubs(found.work)
        (found.work / ".yamllint").write_text(YAMLLINT, "utf-8")
        git(found.work, "add", ".yamllint")
        edit(found.work, "i4qew.yaml", "gitlab.example.com", "gitlab.example.invalid", "a style config, a warning")
        yield found


def _publish(root: Path, cache: str, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """publish --dry-run as `i4qew publish` runs it, in a fresh process's state."""
    monkeypatch.setenv(store.ENV, cache)
    memo.clear()
    try:
        return publish(PublishRequest(root=root, env="dev", dry_run=True), environ=clean_environ(),
                       render=publish_cli._render)
    finally:
        memo.clear()


def _said(done: Outcome) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return done.status, tuple(p.format() for p in done.problems), done.lines


def test_publish_after_validate_takes_its_answer_and_says_the_same(s: Site, judged: list[Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cold = _said(_publish(s.work, "", monkeypatch))
    assert cold[0] == "dry-run" and any("[git-url-placeholder]" in p for p in cold[1])
    assert not any("[yamllint]" in p for p in cold[1])
    assert len(judged) == 1
    cache = str(s.tmp / "cache")
    code, out = invoke(s.work, ("validate",), cache)
    assert code == 0 and "[yamllint]" in out and "[git-url-placeholder]" in out
    judged.clear()
    # the publish job's clone: the same commit, another folder
    job = s.clone("publish-job")
    assert _said(_publish(job, cache, monkeypatch)) == cold
    assert judged == []  # validate's answer, nothing judged again
    assert _said(_publish(s.work, cache, monkeypatch)) == cold
    assert judged == []


def test_files_validate_did_not_judge_are_judged_again(s: Site, judged: list[Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cache = str(s.tmp / "cache")
    assert invoke(s.work, ("validate",), cache)[0] == 0
    job = s.clone("publish-job")
    edit(job, "workloads/anomaly.yaml", "cpu: 500m", "cpu: -500m", "a negative request", push=False)
    judged.clear()
    with pytest.raises(UserError) as refused:
        _publish(job, cache, monkeypatch)
    assert judged == [job]
    problems = [p.format() for p in refused.value.problems]
    assert any(p.startswith("workloads/anomaly.yaml:") and ": error [" in p for p in problems), problems
