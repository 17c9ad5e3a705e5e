"""`i4qew promote` against real git (git daemon on 127.0.0.1) and, for merge requests,
the fake GitLab API."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from i4qew.gitops.land import Outcome
from i4qew.gitops.promote import PromoteRequest, promote
from i4qew.gitops.publish import PublishRequest, publish
from i4qew.problems import UserError
from tests.support.git_remote import Site, clean_environ, edit, git, site, trailers
from tests.support.gitlab_fake import FakeGitLab, serve

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path) as made:
        yield made


def publish_dev(repo: Path) -> Outcome:
    return publish(PublishRequest(root=repo, env="dev", backoff=0.01), environ=clean_environ())


def run(repo: Path, **kw: object) -> Outcome:
    environ = kw.pop("environ", None) or clean_environ()
    opener = kw.pop("open_merge_request", None)
    request = PromoteRequest(root=repo, source_env=str(kw.pop("source_env", "dev")),
                             target_env=str(kw.pop("target_env", "production")), backoff=0.01,
                             **kw)  # type: ignore[arg-type]
    return promote(request, environ=environ, open_merge_request=opener)  # type: ignore[arg-type]


def test_promotion_ships_the_tested_source_commit_after_main_moved_on(s: Site) -> None:
    tested = edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    publish_dev(s.work)
    dev_head = s.branch("acm-dev")
    # main moves on; dev is not republished, so 1.4.0 was never tested
    moved = edit(s.work, "workloads/sktime.yaml", "sktime:1.3.0", "sktime:1.4.0", "sktime 1.4.0")
    assert git(s.work, "rev-parse", "HEAD") == moved
    done = s.cli("promote", "--from", "dev", "--to", "production")
    assert done.returncode == 0, done.stderr
    assert "promoted production" in done.stdout
    production = s.branch("production")
    assert production is not None
    t = trailers(s.bare, production)
    assert t["Source-Commit"] == tested
    assert t["Promoted-From"] == dev_head
    assert t["I4qew-Environment"] == "production"
    values = s.show(production, "charts/sktime/values.yaml")
    assert "sktime:1.3.0" in values and "sktime:1.4.0" not in values
    # production's own values: the example sets two replicas there
    assert "replicas: 2" in values
    assert "replicas: 1" in s.show(dev_head or "", "charts/sktime/values.yaml")
    # templates are the tested bytes
    for path in s.files(production):
        if path.startswith("charts/") and "/templates/" in path:
            assert s.show(production, path) == s.show(dev_head or "", path)
    # the user's checkout was not touched
    assert git(s.work, "rev-parse", "HEAD") == moved and git(s.work, "status", "--porcelain") == ""
    again = run(s.work)
    assert again.status == "unchanged" and s.branch("production") == production


def test_promotion_between_environments_delivered_by_argo_cd(s: Site) -> None:
    """Both environments on `delivery: applicationset`: production's branch gets its own
    ApplicationSets (following production, not dev's branch) and dev's tested chart
    templates; hub/ differs from dev's only where the environments do (name, branch,
    selector, placements)."""
    text = (s.work / "i4qew.yaml").read_text()
    waves = text[text.index("      # A new commit reaches"):text.index("  defaults:")]  # Subscription delivery only
    edit(s.work, "i4qew.yaml", waves, "", "production without waves", push=False)
    edit(s.work, "i4qew.yaml", "  delivery: subscription\n", "  delivery: applicationset\n", "all on Argo CD")
    publish_dev(s.work)
    dev_head = s.branch("acm-dev")
    assert dev_head is not None
    done = s.cli("promote", "--from", "dev", "--to", "production")
    assert done.returncode == 0, done.stderr
    production = s.branch("production")
    assert production is not None
    files = s.files(production)
    appsets = [f for f in files if f.startswith("hub/argocd/applicationsets/")]
    assert appsets and not [f for f in files if "subscription" in f.lower()]
    assert [f.replace("acm-dev", "production") for f in appsets] == [
        f.replace("acm-dev", "production") for f in s.files(dev_head) if f.startswith("hub/argocd/applicationsets/")]
    for path in appsets:
        text = s.show(production, path)
        assert 'targetRevision: "production"\n' in text and "acm-dev" not in text
        as_dev = text.replace('targetRevision: "production"', 'targetRevision: "acm-dev"').replace("production", "dev")
        assert as_dev == s.show(dev_head, path)
    for path in files:
        if path.startswith("charts/") and "/templates/" in path:
            assert s.show(production, path) == s.show(dev_head, path)


def test_promotion_must_follow_promotes_from(s: Site) -> None:
    publish_dev(s.work)
    done = s.cli("promote", "--from", "production", "--to", "dev")
    assert done.returncode == 1
    assert "dev is promoted from no environment, not from production" in done.stderr
    assert s.branch("dev") is None


def test_promoting_needs_the_source_branch(s: Site) -> None:
    with pytest.raises(UserError, match="acm-dev does not exist: publish dev first"):
        run(s.work)


def _genuine_commit(repo: Path, parent: str, path: str, data: bytes, source: str) -> str:
    """A commit on top of `parent` that looks like i4qew's own (a different i4qew, say)
    but changes one file."""
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "scratch-index")}
    subprocess.run(["git", "read-tree", parent], cwd=repo, env=env, check=True)
    oid = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=data, capture_output=True,
                         check=True).stdout.decode().strip()
    subprocess.run(["git", "update-index", "--cacheinfo", f"100644,{oid},{path}"], cwd=repo, env=env, check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=repo, env=env, capture_output=True,
                          check=True).stdout.decode().strip()
    message = (f"i4qew: publish dev from {source[:12]}\n\nSource-Commit: {source}\nI4qew-Version: 0.0.1\n"
               f"I4qew-Environment: dev\nI4qew-Tree: {tree}\n")
    return git(repo, "commit-tree", tree, "-p", parent, "-m", message)


def test_charts_that_differ_beyond_environment_values_are_refused(s: Site) -> None:
    publish_dev(s.work)
    dev = s.branch("acm-dev") or ""
    source = trailers(s.bare, dev)["Source-Commit"]
    git(s.work, "fetch", "-q", "origin", "acm-dev")
    template = s.show(dev, "charts/sktime/templates/deployment.yaml") + "\n# changed by another i4qew\n"
    other = _genuine_commit(s.work, dev, "charts/sktime/templates/deployment.yaml", template.encode(), source)
    git(s.work, "push", "-q", "origin", f"{other}:refs/heads/acm-dev")
    with pytest.raises(UserError) as refused:
        run(s.work)
    assert "charts/sktime/templates/deployment.yaml differs from acm-dev's" in refused.value.text
    assert s.branch("production") is None


def test_a_drifted_source_branch_is_not_promoted(s: Site) -> None:
    publish_dev(s.work)
    hand = s.clone("hand")
    git(hand, "checkout", "-q", "-b", "acm-dev", "origin/acm-dev")
    (hand / "charts" / "sktime" / "values.yaml").write_text("replicas: 9\n")
    git(hand, "commit", "-q", "-am", "by hand")
    git(hand, "push", "-q", "origin", "acm-dev")
    with pytest.raises(UserError, match="refusing to promote from acm-dev"):
        run(s.work)


def test_drift_on_the_target_branch_is_refused_unless_overwritten(s: Site) -> None:
    publish_dev(s.work)
    first = run(s.work)
    assert first.status == "promoted"
    hand = s.clone("hand")
    git(hand, "checkout", "-q", "-b", "production", "origin/production")
    (hand / "hub" / "extra.yaml").write_text("kind: ConfigMap\n")
    git(hand, "add", "hub/extra.yaml")
    git(hand, "commit", "-q", "-m", "by hand")
    git(hand, "push", "-q", "origin", "production")
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    publish_dev(s.work)
    with pytest.raises(UserError, match=r"hub/extra\.yaml"):
        run(s.work)
    assert run(s.work, overwrite_drift=True).status == "promoted"
    assert "hub/extra.yaml" not in s.files("production")


def test_no_push_promotes_onto_the_local_branch(s: Site) -> None:
    publish_dev(s.work)
    outcome = run(s.work, push=False)
    assert outcome.status == "committed"
    assert s.branch("production") is None
    local = git(s.work, "rev-parse", "refs/heads/production")
    assert trailers(s.work, local)["Promoted-From"] == git(s.work, "rev-parse", "refs/heads/acm-dev")


def test_a_merge_request_proposes_the_promotion(s: Site) -> None:
    publish_dev(s.work)
    source = trailers(s.bare, "acm-dev")["Source-Commit"]
    fake = FakeGitLab(token="api-token-123456")
    with serve(fake):
        environ = clean_environ(CI_SERVER_URL=fake.url, CI_PROJECT_ID=str(fake.project_id),
                                I4QEW_GITLAB_TOKEN=fake.token)
        outcome = run(s.work, merge_request=True, environ=environ)
        assert outcome.status == "proposed"
        branch = f"i4qew/promote-production-{source[:12]}"
        assert s.branch(branch) is not None
        assert s.branch("production") is None  # merging the MR deploys it, not i4qew
        assert len(fake.mrs) == 1
        mr = fake.mrs[0]
        assert (mr["source_branch"], mr["target_branch"]) == (branch, "production")
        assert source in mr["description"] and "### Placement" in mr["description"]
        assert "sktime" in mr["description"]
        assert any(mr["web_url"] in line for line in outcome.lines)
        # running it again reuses the proposal and the open MR
        again = run(s.work, merge_request=True, environ=environ)
        assert again.commit == outcome.commit and len(fake.mrs) == 1
        assert fake.token not in "\n".join(again.lines)


def test_merge_request_failures_exit_4_without_the_token(s: Site) -> None:
    publish_dev(s.work)
    fake = FakeGitLab(token="api-token-123456")
    with serve(fake):
        done = s.cli("promote", "--from", "dev", "--to", "production", "--merge-request",
                     env={"CI_SERVER_URL": fake.url, "CI_PROJECT_ID": "42", "I4QEW_GITLAB_TOKEN": "bad-token-999"})
    assert done.returncode == 4, done.stderr
    assert "bad-token-999" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    usage = s.cli("promote", "--from", "dev", "--to", "production", "--merge-request", "--no-push")
    assert usage.returncode == 2


def test_a_merged_promotion_merge_request_is_no_drift(s: Site) -> None:
    publish_dev(s.work)
    assert run(s.work).status == "promoted"
    edit(s.work, "workloads/sktime.yaml", "sktime:1.2.0", "sktime:1.3.0", "sktime 1.3.0")
    publish_dev(s.work)
    fake = FakeGitLab(token="api-token-123456")
    with serve(fake):
        environ = clean_environ(CI_SERVER_URL=fake.url, CI_PROJECT_ID="42", I4QEW_GITLAB_TOKEN=fake.token)
        proposed = run(s.work, merge_request=True, environ=environ)
    # the description holds the plan of the promoted commit against what production runs
    description = fake.mrs[0]["description"]
    assert "1 changed, 3 unchanged" in description and "| sktime | i4q-lrt |" in description
    assert "changed: spec" in description
    # GitLab merges the MR with a merge commit (its default merge method)
    merger = s.clone("merger")
    git(merger, "fetch", "-q", "origin", f"{proposed.branch}:{proposed.branch}")
    git(merger, "checkout", "-q", "-b", "production", "origin/production")
    git(merger, "merge", "-q", "--no-ff", "-m", f"Merge branch '{proposed.branch}' into 'production'",
        proposed.branch)
    git(merger, "push", "-q", "origin", "production")
    merged = s.branch("production")
    assert run(s.work).status == "unchanged"
    edit(s.work, "workloads/sktime.yaml", "sktime:1.3.0", "sktime:1.4.0", "sktime 1.4.0")
    publish_dev(s.work)
    assert run(s.work).status == "promoted"
    assert git(s.bare, "rev-parse", "production~1") == merged


def test_a_merge_request_outside_gitlab_is_refused_before_any_push(s: Site) -> None:
    """Without CI_SERVER_URL, a project and a token: exit 2 and nothing on the remote
    (it pushed the proposal branch, then failed with exit 4)."""
    publish_dev(s.work)
    before = git(s.bare, "for-each-ref")
    done = s.cli("promote", "--from", "dev", "--to", "production", "--merge-request",
                 env={"I4QEW_PUSH_TOKEN": "push-token-1234"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == ("i4qew: error: --merge-request: missing CI_SERVER_URL, CI_PROJECT_ID or CI_PROJECT_PATH, "
                           "I4QEW_GITLAB_TOKEN: run inside a GitLab pipeline and set I4QEW_GITLAB_TOKEN to a project "
                           "access token with the `api` scope (CI_JOB_TOKEN cannot write notes or merge requests)\n")
    assert git(s.bare, "for-each-ref") == before
    assert git(s.work, "for-each-ref", "refs/heads/i4qew") == ""
