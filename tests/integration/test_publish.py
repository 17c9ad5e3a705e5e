"""`i4qew publish` against real git: the remote is a bare repo served by `git daemon` on 127.0.0.1."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew.gitops.land import Outcome, RetriesExhausted
from i4qew.gitops.publish import PublishRequest, publish
from i4qew.problems import UserError
from tests.support.git_remote import Site, clean_environ, edit, git, head, race, site, trailers

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def run(repo: Path, env: str = "dev", **kw: object) -> Outcome:
    """Publish through the Python API (what the CLI calls), with a clean environment."""
    hook = kw.pop("before_push", None)
    environ = kw.pop("environ", None) or clean_environ()
    return publish(PublishRequest(root=repo, env=env, backoff=0.01, **kw),  # type: ignore[arg-type]
                   environ=environ, before_push=hook)  # type: ignore[arg-type]


def changed_paths(bare: Path, rev: str) -> list[str]:
    return git(bare, "diff", "--name-only", f"{rev}~1", rev).splitlines()


def ancestry_is_forward_only(bare: Path, branch: str) -> None:
    """Every update of `branch` recorded in the remote's reflog was a fast-forward."""
    values = git(bare, "reflog", "show", "--format=%H", f"refs/heads/{branch}").splitlines()[::-1]
    assert len(values) >= 2, "the remote kept no reflog"
    for older, newer in itertools.pairwise(values):
        assert _is_ancestor(bare, older, newer), f"{branch} moved from {older} to {newer}, not a fast-forward"


def _is_ancestor(repo: Path, older: str, newer: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], cwd=repo,
                          check=False).returncode == 0


def blob(repo: Path, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "cat-file", "blob", f"{rev}:{path}"], cwd=repo, capture_output=True,
                          check=True).stdout


def test_first_publish_creates_the_branch_without_touching_the_worktree(s: Site) -> None:
    index_before = hashlib.sha256((s.work / ".git" / "index").read_bytes()).hexdigest()
    head_before = git(s.work, "rev-parse", "HEAD")
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0, done.stderr
    branch = s.branch("acm-dev")
    assert branch is not None
    assert git(s.bare, "rev-list", "--count", branch) == "1"  # an orphan: one commit, no parent
    t = trailers(s.bare, branch)
    assert t["Source-Commit"] == head_before
    assert t["I4qew-Version"]
    subject = git(s.bare, "log", "-1", "--format=%s", branch)
    assert subject == f"i4qew: publish dev from {head_before[:12]}"
    # the branch holds what `i4qew render` writes for the same commit
    out = s.tmp / "rendered"
    rendered = s.cli("render", "--env", "dev", "-o", str(out))
    assert rendered.returncode == 0, rendered.stderr
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert s.files(branch) == on_disk
    for path in on_disk:
        assert blob(s.bare, branch, path) == (out / path).read_bytes(), path
    # the user's checkout, index and HEAD are as they were
    assert git(s.work, "rev-parse", "HEAD") == head_before
    assert git(s.work, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert hashlib.sha256((s.work / ".git" / "index").read_bytes()).hexdigest() == index_before
    assert git(s.work, "status", "--porcelain") == ""
    # the local branch follows what was pushed
    assert git(s.work, "rev-parse", "refs/heads/acm-dev") == branch


def test_publish_without_changes_makes_no_commit(s: Site) -> None:
    assert run(s.work).status == "published"
    first = s.branch("acm-dev")
    again = run(s.work)
    assert again.status == "unchanged"
    assert s.branch("acm-dev") == first
    # without trusting the recorded fingerprint: the same tree, so no commit
    assert run(s.work, rerender=True).status == "unchanged"
    # a source commit that touches nothing i4qew reads is no change either
    (s.work / "NOTES.md").write_text("notes\n")
    git(s.work, "add", "NOTES.md")
    git(s.work, "commit", "-q", "-m", "notes")
    assert run(s.work).status == "unchanged"
    assert s.branch("acm-dev") == first
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0 and "nothing to commit" in done.stdout


def test_a_changed_image_makes_one_commit_touching_only_that_workload(s: Site) -> None:
    run(s.work)
    before = s.branch("acm-dev")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    outcome = run(s.work)
    assert outcome.status == "published"
    after = s.branch("acm-dev") or ""
    assert git(s.bare, "rev-parse", f"{after}~1") == before
    assert git(s.bare, "rev-list", "--count", f"{before}..{after}") == "1"
    paths = changed_paths(s.bare, after)
    assert "charts/sktime/values.yaml" in paths
    # the README and the placement page state the source commit, so they change with every publish
    assert all(p.startswith("charts/sktime/") or p in ("README.md", "plan.html") for p in paths), paths
    assert "sktime:1.3.0" in s.show(after, "charts/sktime/values.yaml")
    body = git(s.bare, "log", "-1", "--format=%b", after)
    assert "Updated (1): sktime" in body


def test_a_late_pipeline_leaves_the_branch_as_it_is(s: Site) -> None:
    old = s.clone("old")  # checked out at the first commit, knows nothing newer
    old_head = git(old, "rev-parse", "HEAD")
    newer = edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    assert run(s.work).status == "published"
    branch = s.branch("acm-dev")
    late = run(old)
    assert late.status == "late"
    assert any("nothing to do" in line for line in late.lines)
    assert s.branch("acm-dev") == branch
    assert trailers(s.bare, "acm-dev")["Source-Commit"] == newer
    # the late clone had to fetch the newer source commit to know it is newer
    assert _is_ancestor(old, old_head, newer)
    done = s.cli("publish", "--env", "dev", repo=old)
    assert done.returncode == 0 and "late pipeline" in done.stdout


def test_two_racing_publishers_end_at_the_newest_source_with_linear_history(s: Site) -> None:
    run(s.work)
    first = s.clone("first")
    c1 = edit(first, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    second = s.clone("second")
    c2 = edit(second, "workloads/vibration.yaml", "vibration-anomaly:3.1.0", "vibration-anomaly:3.2.0", "v 3.2")
    assert _is_ancestor(second, c1, c2)
    # both commit, then both push at the same moment: one of them must lose the race
    outcomes = race({name: lambda hook, repo=repo: run(repo, before_push=hook)
                     for name, repo in (("first", first), ("second", second))})
    statuses = {}
    for name, got in outcomes.items():
        assert isinstance(got, Outcome), f"{name} failed: {got!r}"
        statuses[name] = got.status
    assert statuses["second"] == "published"
    assert statuses["first"] in ("published", "late")
    assert trailers(s.bare, "acm-dev")["Source-Commit"] == c2
    assert git(s.bare, "rev-list", "--merges", "acm-dev") == ""  # linear
    ancestry_is_forward_only(s.bare, "acm-dev")
    # both built on the same head: exactly one push lost and was retried on the winner's commit
    retried = [o for o in outcomes.values() if isinstance(o, Outcome) and any("retrying" in x for x in o.lines)]
    assert len(retried) == 1


def test_two_publisher_processes_race_and_both_exit_cleanly(s: Site) -> None:
    run(s.work)
    first = s.clone("first")
    edit(first, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    second = s.clone("second")
    c2 = edit(second, "workloads/vibration.yaml", "vibration-anomaly:3.1.0", "vibration-anomaly:3.2.0", "v 3.2")
    procs = [subprocess.Popen([sys.executable, "-m", "i4qew", "publish", "--env", "dev"], cwd=repo,
                              env=clean_environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for repo in (second, first)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert trailers(s.bare, "acm-dev")["Source-Commit"] == c2
    assert git(s.bare, "rev-list", "--merges", "acm-dev") == ""
    ancestry_is_forward_only(s.bare, "acm-dev")


def test_retries_run_out_when_the_branch_keeps_moving(s: Site) -> None:
    run(s.work)
    rival = s.clone("rival")
    steps = [edit(rival, "workloads/sktime.yaml", f"sktime:1.2.{n}", f"sktime:1.2.{n + 1}", f"step {n}")
             for n in (0, 1, 2)]
    git(s.work, "pull", "-q", "--ff-only", "origin", "main")
    edit(s.work, "workloads/vibration.yaml", "vibration-anomaly:3.1.0", "vibration-anomaly:3.2.0", "newest")
    # before each of our pushes, a slower pipeline publishes an older (but newer than
    # the branch) source commit: every push of ours is rejected
    git(rival, "checkout", "-q", "--detach")

    def rival_publishes(attempt: int, sha: str) -> None:
        git(rival, "checkout", "-q", steps[attempt - 1])
        assert run(rival).status == "published"

    with pytest.raises(RetriesExhausted, match="gave up after 3 attempts"):
        run(s.work, attempts=3, before_push=rival_publishes)
    assert trailers(s.bare, "acm-dev")["Source-Commit"] == steps[2]
    ancestry_is_forward_only(s.bare, "acm-dev")


def test_drift_is_refused_naming_commits_and_files_then_overwritten(s: Site) -> None:
    run(s.work)
    hand = s.clone("hand")
    git(hand, "checkout", "-q", "-b", "acm-dev", "origin/acm-dev")
    values = hand / "charts" / "sktime" / "values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 5"))
    git(hand, "commit", "-q", "-am", "hotfix: more replicas")
    git(hand, "push", "-q", "origin", "acm-dev")
    drifted = git(hand, "rev-parse", "HEAD")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    with pytest.raises(UserError) as refused:
        run(s.work)
    assert drifted[:12] in refused.value.text and "charts/sktime/values.yaml" in refused.value.text
    assert s.branch("acm-dev") == drifted
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 1
    assert "hotfix: more replicas" in done.stderr and "--overwrite-drift" in done.stderr
    assert "Traceback" not in done.stderr
    outcome = run(s.work, overwrite_drift=True)
    assert outcome.status == "published"
    after = s.branch("acm-dev") or ""
    assert git(s.bare, "rev-parse", f"{after}~1") == drifted  # history kept
    assert "replicas: 5" not in s.show(after, "charts/sktime/values.yaml")
    assert "Overwrites changes not made by i4qew" in git(s.bare, "log", "-1", "--format=%b", after)
    assert run(s.work).status == "unchanged"


def test_an_amended_i4qew_commit_is_drift(s: Site) -> None:
    run(s.work)
    hand = s.clone("hand")
    git(hand, "checkout", "-q", "-b", "acm-dev", "origin/acm-dev")
    (hand / "README.md").write_text("edited\n")
    git(hand, "commit", "-q", "-a", "--amend", "--no-edit")  # keeps i4qew's trailers, changes the tree
    git(hand, "push", "-q", "--force", "origin", "acm-dev")
    with pytest.raises(UserError, match=r"README\.md"):
        run(s.work)


def test_a_failed_validation_publishes_nothing(s: Site) -> None:
    edit(s.work, "workloads/sktime.yaml", "replicas: 1", "replicas: 1\n  replicaz: 2", "typo")
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 1
    assert "workloads/sktime.yaml:" in done.stdout and "replicaz" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert s.branch("acm-dev") is None
    assert git(s.work, "branch", "--list", "acm-dev") == ""


def test_a_retired_workload_leaves_the_branch(s: Site) -> None:
    run(s.work)
    assert any(p.startswith("charts/vibration-anomaly/") for p in s.files("acm-dev"))
    assert "vibration-anomaly" in git(s.bare, "grep", "-l", "vibration-anomaly", "acm-dev", "--", "hub")
    git(s.work, "rm", "-q", "workloads/vibration.yaml")
    git(s.work, "commit", "-q", "-m", "retire vibration-anomaly")
    outcome = run(s.work)
    assert outcome.status == "published"
    assert not any(p.startswith("charts/vibration-anomaly/") for p in s.files("acm-dev"))
    assert git(s.bare, "grep", "-l", "vibration-anomaly", "acm-dev", "--", "hub", check=False) == ""
    assert "Removed (1): vibration-anomaly" in git(s.bare, "log", "-1", "--format=%b", "acm-dev")


def test_no_push_commits_the_local_branch_only(s: Site) -> None:
    outcome = run(s.work, push=False)
    assert outcome.status == "committed"
    assert s.branch("acm-dev") is None
    local = git(s.work, "rev-parse", "refs/heads/acm-dev")
    assert trailers(s.work, local)["Source-Commit"] == git(s.work, "rev-parse", "HEAD")
    assert run(s.work, push=False).status == "unchanged"
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "bump", push=False)
    assert run(s.work, push=False).status == "committed"
    assert git(s.work, "rev-parse", "acm-dev~1") == local


def test_dry_run_writes_nothing(s: Site) -> None:
    refs_before = git(s.work, "for-each-ref")
    done = s.cli("publish", "--env", "dev", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would commit onto acm-dev" in done.stdout and "Source-Commit:" in done.stdout
    # the commit message is quoted as a block, not prefixed line by line
    assert "i4qew: i4qew:" not in done.stdout
    assert "\n    i4qew: publish dev from " in done.stdout and "\n    Source-Commit: " in done.stdout
    assert git(s.work, "for-each-ref") == refs_before
    assert s.branch("acm-dev") is None


def test_a_run_killed_before_its_push_is_recovered_by_the_next(s: Site) -> None:
    run(s.work)
    remote_before = s.branch("acm-dev")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "bump")

    class Killed(BaseException):
        pass

    def die(attempt: int, sha: str) -> None:
        raise Killed

    with pytest.raises(Killed):
        run(s.work, before_push=die)
    stranded = git(s.work, "rev-parse", "refs/heads/acm-dev")
    assert stranded != remote_before and s.branch("acm-dev") == remote_before
    outcome = run(s.work)
    assert outcome.status == "published"
    after = s.branch("acm-dev") or ""
    assert git(s.bare, "rev-parse", f"{after}~1") == remote_before
    assert git(s.work, "rev-parse", "refs/heads/acm-dev") == after


def test_uncommitted_inputs_are_refused(s: Site) -> None:
    (s.work / "workloads" / "sktime.yaml").write_text(
        (s.work / "workloads" / "sktime.yaml").read_text().replace("1.2.0", "9.9.9"))
    with pytest.raises(UserError, match=r"uncommitted changes to workloads/sktime\.yaml"):
        run(s.work)
    assert s.branch("acm-dev") is None


def test_push_options_are_sent_when_the_remote_takes_them(s: Site) -> None:
    hook = s.bare / "hooks" / "pre-receive"
    log = s.tmp / "options.log"
    hook.write_text(f'#!/bin/sh\necho "${{GIT_PUSH_OPTION_COUNT:-0}} ${{GIT_PUSH_OPTION_0:-}}" >> {log}\n')
    hook.chmod(0o755)
    run(s.work)
    assert log.read_text().splitlines()[-1] == "1 ci.skip"
    # a remote without push options is pushed to without them
    plain = s.daemon.bare("plain.git", push_options=False)
    git(s.work, "push", "-q", s.daemon.url("plain.git"), "main")
    outcome = run(s.work, remote=s.daemon.url("plain.git"))
    assert outcome.status == "published"
    assert head(plain, "refs/heads/acm-dev") is not None


def test_author_and_committer(s: Site) -> None:
    run(s.work, environ=clean_environ(GITLAB_USER_NAME="Pipeline User", GITLAB_USER_EMAIL="pipe@example.com"))
    assert git(s.bare, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "acm-dev") == \
        "Pipeline User <pipe@example.com>|Pipeline User <pipe@example.com>"
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "bump")
    done = s.cli("publish", "--env", "dev", "--author", "Release Bot <bot@example.com>")
    assert done.returncode == 0, done.stderr
    assert git(s.bare, "log", "-1", "--format=%an <%ae>", "acm-dev") == "Release Bot <bot@example.com>"
    bad = s.cli("publish", "--env", "dev", "--author", "nobody")
    assert bad.returncode == 2 and "Name <email>" in bad.stderr


def test_publishing_a_promoted_environment_is_refused(s: Site) -> None:
    done = s.cli("publish", "--env", "production")
    assert done.returncode == 1
    assert "i4qew promote --from dev --to production" in done.stderr
    unknown = s.cli("publish", "--env", "staging")
    assert unknown.returncode == 2 and "no environment 'staging' in i4qew.yaml" in unknown.stderr


def test_a_late_pipeline_is_recognised_when_branches_live_in_another_repository(s: Site) -> None:
    s.daemon.bare("gitops.git")
    elsewhere = s.daemon.url("gitops.git")
    old = s.clone("old")
    newer = edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    assert run(s.work, remote=elsewhere).status == "published"
    # the old clone lacks `newer`, and the gitops repository does not hold source commits:
    # it is found on origin
    assert run(old, remote=elsewhere).status == "late"
    assert trailers(s.daemon.base / "gitops.git", "acm-dev")["Source-Commit"] == newer


def test_the_cli_exits_3_when_retries_run_out(s: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import i4qew.gitops.publish as gitops_publish
    from i4qew.cli.main import cli

    rival = s.clone("rival")
    git(rival, "checkout", "-q", "--detach")
    steps = [edit(rival, "workloads/sktime.yaml", f"sktime:1.2.{n}", f"sktime:1.2.{n + 1}", f"step {n}")
             for n in range(2)]
    run(s.work)
    git(s.work, "pull", "-q", "--ff-only", "origin", "main")
    edit(s.work, "workloads/vibration.yaml", "vibration-anomaly:3.1.0", "vibration-anomaly:3.2.0", "newest")

    def move(attempt: int, sha: str) -> None:
        git(rival, "checkout", "-q", steps[attempt - 1])
        run(rival)

    monkeypatch.setattr(gitops_publish, "publish", lambda request, **kw: publish(
        PublishRequest(**{**request.__dict__, "backoff": 0.01, "attempts": 2}), environ=clean_environ(),
        before_push=move, **kw))
    monkeypatch.chdir(s.work)
    result = CliRunner().invoke(cli, ["publish", "--env", "dev"])
    assert result.exit_code == 3, result.output
    assert "kept moving" in result.output and "Traceback" not in result.output


def test_publishing_a_commit_the_remote_lacks_says_so(s: Site) -> None:
    """Its Source-Commit is one nobody else can fetch until it is pushed (issue 10, item 12)."""
    unpushed = edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0", push=False)
    warning = (f"i4qew: warning: the source commit {unpushed[:12]} is on no branch of origin ({s.url}): acm-dev "
               "names a Source-Commit nobody else can see until you push it (git push)")
    dry = s.cli("publish", "--env", "dev", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.splitlines()[-1] == warning, dry.stdout
    done = s.cli("publish", "--env", "dev")
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == warning, done.stdout
    git(s.work, "push", "-q", "origin", "HEAD:main")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.3.0", "sktime:1.4.0", "sktime 1.4.0")  # pushed
    again = s.cli("publish", "--env", "dev")
    assert again.returncode == 0 and "warning" not in again.stdout, again.stdout
    # a commit on another branch of the remote is visible too
    git(s.work, "checkout", "-q", "-b", "feature")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.4.0", "sktime:1.5.0", "sktime 1.5.0", push=False)
    git(s.work, "push", "-q", "origin", "feature")
    assert "warning" not in s.cli("publish", "--env", "dev").stdout
