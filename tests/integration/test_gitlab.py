"""i4qew.gitlab and `i4qew mr-note` against a fake GitLab on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.mr_note import command as mr_note
from i4qew.gitlab import (
    GitLabError,
    GitLabTarget,
    open_merge_request,
    target_from_env,
    upsert_mr_note,
)
from tests.support.gitlab_fake import FakeGitLab, serve
from tests.support.tools import ROOT

TOKEN = "glpat-i4qewSECRET-7f3c9d2e"  # distinctive: any leak is unmistakable
MARKER = "<!-- i4qew:plan:dev -->"


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with serve(FakeGitLab(token=TOKEN)) as server:
        server.add_mr("feature", "main")
        yield server


def target(fake: FakeGitLab, project: str | None = None) -> GitLabTarget:
    return GitLabTarget(url=fake.url, token=TOKEN, project=project or str(fake.project_id))


def test_note_is_created_once_then_updated_never_duplicated(fake: FakeGitLab) -> None:
    t = target(fake)
    assert upsert_mr_note(t, 1, "plan v1", MARKER) == "created"
    assert upsert_mr_note(t, 1, "plan v2", MARKER) == "updated"
    assert upsert_mr_note(t, 1, "plan v2", MARKER) == "unchanged"
    notes = fake.marker_notes(1, MARKER)
    assert len(notes) == 1
    assert notes[0]["body"] == f"{MARKER}\nplan v2"
    assert [m for m, _ in fake.requests].count("POST") == 1


def test_project_path_works_as_well_as_id(fake: FakeGitLab) -> None:
    assert upsert_mr_note(target(fake, "edge/workloads"), 1, "x", MARKER) == "created"
    assert upsert_mr_note(target(fake, "edge/workloads"), 1, "y", MARKER) == "updated"


def test_marker_note_on_a_later_page_is_found(fake: FakeGitLab) -> None:
    for n in range(45):
        fake.add_note(1, f"review comment {n}")
    fake.add_note(1, f"{MARKER}\nold plan")  # 46th note: page 3 at 20 per page
    assert upsert_mr_note(target(fake), 1, "new plan", MARKER) == "updated"
    assert len(fake.notes[1]) == 46
    assert fake.marker_notes(1, MARKER)[0]["body"] == f"{MARKER}\nnew plan"
    listed = [path for method, path in fake.requests if method == "GET"]
    assert len(listed) == 3  # pages 1, 2 and 3, followed through the Link header


def test_other_markers_and_system_notes_are_left_alone(fake: FakeGitLab) -> None:
    fake.add_note(1, f"{MARKER} mentioned by GitLab", system=True)
    fake.add_note(1, "<!-- i4qew:plan:production -->\nprod plan")
    assert upsert_mr_note(target(fake), 1, "dev plan", MARKER) == "created"
    assert [n["body"] for n in fake.notes[1]][:2] == [
        f"{MARKER} mentioned by GitLab",
        "<!-- i4qew:plan:production -->\nprod plan",
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "GitLab refused the token (401)"),
        (403, "GitLab denied access (403)"),
        (404, "GitLab found nothing (404)"),
        (422, "GitLab answered 422"),
        (500, "GitLab failed (500, server error)"),
        (502, "GitLab failed (502, server error)"),
        (503, "GitLab failed (503, server error)"),
    ],
)
def test_failures_are_clear_and_never_show_the_token(
    fake: FakeGitLab, status: int, expected: str
) -> None:
    fake.fail_with = status  # the fake even quotes the token back in its error body
    with pytest.raises(GitLabError) as caught:
        upsert_mr_note(target(fake), 1, "plan", MARKER)
    text = str(caught.value)
    assert expected in text
    assert TOKEN not in text and TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_wrong_token_and_unknown_project(fake: FakeGitLab) -> None:
    fake.token = "another-token"
    with pytest.raises(GitLabError, match=r"refused the token \(401\).*I4QEW_GITLAB_TOKEN"):
        upsert_mr_note(target(fake), 1, "plan", MARKER)
    fake.token = TOKEN
    with pytest.raises(GitLabError, match=r"404.*CI_PROJECT_ID"):
        upsert_mr_note(target(fake, "999"), 1, "plan", MARKER)


def test_connection_refused_is_an_error_not_a_traceback() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t = GitLabTarget(url=f"http://127.0.0.1:{port}", token=TOKEN, project="1")
    with pytest.raises(GitLabError, match="cannot reach GitLab") as caught:
        upsert_mr_note(t, 1, "plan", MARKER)
    assert TOKEN not in str(caught.value)


def test_merge_request_is_opened_once_then_updated(fake: FakeGitLab) -> None:
    t = target(fake)
    fake.add_mr("i4qew/promote-production-abc1234", "production", state="closed")
    url = open_merge_request(t, "i4qew/promote-production-abc1234", "production", "T1", "D1")
    again = open_merge_request(t, "i4qew/promote-production-abc1234", "production", "T2", "D2")
    assert url == again and url.endswith("/-/merge_requests/3")
    opened = [
        mr for mr in fake.mrs if mr["state"] == "opened" and mr["target_branch"] == "production"
    ]
    assert len(opened) == 1
    assert (opened[0]["title"], opened[0]["description"]) == ("T2", "D2")


def test_target_from_env_reads_the_ci_variables_and_never_the_job_token() -> None:
    env = {"CI_SERVER_URL": "https://gl.example/", "CI_PROJECT_ID": "7", "GITLAB_TOKEN": "t"}
    assert target_from_env(env) == GitLabTarget("https://gl.example", "t", "7")
    env["I4QEW_GITLAB_TOKEN"] = "preferred"
    assert target_from_env(env).token == "preferred"
    assert "preferred" not in repr(target_from_env(env))
    with pytest.raises(GitLabError, match="I4QEW_GITLAB_TOKEN"):
        target_from_env({"CI_SERVER_URL": "u", "CI_PROJECT_PATH": "g/p", "CI_JOB_TOKEN": "j"})


def test_an_unreachable_server_url_with_userinfo_is_quoted_without_it(tmp_path: Path) -> None:
    """GitLab errors pass the one redaction git's do: the token in every form and any
    URL userinfo (a token pasted into CI_SERVER_URL) are gone from the message."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing answers there
    url = f"http://oauth2:{TOKEN}x@127.0.0.1:{port}"
    with pytest.raises(GitLabError) as caught:
        upsert_mr_note(GitLabTarget(url=url, token=TOKEN, project="7"), 1, "body", MARKER)
    message = str(caught.value)
    assert "cannot reach GitLab at http://127.0.0.1:" in message
    assert TOKEN not in message and "oauth2" not in message


# --- the `i4qew mr-note` command -------------------------------------------------


def ci_env(fake: FakeGitLab, iid: str = "1") -> dict[str, str]:
    return {
        "CI_SERVER_URL": fake.url,
        "CI_PROJECT_ID": str(fake.project_id),
        "CI_MERGE_REQUEST_IID": iid,
        "I4QEW_GITLAB_TOKEN": TOKEN,
        "CI_JOB_TOKEN": "job-token-must-not-be-used",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def test_cli_posts_then_updates(fake: FakeGitLab, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    runner = CliRunner()
    for n, outcome in enumerate(["created", "updated", "unchanged"]):
        plan.write_text(f"# Plan\n\nrun {min(n, 1)}\n", encoding="utf-8")
        result = runner.invoke(mr_note, [str(plan), "--marker", "plan:dev"], env=ci_env(fake))
        assert result.exit_code == 0, result.output
        assert f"note {outcome} on merge request !1" in result.stdout
    assert len(fake.notes[1]) == 1 and fake.notes[1][0]["body"].startswith(MARKER)


def test_cli_links_the_page_and_shows_the_picture_of_the_job(fake: FakeGitLab, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(f"{MARKER}\n### i4qew plan: `dev`\n\n3 workloads.\n\n| a |\n", encoding="utf-8")
    job = "https://gitlab.example.com/edge/workloads/-/jobs/42"
    result = CliRunner().invoke(mr_note, [str(plan), "--marker", "plan:dev", "--page", "plan.html",
                                          "--picture", "plan.svg"], env={**ci_env(fake), "CI_JOB_URL": job})
    assert result.exit_code == 0, result.output
    body = fake.notes[1][0]["body"]
    page, picture = f"{job}/artifacts/file/plan.html", f"{job}/artifacts/raw/plan.svg"
    assert body == (f"{MARKER}\n### i4qew plan: `dev`\n\n3 workloads.\n\n[![Placement by site]({picture})]({page})\n\n"
                    f"**[Open the placement page]({page})** (`plan.html`, an artifact of this job)\n\n| a |\n")


def test_cli_without_a_job_url_posts_the_note_without_links(fake: FakeGitLab, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    result = CliRunner().invoke(mr_note, [str(plan), "--page", "plan.html"], env=ci_env(fake))
    assert result.exit_code == 0
    assert "CI_JOB_URL is not set: the note does not link the job's artifacts" in result.stderr
    assert fake.notes[1][0]["body"].endswith("# Plan\n")


@pytest.mark.parametrize("path", ["../plan.html", "/plan.html", ".hidden", "a b.html", "p)x.html", ""])
def test_cli_refuses_an_artifact_path_outside_the_job(tmp_path: Path, path: str) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    result = CliRunner().invoke(mr_note, [str(plan), "--page", path])
    assert result.exit_code == 2 and "--page" in result.output


def test_cli_skips_outside_merge_requests(fake: FakeGitLab, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    result = CliRunner().invoke(mr_note, [str(plan)], env=ci_env(fake, iid=""))
    assert result.exit_code == 0
    assert "not in a merge request pipeline, skipped" in result.stdout
    assert fake.requests == []


def test_cli_rejects_a_marker_that_would_break_the_comment(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(mr_note, [str(plan), "--marker", "a-->b"])
    assert result.exit_code == 2


@pytest.mark.parametrize("status", [401, 403, 500])
def test_cli_failure_exits_4_without_the_token(
    fake: FakeGitLab, tmp_path: Path, status: int
) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    fake.fail_with = status
    result = CliRunner().invoke(mr_note, [str(plan)], env=ci_env(fake))
    assert result.exit_code == 4
    assert result.stderr.startswith("i4qew: error: ")
    assert f"({status}" in result.stderr
    assert TOKEN not in result.output and "Traceback" not in result.output


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "I4QEW_", "GITLAB_"))}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "generator"), base.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "i4qew", "mr-note", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_as_a_subprocess(fake: FakeGitLab, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n", encoding="utf-8")
    first = run_cli(ci_env(fake), str(plan))
    second = run_cli(ci_env(fake), str(plan), "--marker", "plan")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "note created" in first.stdout and "note unchanged" in second.stdout
    fake.fail_with = 401
    failed = run_cli(ci_env(fake), str(plan))
    assert failed.returncode == 4
    assert "i4qew: error: GitLab refused the token (401)" in failed.stderr
    assert TOKEN not in failed.stdout + failed.stderr and "Traceback" not in failed.stderr
    assert len(fake.notes[1]) == 1
