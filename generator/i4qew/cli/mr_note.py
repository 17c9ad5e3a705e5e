"""`i4qew mr-note FILE`: post a markdown file (the plan) as one MR note, updated in place.

Run by the CI plugin's plan job. Outside a merge request pipeline it does nothing,
so the same job script works on branch pipelines too.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO

import click

from i4qew.problems import ExitCode

# GitLab rejects notes above 1,000,000 characters; leave room for the marker and footer.
MAX_NOTE_CHARS = 990_000
# The key ends up inside an HTML comment: "--" or ">" would close it early.
MARKER_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*\Z")


def marker_for(key: str) -> str:
    """The hidden marker by which later pipelines find the note again."""
    return f"<!-- i4qew:{key} -->"


def _truncated(text: str, job_url: str) -> str:
    if len(text) <= MAX_NOTE_CHARS:
        return text
    where = f"the job's artifacts ({job_url})" if job_url else "the job's artifacts"
    return text[:MAX_NOTE_CHARS] + f"\n\n…truncated: the full plan is in {where}.\n"


@click.command("mr-note")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--marker",
    "key",
    metavar="KEY",
    default="plan",
    show_default=True,
    help="Key of the hidden marker `<!-- i4qew:KEY -->` that identifies the note, "
    "e.g. plan:dev for one note per environment.",
)
def command(file: IO[str], key: str) -> None:
    """Post FILE (markdown, `-` for stdin) as a note on the current merge request.

    Later runs with the same --marker update that note instead of adding another.
    Reads GitLab's CI variables (CI_SERVER_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID)
    and the token from I4QEW_GITLAB_TOKEN (fallback GITLAB_TOKEN): a project access
    token with the `api` scope and at least the Reporter role. CI_JOB_TOKEN cannot
    write notes.
    """
    if "--" in key or not MARKER_KEY.match(key):
        raise click.BadParameter(
            "letters, digits and . _ : / - only, not starting with a symbol, no '--'",
            param_hint="--marker",
        )
    iid_text = os.environ.get("CI_MERGE_REQUEST_IID", "").strip()
    if not iid_text:
        click.echo("i4qew: not in a merge request pipeline, skipped")
        return
    if not iid_text.isdigit():
        raise click.UsageError(f"CI_MERGE_REQUEST_IID is not a number: {iid_text!r}")
    body = _truncated(file.read(), os.environ.get("CI_JOB_URL", ""))

    # imported here: python-gitlab and requests are slow to import, and most
    # i4qew commands never need them
    from i4qew.gitlab import GitLabError, target_from_env, upsert_mr_note

    try:
        target = target_from_env(os.environ)
        outcome = upsert_mr_note(target, int(iid_text), body, marker_for(key))
    except GitLabError as exc:
        click.echo(f"i4qew: error: {exc}", err=True)
        sys.exit(ExitCode.EXTERNAL)
    click.echo(f"i4qew: note {outcome} on merge request !{iid_text}")
