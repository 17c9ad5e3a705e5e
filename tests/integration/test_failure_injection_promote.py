"""Failure injection for `i4qew promote` against real git on 127.0.0.1 (issue 7, part 3):
a promotion killed between its commit and its push, and promotions racing another
writer of the target branch. The target is always the old or the new state; the
next run ends at the new state with one linear commit, never a force."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew.gitops.land import Outcome
from i4qew.gitops.promote import PromoteRequest, promote
from i4qew.gitops.publish import PublishRequest, publish
from tests.support.failure_injection import (
    assert_forward_only,
    assert_new_state,
    assert_render_of,
    kill_before_push,
)
from tests.support.git_remote import Site, clean_environ, edit, git, site, trailers

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def publish_dev(repo: Path) -> str:
    publish(PublishRequest(root=repo, env="dev", backoff=0.01), environ=clean_environ())
    return git(repo, "rev-parse", "HEAD")


def promote_prod(repo: Path, **kw: object) -> Outcome:
    hook = kw.pop("before_push", None)
    environ = clean_environ(**kw.pop("env", {}))  # type: ignore[arg-type]
    request = PromoteRequest(root=repo, source_env="dev", target_env="production", backoff=0.01)
    return promote(request, environ=environ, before_push=hook)  # type: ignore[arg-type]


def test_a_promotion_killed_between_commit_and_push_is_recovered_by_the_next(s: Site) -> None:
    publish_dev(s.work)
    promote_prod(s.work)
    old = s.branch("production")
    tested = edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    publish_dev(s.work)
    edit(s.work, "workloads/sktime.yaml", "sktime:1.3.0", "sktime:1.4.0", "sktime 1.4.0 (untested)")
    killed = kill_before_push(s.work, ["promote", "--from", "dev", "--to", "production"], s.tmp / "gate")
    assert s.branch("production") == old  # the old state
    assert git(s.work, "rev-parse", "refs/heads/production") == killed.commit  # stranded locally, ahead
    done = s.cli("promote", "--from", "dev", "--to", "production")
    assert done.returncode == 0, done.stderr
    new = assert_new_state(s.bare, s.work, old, s.tmp, branch="production", env="production", source=tested)
    assert trailers(s.bare, new)["Promoted-From"] == s.branch("acm-dev")
    assert git(s.work, "rev-parse", "refs/heads/production") == new


def test_a_promotion_racing_a_newer_promotion_stands_back(s: Site) -> None:
    """While our promotion of dev's S1 pushes, another pipeline publishes S2 to dev and
    promotes it: our push loses, the retry sees a newer source on production and leaves it."""
    publish_dev(s.work)
    promote_prod(s.work)
    old = s.branch("production")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    publish_dev(s.work)
    rival = s.clone("rival")
    newer = edit(rival, "workloads/vibration.yaml", "vibration-anomaly:3.1.0", "vibration-anomaly:3.2.0", "v 3.2")

    def rival_ships(attempt: int, sha: str) -> None:
        if attempt == 1:
            publish_dev(rival)
            assert promote_prod(rival).status == "promoted"

    outcome = promote_prod(s.work, before_push=rival_ships)
    assert outcome.status == "late", outcome.lines
    assert any("retrying" in line for line in outcome.lines)
    head = s.branch("production") or ""
    assert trailers(s.bare, head)["Source-Commit"] == newer
    assert git(s.bare, "rev-parse", f"{head}^") == old
    assert_render_of(s.bare, head, rival, newer, "production", s.tmp)  # production's waves pinned
    assert_forward_only(s.bare, "production")
    assert promote_prod(s.work).status in ("late", "unchanged")  # and so does the next run
    assert s.branch("production") == head


def test_a_promotion_racing_the_same_promotion_makes_no_second_commit(s: Site) -> None:
    publish_dev(s.work)
    promote_prod(s.work)
    old = s.branch("production")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    source = publish_dev(s.work)
    twin = s.clone("twin")

    def twin_ships(attempt: int, sha: str) -> None:
        if attempt == 1:  # another date: not by chance the very commit we are about to push
            dated = {"GIT_AUTHOR_DATE": "2001-02-03T04:05:06Z", "GIT_COMMITTER_DATE": "2001-02-03T04:05:06Z"}
            assert promote_prod(twin, env=dated).status == "promoted"

    outcome = promote_prod(s.work, before_push=twin_ships)
    assert outcome.status == "unchanged", outcome.lines
    assert any("retrying" in line for line in outcome.lines)
    assert_new_state(s.bare, s.work, old, s.tmp, branch="production", env="production", source=source)
