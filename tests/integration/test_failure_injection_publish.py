"""Failure injection for `i4qew publish` against real git on 127.0.0.1 (issue 7, part 3).

Each scenario breaks one run at one moment, then checks that the environment
branch on the remote is exactly the old or the new state, and that the next
run, with no manual step, ends at the new state: one commit whose tree git
computes from a fresh `i4qew render`, linear history, every remote update a
fast-forward (the remote's reflog).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew.gitops.git import GitFailed
from i4qew.gitops.land import Outcome
from i4qew.gitops.publish import PublishRequest, publish
from i4qew.problems import UserError
from tests.support.failure_injection import (
    CuttingProxy,
    assert_forward_only,
    assert_intact,
    assert_new_state,
    faulty_http_git,
    is_ancestor,
    kill_before_push,
    one_error_line,
    ref_updates,
    render_tree_id,
    start_cli,
    tree_of,
)
from tests.support.git_remote import Site, clean_environ, edit, git, make_bare, site, workload_repo

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

TOKEN = "glpat-FailureInjection-7b3c9e"  # a test token
BUMP = ("workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def run(repo: Path, **kw: object) -> Outcome:
    hook = kw.pop("before_push", None)
    environ = kw.pop("environ", None) or clean_environ()
    return publish(PublishRequest(root=repo, env="dev", backoff=0.01, **kw),  # type: ignore[arg-type]
                   environ=environ, before_push=hook)  # type: ignore[arg-type]


def test_a_publish_killed_between_commit_and_push_is_recovered_by_the_next(s: Site) -> None:
    # the branch does not exist yet: the killed run leaves only a local orphan
    killed = kill_before_push(s.work, ["publish", "--env", "dev"], s.tmp / "gate-1")
    assert s.branch("acm-dev") is None
    assert git(s.work, "rev-parse", "refs/heads/acm-dev") == killed.commit
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0, done.stderr
    first = assert_new_state(s.bare, s.work, None, s.tmp)
    assert git(s.work, "rev-parse", "refs/heads/acm-dev") == first  # the stranded local commit replaced
    # the branch exists: the killed run's commit sits on the local branch, ahead of the remote
    edit(s.work, *BUMP)
    killed = kill_before_push(s.work, ["publish", "--env", "dev"], s.tmp / "gate-2")
    assert s.branch("acm-dev") == first
    assert git(s.work, "rev-parse", "refs/heads/acm-dev^") == first
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0, done.stderr
    second = assert_new_state(s.bare, s.work, first, s.tmp)
    # the remote saw two updates: the creation, then one fast-forward to the new state
    assert ref_updates(s.bare, "acm-dev") == [(first, second)]
    assert git(s.work, "rev-parse", "refs/heads/acm-dev") == second


def test_a_git_daemon_dying_inside_the_pack_exits_4_and_the_next_run_lands(s: Site) -> None:
    run(s.work)
    old = s.branch("acm-dev")
    proxy = CuttingProxy(s.daemon.port)
    git(s.work, "remote", "set-url", "origin", proxy.url("workloads.git"))
    edit(s.work, *BUMP, push=False)
    proxy.armed = True
    done = s.cli("publish", "--env", "dev")
    assert proxy.cuts == 1
    assert done.returncode == 4, done.stdout + done.stderr
    line = one_error_line(done.stderr)
    assert "cannot reach the git remote origin" in line and "while pushing acm-dev" in line, line
    assert line.endswith("whether acm-dev was updated is unknown: run it again (a push lands whole or not at all)")
    assert s.branch("acm-dev") == old  # the old state: no half ref, no half pack
    assert_intact(s.bare)
    proxy.revive()
    git(s.work, "push", "-q", "origin", "HEAD:main")
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0, done.stderr
    assert_new_state(s.bare, s.work, old, s.tmp)


@pytest.mark.parametrize(("mode", "die", "code"), [
    ("cut", False, 4),  # hung up mid-pack, still up: unchanged, exit 4
    ("cut", True, 4),  # hung up mid-pack and went down
    ("lost-reply", False, 0),  # applied the push, the reply was lost: settled by reading the head
    ("lost-reply", True, 4),  # applied the push and went down before anyone could tell
])
def test_an_http_remote_failing_mid_push(tmp_path: Path, mode: str, die: bool, code: int) -> None:
    env = {"I4QEW_PUSH_TOKEN": TOKEN}
    with faulty_http_git(tmp_path / "srv", "oauth2", TOKEN) as (server, faults):
        bare = server.bare("workloads.git")
        url = server.url("workloads.git")
        work = workload_repo(tmp_path / "work", url.replace("http://", f"http://oauth2:{TOKEN}@"))
        git(work, "remote", "set-url", "origin", url)
        run(work, environ=clean_environ(**env))
        old = git(bare, "rev-parse", "acm-dev")
        edit(work, *BUMP, push=False)
        git(work, "push", "-q", url.replace("http://", f"http://oauth2:{TOKEN}@"), "HEAD:main")
        faults.mode, faults.die = mode, die
        proc = start_cli(work, ["publish", "--env", "dev"], env)
        out, err = proc.communicate(timeout=120)
        assert faults.faults_made == 1
        assert proc.returncode == code, out + err
        now = git(bare, "rev-parse", "acm-dev")
        if mode == "cut":
            assert now == old
        else:
            assert now != old and git(bare, "rev-parse", f"{now}^") == old  # the whole new state
        if code == 4:
            line = one_error_line(err)
            assert "cannot reach the git remote origin" in line and "while pushing acm-dev" in line, line
            assert ("whether acm-dev was updated is unknown" in line) == die, line
            assert TOKEN not in out + err
        else:
            assert f"published acm-dev {now[:12]}" in out
        assert_intact(bare)
        faults.down = False
        again = run(work, environ=clean_environ(**env))
        assert again.status == ("unchanged" if mode == "lost-reply" else "published")
        assert_new_state(bare, work, old, tmp_path)


@pytest.mark.parametrize("server_then", ["cut", "lost-reply"])
def test_a_publish_killed_during_its_push(tmp_path: Path, server_then: str) -> None:
    """SIGKILL while the remote holds our pack; the remote then drops it, or applies it."""
    env = {"I4QEW_PUSH_TOKEN": TOKEN}
    with faulty_http_git(tmp_path / "srv", "oauth2", TOKEN) as (server, faults):
        bare = server.bare("workloads.git")
        work = workload_repo(tmp_path / "work", str(make_bare(tmp_path / "seed.git")))
        git(work, "remote", "set-url", "origin", server.url("workloads.git"))
        run(work, environ=clean_environ(**env))
        old = git(bare, "rev-parse", "acm-dev")
        edit(work, *BUMP, push=False)
        faults.mode, faults.after_hold = "hold", server_then
        proc = start_cli(work, ["publish", "--env", "dev"], env)
        assert faults.held.wait(60), "the push never arrived"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        faults.release.set()  # the server goes on with what it holds, its client gone
        assert faults.done.wait(60)
        now = git(bare, "rev-parse", "acm-dev")
        assert now == old if server_then == "cut" else git(bare, "rev-parse", f"{now}^") == old  # old or new
        assert_intact(bare)
        again = run(work, environ=clean_environ(**env))
        assert again.status == ("published" if server_then == "cut" else "unchanged"), again.lines
        assert_new_state(bare, work, old, tmp_path)


def _force(s: Site, name: str, commit: str) -> None:
    """Someone else rewrites acm-dev on the remote to `commit`."""
    other = s.tmp / name
    if not other.exists():
        s.clone(name)
    git(other, "fetch", "-q", "origin", "acm-dev")
    git(other, "push", "-q", "--force", "origin", f"{commit}:refs/heads/acm-dev")


def test_a_rewind_force_pushed_during_a_publish_is_not_undone(s: Site) -> None:
    """Someone rolls acm-dev back (say, to drop a commit) while we push: our commit,
    built on the dropped one, must not bring it back; it is rebuilt on the new head."""
    run(s.work)
    h0 = s.branch("acm-dev") or ""
    edit(s.work, "workloads/vibration.yaml", "vibration-anomaly:3.1.0", "vibration-anomaly:3.2.0", "v 3.2")
    run(s.work)
    h1 = s.branch("acm-dev") or ""
    edit(s.work, *BUMP)

    def roll_back(attempt: int, sha: str) -> None:
        if attempt == 1:
            _force(s, "rival", h0)

    outcome = run(s.work, before_push=roll_back)
    assert outcome.status == "published"
    assert any("moved on" in line and "retrying" in line for line in outcome.lines), outcome.lines
    new = s.branch("acm-dev") or ""
    assert not is_ancestor(s.bare, h1, new), "the commit someone removed came back"
    assert git(s.bare, "rev-parse", f"{new}^") == h0
    assert tree_of(s.bare, new) == render_tree_id(s.work, git(s.work, "rev-parse", "HEAD"), "dev", s.tmp)
    assert_forward_only(s.bare, "acm-dev", except_=[(h1, h0)])


def test_a_foreign_history_force_pushed_during_a_publish_is_refused_as_drift(s: Site) -> None:
    run(s.work)
    h0 = s.branch("acm-dev") or ""
    rival = s.clone("rival")
    git(rival, "checkout", "-q", "--orphan", "handmade")
    git(rival, "rm", "-q", "-r", "--cached", ".")
    (rival / "hub.yaml").write_text("kind: ConfigMap\n")
    git(rival, "add", "hub.yaml")
    git(rival, "commit", "-q", "-m", "hand-made environment")
    foreign = git(rival, "rev-parse", "HEAD")
    edit(s.work, *BUMP)

    def replace_history(attempt: int, sha: str) -> None:
        if attempt == 1:
            git(rival, "push", "-q", "--force", "origin", f"{foreign}:refs/heads/acm-dev")

    with pytest.raises(UserError) as refused:
        run(s.work, before_push=replace_history)
    assert foreign[:12] in refused.value.text and "no commit made by i4qew" in refused.value.text
    assert s.branch("acm-dev") == foreign  # never forced back
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 1
    assert foreign[:12] in done.stderr and "--overwrite-drift" in done.stderr and "Traceback" not in done.stderr
    done = s.cli("publish", "--env", "dev", "--overwrite-drift")
    assert done.returncode == 0, done.stderr
    new = s.branch("acm-dev") or ""
    assert git(s.bare, "rev-parse", f"{new}^") == foreign  # on top of it: history kept, no force
    assert tree_of(s.bare, new) == render_tree_id(s.work, git(s.work, "rev-parse", "HEAD"), "dev", s.tmp)
    assert_forward_only(s.bare, "acm-dev", except_=[(h0, foreign)])


def test_a_stale_lock_on_the_local_branch_does_not_block_a_publish(s: Site) -> None:
    """A git killed while moving the local branch leaves refs/heads/<branch>.lock behind."""
    run(s.work)
    old = s.branch("acm-dev")
    edit(s.work, *BUMP)
    (s.work / ".git" / "refs" / "heads" / "acm-dev.lock").write_text("")
    outcome = run(s.work)
    assert outcome.status == "published", outcome.lines
    assert any("local branch acm-dev" in line for line in outcome.lines), outcome.lines
    assert_new_state(s.bare, s.work, old, s.tmp)
    # with --no-push the local branch is the result: a clear failure, not "kept moving"
    edit(s.work, "workloads/sktime.yaml", "sktime:1.3.0", "sktime:1.4.0", "sktime 1.4.0")
    with pytest.raises(GitFailed, match=r"acm-dev\.lock"):
        run(s.work, push=False)
