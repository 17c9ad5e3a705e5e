"""Real pipelines of the CI plugin, run by gitlab-ci-local on a scratch workload repo.

The scratch repo's `origin` is a bare repo served by `git daemon` on 127.0.0.1, so
publish and promote push for real; MR notes and merge requests go to the fake GitLab
of gitlab_fake.py. i4qew reaches the jobs as a wheel built from this tree and
installed with its dependencies by the template's own install step (`install` input),
offline, from the wheelhouse that .ci/test fetches.
"""

from __future__ import annotations

import json
import re
import shutil
from xml.etree import ElementTree

import pytest

from tests.support.pipelines import (
    MARKER,
    NEEDS_TOOLS,
    PROJECT,
    TOKEN,
    Scratch,
    codequality,
    git,
    job_failed,
    job_passed,
    job_ran,
    job_warned,
    junit_failures,
    log,
    validations,
)
from tests.support.tools import ROOT

pytestmark = [pytest.mark.slow, NEEDS_TOOLS]


def test_merge_request_pipeline_validates_and_plans(scratch: Scratch) -> None:
    scratch.gitlab.add_mr("feature", "main")
    scratch.git("checkout", "-q", "-b", "feature")
    # a new image tag: a change the plan reports, harmless to placement and capacity
    workload = next(p for p in sorted((scratch.repo / "workloads").glob("*.yaml")))
    text = workload.read_text(encoding="utf-8")
    changed = re.sub(r"^(\s+image: [^\s@]+:[\w.-]+)$", r"\1-rc1", text, count=1, flags=re.M)
    assert changed != text, f"no tagged image in {workload}"
    workload.write_text(changed, encoding="utf-8")
    scratch.git("commit", "-q", "-am", "A release candidate")

    run = scratch.merge_request("feature", 1)
    assert run.returncode == 0, log(run)
    assert job_passed(run, "i4qew:validate") and job_passed(run, "i4qew:plan"), log(run)
    assert not job_ran(run, "i4qew:publish") and not job_ran(run, "i4qew:promote")
    assert validations(run) == 1  # one run writes the log and both reports
    assert codequality(scratch) == []
    ElementTree.parse(scratch.repo / "i4qew-junit.xml")  # present and well-formed
    plan = (scratch.repo / "plan.md").read_text(encoding="utf-8")
    assert plan.strip(), "plan.md is empty"
    # the placement page and its picture: artifacts of the same plan, exposed in the MR
    page = (scratch.repo / "plan.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Placement of <code>dev</code> against <code>" in page
    assert "~ changed (spec)" in page
    assert (scratch.repo / "plan.svg").read_text(encoding="utf-8").startswith("<svg ")
    notes = scratch.gitlab.marker_notes(1, MARKER)
    assert len(notes) == 1
    body = notes[0]["body"]
    assert all(line in body for line in plan.splitlines())  # the whole plan, with the links added
    job = re.search(rf"\(([^()\s]+/{PROJECT}/-/jobs/\d+)/artifacts/file/plan\.html\)", body)
    assert job, body[:2000]
    assert f"[![Placement by site]({job[1]}/artifacts/raw/plan.svg)]({job[1]}/artifacts/file/plan.html)" in body
    assert f"{job[1]}/artifacts/file/plan.html" in run.stdout  # and in the job log
    assert TOKEN not in run.stdout + run.stderr

    # i4qew's cache (docs/caching.md), in the project dir where GitLab's cache keeps it (the
    # shell executor leaves it in place): both jobs, each with its own install, wrote one build's
    builds = [p for p in (scratch.repo / ".cache" / "i4qew").iterdir() if p.is_dir()]
    assert len(builds) == 1, builds
    assert list((builds[0] / "documents").glob("pack*.bin")) and list((builds[0] / "inventory").glob("*.bin"))

    again = scratch.merge_request("feature", 1)  # a later pipeline of the same MR, warm
    assert again.returncode == 0, log(again)
    assert (scratch.repo / "plan.md").read_text(encoding="utf-8") == plan
    assert len(scratch.gitlab.notes[1]) == 1
    assert scratch.remote_branches() == {"main"}  # an MR pipeline publishes nothing

    # A typo: one red job (validate); the plan job warns and its note, the same one,
    # now says why there is no plan instead of showing the plan of the commit before.
    (scratch.repo / "workloads/broken.yaml").write_text(
        "apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata:\n  name: broken\n"
        "  namespace: i4q-lrt\nspec:\n  image: registry.example/broken:1.0\n  replicaz: 2\n",
        encoding="utf-8",
    )
    scratch.git("add", "workloads/broken.yaml")
    scratch.git("commit", "-q", "-m", "A typo")
    broken = scratch.merge_request("feature", 1)
    assert broken.returncode != 0, log(broken)
    assert job_failed(broken, "i4qew:validate") and job_warned(broken, "i4qew:plan"), log(broken)
    assert len(re.findall(r"^\s*FAIL\s", broken.stdout, re.M)) == 1, log(broken)
    assert "workloads/broken.yaml:8:" in broken.stdout  # the problem line, in the job log
    assert validations(broken) == 1
    issues = codequality(scratch)
    assert any(
        issue["location"]["path"] == "workloads/broken.yaml" and "replicaz" in issue["description"]
        for issue in issues
    ), issues
    assert "replicaz" in junit_failures(scratch)
    (note,) = scratch.gitlab.marker_notes(1, MARKER)
    assert "No plan: the repository does not validate." in note["body"] and plan.strip() not in note["body"]
    assert "workloads/broken.yaml:8:3: error [unknown-field]" in note["body"]
    assert scratch.remote_branches() == {"main"}


def test_style_problems_fail_validate_and_reach_both_reports(scratch: Scratch) -> None:
    """The repository's .yamllint: an inventory pasted from kubectl passes it; a
    misindented workload fails validate, and the MR widget and the test report say
    why (they said nothing while yamllint ran beside them)."""
    kubectl = ROOT / "tests/corpus/positive/kubectl-inventory/clusters/managedclusters.yaml"
    shutil.copy(kubectl, scratch.repo / "clusters" / "hub-a.yaml")
    workload = scratch.repo / "workloads" / "sktime.yaml"
    text = workload.read_text(encoding="utf-8")
    workload.write_text(text.replace("\nkind: Workload\n", "\nkind: Workload   \n", 1), encoding="utf-8")
    scratch.git("checkout", "-q", "-b", "style")
    scratch.git("add", "-A")
    scratch.git("commit", "-q", "-m", "kubectl's inventory, and trailing spaces")
    scratch.gitlab.add_mr("style", "main")
    run = scratch.merge_request("style", 1)
    assert job_failed(run, "i4qew:validate"), log(run)
    issues = [i for i in codequality(scratch) if i["check_name"] == "yamllint"]
    assert issues and all(i["location"]["path"] == "workloads/sktime.yaml" for i in issues), issues
    failures = junit_failures(scratch)
    assert "[yamllint]" in failures and "clusters/hub-a.yaml" not in failures
    assert len(re.findall(r"^\s*FAIL\s", run.stdout, re.M)) == 1, log(run)


def test_default_branch_pipeline_publishes_the_first_environment(scratch: Scratch) -> None:
    run = scratch.pipeline()
    assert run.returncode == 0, log(run)
    assert job_passed(run, "i4qew:validate") and job_passed(run, "i4qew:publish"), log(run)
    assert not job_ran(run, "i4qew:plan") and not job_ran(run, "i4qew:promote")
    assert "acm-dev" in scratch.remote_branches()
    message = git(scratch.remote, "log", "-1", "--format=%B", "acm-dev")
    assert f"Source-Commit: {scratch.git('rev-parse', 'HEAD')}" in message

    again = scratch.pipeline()  # nothing changed on main: no new commit
    assert again.returncode == 0, log(again)
    assert git(scratch.remote, "rev-list", "--count", "acm-dev") == "1"
    # the publish job starts from the cache the validate job left (one key, publish needs
    # validate): validate's answer for this folder, and the one a publish in any folder
    # reads (docs/caching.md; the first run learnt which config files the journal covers)
    (build,) = [p for p in (scratch.repo / ".cache" / "i4qew").iterdir() if p.is_dir()]
    assert len(list((build / "validate").glob("*.bin"))) == 2


def test_manual_promote_job(scratch: Scratch) -> None:
    first = scratch.pipeline()
    assert first.returncode == 0, log(first)
    assert "production" not in scratch.remote_branches()
    source = scratch.git("rev-parse", "HEAD")

    run = scratch.pipeline("--manual", "i4qew:promote")
    assert run.returncode == 0, log(run)
    assert job_passed(run, "i4qew:promote"), log(run)
    assert "production" in scratch.remote_branches()
    message = git(scratch.remote, "log", "-1", "--format=%B", "production")
    assert f"Source-Commit: {source}" in message
    assert "Promoted-From: " in message


def test_merge_request_note_shows_where_the_rollout_stands(scratch: Scratch) -> None:
    assert scratch.pipeline().returncode == 0
    assert scratch.pipeline("--manual", "i4qew:promote").returncode == 0  # production, in two waves
    head = git(scratch.remote, "rev-parse", "production")
    scratch.gitlab.add_mr("feature", "main")
    scratch.git("checkout", "-q", "-b", "feature")
    scratch.git("commit", "-q", "--allow-empty", "-m", "nothing")
    run = scratch.merge_request("feature", 1)
    assert job_passed(run, "i4qew:plan"), log(run)
    (note,) = scratch.gitlab.marker_notes(1, MARKER)
    rollout = note["body"].split("#### Rollout of `production`", 1)[1]
    assert f"wave canary: {head[:12]} (branch head)" in rollout and f"wave rest: {head[:12]}" in rollout


def test_manual_rollout_job_moves_one_wave(scratch: Scratch) -> None:
    """production (this repository's example) rolls out in two waves: a second promotion
    reaches the canary only; the manual rollout job (forced past the canary's soak and the
    rest's window) moves the rest, with the status in the job log."""
    assert scratch.pipeline().returncode == 0
    assert scratch.pipeline("--manual", "i4qew:promote").returncode == 0
    first = git(scratch.remote, "rev-parse", "production")
    path = scratch.repo / "workloads" / "sktime.yaml"
    path.write_text(path.read_text().replace("sktime:1.2.0", "sktime:1.3.0"))
    scratch.git("commit", "-qam", "sktime 1.3.0")
    assert scratch.pipeline().returncode == 0
    assert scratch.pipeline("--manual", "i4qew:promote").returncode == 0
    assert git(scratch.remote, "rev-parse", "production-wave-rest") == first

    run = scratch.pipeline("--manual", "i4qew:rollout", "--variable", "I4QEW_ROLLOUT_FORCE=true")
    assert job_passed(run, "i4qew:rollout"), log(run)
    assert "wave rest: " in run.stdout and "(pinned, production-wave-rest)" in run.stdout  # status before
    message = git(scratch.remote, "log", "-1", "--format=%B", "production")
    assert "I4qew-Rollout: advance" in message and f"I4qew-Wave: rest {first} -> head" in message
    again = scratch.pipeline("--manual", "i4qew:rollout", "--variable", "I4QEW_ROLLOUT_WAVE=rest")
    assert job_passed(again, "i4qew:rollout"), log(again)  # rest already runs it: nothing to do
    assert git(scratch.remote, "log", "-1", "--format=%B", "production") == message


def test_manual_promote_job_can_open_a_merge_request(scratch: Scratch) -> None:
    first = scratch.pipeline()
    assert first.returncode == 0, log(first)

    run = scratch.pipeline(
        "--manual", "i4qew:promote", "--variable", "I4QEW_PROMOTE_MERGE_REQUEST=true"
    )
    assert run.returncode == 0, log(run)
    assert "production" not in scratch.remote_branches()
    branches = [b for b in scratch.remote_branches() if b.startswith("i4qew/promote-production-")]
    assert len(branches) == 1, scratch.remote_branches()
    mrs = [mr for mr in scratch.gitlab.mrs if mr["target_branch"] == "production"]
    assert len(mrs) == 1 and mrs[0]["source_branch"] == branches[0]
    assert TOKEN not in run.stdout + run.stderr


def jobs_for(scratch: Scratch, *variables: str) -> dict[str, str]:
    """Job name -> `when` after the rules, as gitlab-ci-local evaluates them."""
    args = [arg for v in variables for arg in ("--variable", v)]
    run = scratch.pipeline("--list-json", *args)
    assert run.returncode == 0, log(run)
    listing = (
        run.stdout[run.stdout.index("\n[") :] if not run.stdout.startswith("[") else run.stdout
    )
    return {job["name"]: job["when"] for job in json.loads(listing)}


def test_no_job_runs_for_branches_i4qew_writes(scratch: Scratch) -> None:
    assert jobs_for(scratch) == {
        "i4qew:validate": "on_success",
        "i4qew:publish": "on_success",
        "i4qew:promote": "manual",
        "i4qew:rollout": "manual",
        "i4qew:plan": "never",
    }
    for branch in ("acm-dev", "production", "production-wave-rest", "i4qew/promote-production-0123abc"):
        scratch.git("checkout", "-q", "-B", branch, "main")
        jobs = jobs_for(scratch, f"CI_DEFAULT_BRANCH={branch}")  # even as default branch
        assert set(jobs.values()) == {"never"}, (branch, jobs)
        mr = jobs_for(
            scratch,
            "CI_PIPELINE_SOURCE=merge_request_event",
            f"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME={branch}",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main",
        )
        assert set(mr.values()) == {"never"}, (branch, mr)


def test_scheduled_rollout_advances_the_next_wave_only_when_it_is_due(scratch: Scratch) -> None:
    """A pipeline schedule with I4QEW_ROLLOUT_SCHEDULE=true runs the rollout job alone: while
    the canary soaks (24 h in this repository's production) it passes without a commit;
    once the waves say the rest is due it moves the rest, one wave, unforced."""
    schedule = ("--variable", "CI_PIPELINE_SOURCE=schedule", "--variable", "I4QEW_ROLLOUT_SCHEDULE=true")
    assert scratch.pipeline("--manual", "i4qew:promote").returncode == 0
    first = git(scratch.remote, "rev-parse", "production")
    path = scratch.repo / "workloads" / "sktime.yaml"
    path.write_text(path.read_text().replace("sktime:1.2.0", "sktime:1.3.0"))
    scratch.git("commit", "-qam", "sktime 1.3.0")
    assert scratch.pipeline("--manual", "i4qew:promote").returncode == 0
    promoted = git(scratch.remote, "rev-parse", "production")
    assert git(scratch.remote, "rev-parse", "production-wave-rest") == first

    soaking = scratch.pipeline(*schedule)
    assert job_passed(soaking, "i4qew:rollout"), log(soaking)
    assert not job_ran(soaking, "i4qew:validate") and not job_ran(soaking, "i4qew:publish")
    assert "nothing to advance now: wave rest is not due: wave canary has run its commit since" in soaking.stdout
    assert git(scratch.remote, "rev-parse", "production") == promoted

    settings = scratch.repo / "i4qew.yaml"  # no soak, no window: the rest is due now
    text = settings.read_text()
    due = text.replace("          soak: 24h\n", "").replace(
        '          windows:\n            - cron: "0 18 * * 1-4"\n              duration: 4h\n'
        "              timeZone: Europe/Rome\n", "")
    assert due.count("\n") == text.count("\n") - 5
    settings.write_text(due)
    scratch.git("commit", "-qam", "production: the rest may follow the canary at once")
    moved = scratch.pipeline(*schedule)
    assert job_passed(moved, "i4qew:rollout"), log(moved)
    message = git(scratch.remote, "log", "-1", "--format=%B", "production")
    assert "I4qew-Rollout: advance" in message and f"I4qew-Wave: rest {first} -> head" in message
    assert "forced" not in message


def test_a_rollout_schedule_runs_the_rollout_job_alone(scratch: Scratch) -> None:
    assert jobs_for(scratch, "CI_PIPELINE_SOURCE=schedule", "I4QEW_ROLLOUT_SCHEDULE=true") == {
        "i4qew:validate": "never",
        "i4qew:publish": "never",
        "i4qew:promote": "never",
        "i4qew:rollout": "on_success",
        "i4qew:plan": "never",
    }
    # any other schedule is an ordinary pipeline of the default branch
    assert jobs_for(scratch, "CI_PIPELINE_SOURCE=schedule")["i4qew:rollout"] == "manual"
