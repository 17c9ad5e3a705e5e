"""The CI template keeps tokens out of reach of untrusted merge requests (issue 13):
the real template, run by gitlab-ci-local as GitLab would.

GitLab hands protected variables only to pipelines of protected refs and never to a
merge request from a fork. A token that shows up in an unprotected MR pipeline or
in a fork's is therefore not protected: the template refuses to run with it. An MR
pipeline needs no write token at all (I4QEW_PUSH_TOKEN is unset even in a
protected one), and publish/promote refuse to run on an unprotected ref.
"""

from __future__ import annotations

import pytest

from tests.support.pipelines import NEEDS_TOOLS, TOKEN, Scratch, job_passed, job_ran, log

pytestmark = [pytest.mark.slow, NEEDS_TOOLS]
PUSH = "push-token-0123456789abcdef0123456789"


def feature(scratch: Scratch) -> None:
    scratch.gitlab.add_mr("feature", "main")
    scratch.git("checkout", "-q", "-b", "feature")
    scratch.git("commit", "-q", "--allow-empty", "-m", "A change")


def test_an_unprotected_merge_request_pipeline_sees_no_token_and_still_plans(scratch: Scratch) -> None:
    feature(scratch)
    run = scratch.merge_request("feature", 1, token=False, protected=False)
    assert run.returncode == 0, log(run)
    assert job_passed(run, "i4qew:validate") and job_passed(run, "i4qew:plan"), log(run)
    assert "no MR note: I4QEW_GITLAB_TOKEN (a protected variable)" in run.stdout
    assert (scratch.repo / "plan.md").read_text(encoding="utf-8").strip()
    assert scratch.gitlab.notes.get(1, []) == []


@pytest.mark.parametrize("leak", ["I4QEW_GITLAB_TOKEN", "I4QEW_PUSH_TOKEN", "fork"])
def test_a_token_an_untrusted_merge_request_can_see_fails_the_pipeline(scratch: Scratch, leak: str) -> None:
    feature(scratch)
    if leak == "fork":  # the parent runs a fork's MR pipeline: even "protected" is not trusted
        run = scratch.merge_request("feature", 1, "--variable", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID=4242")
        name = "I4QEW_GITLAB_TOKEN"
    elif leak == "I4QEW_PUSH_TOKEN":
        run = scratch.merge_request("feature", 1, "--variable", f"I4QEW_PUSH_TOKEN={PUSH}", token=False,
                                    protected=False)
        name = leak
    else:
        run = scratch.merge_request("feature", 1, protected=False)
        name = leak
    assert run.returncode != 0, log(run)
    assert not job_passed(run, "i4qew:validate") and not job_passed(run, "i4qew:plan"), log(run)
    assert f"i4qew: error: {name} is visible to a merge request pipeline" in run.stdout + run.stderr
    assert TOKEN not in run.stdout + run.stderr and PUSH not in run.stdout + run.stderr
    assert scratch.gitlab.notes.get(1, []) == []


def test_a_protected_merge_request_pipeline_gets_no_write_token(scratch: Scratch) -> None:
    feature(scratch)
    # the plan job's script prints what i4qew would see after the template's before_script
    ci = (scratch.repo / ".gitlab-ci.yml").read_text(encoding="utf-8")
    (scratch.repo / ".gitlab-ci.yml").write_text(
        ci + "i4qew:plan:\n  script:\n    - 'echo \"push token seen ${I4QEW_PUSH_TOKEN:-none}\"'\n",
        encoding="utf-8")
    scratch.git("commit", "-q", "-am", "Show the push token")
    run = scratch.merge_request("feature", 1, "--variable", f"I4QEW_PUSH_TOKEN={PUSH}")
    assert run.returncode == 0, log(run)
    assert job_passed(run, "i4qew:plan"), log(run)
    assert "push token seen none" in run.stdout, log(run)


def test_publish_refuses_an_unprotected_branch(scratch: Scratch) -> None:
    run = scratch.pipeline(protected=False)
    assert run.returncode != 0, log(run)
    assert job_ran(run, "i4qew:publish") and not job_passed(run, "i4qew:publish"), log(run)
    assert "publish runs only on a protected default branch" in run.stdout + run.stderr
    assert scratch.remote_branches() == {"main"}
