"""`i4qew mr-note FILE`: post a markdown file (the plan) as one MR note, updated in place.

Run by the CI plugin's plan job. Outside a merge request pipeline it does nothing,
so the same job script works on branch pipelines too.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO
from urllib.parse import quote

import click

from i4qew.problems import ExitCode

# GitLab rejects notes above 1,000,000 characters; leave room for the marker and footer.
MAX_NOTE_CHARS = 990_000
# The key ends up inside an HTML comment: "--" or ">" would close it early.
MARKER_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*\Z")


def marker_for(key: str) -> str:
    """The hidden marker by which later pipelines find the note again."""
    return f"<!-- i4qew:{key} -->"


ARTIFACT_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\Z")


def artifact_path(value: str | None, option: str) -> str | None:
    """A path inside the job's artifacts, as it goes into a URL and into markdown:
    relative, letters, digits and . _ - only, no part starting with a dot."""
    if value is not None and not ARTIFACT_PATH.match(value):
        raise click.BadParameter(f"{value!r}: a relative path of letters, digits and . _ - is expected "
                                 "(no part starting with '.')", param_hint=option)
    return value


def with_links(body: str, job_url: str, page: str | None, picture: str | None) -> str:
    """The note with the job's page (and picture) linked after its first heading's paragraph.

    GitLab serves a job artifact at <job URL>/artifacts/file/PATH (an HTML file opens
    through GitLab Pages where the instance has them, else GitLab offers it for
    download) and at /artifacts/raw/PATH (the bytes, for an image). A note cannot
    inline SVG data (GitLab's sanitizer drops data: images), so the picture is the
    artifact's URL: it shows to everyone who may read the job, as long as the
    artifact is kept."""
    if not page and not picture:
        return body
    base = job_url.rstrip("/") + "/artifacts"
    lines = []
    if picture:
        image = f"![Placement by site]({base}/raw/{quote(picture)})"
        lines.append(f"[{image}]({base}/file/{quote(page)})" if page else image)
    if page:
        lines.append(f"**[Open the placement page]({base}/file/{quote(page)})** (`{page}`, an artifact of this job)")
    block = "\n\n".join(lines)
    text = body.split("\n")
    heading = next((i for i, line in enumerate(text) if line.startswith("#")), None)
    if heading is None:
        return block + "\n\n" + body
    at = heading + 1  # after the paragraph that follows the heading (the plan's headline)
    while at < len(text) and not text[at].strip():
        at += 1
    while at < len(text) and text[at].strip():
        at += 1
    return "\n".join([*text[:at], "", block, *text[at:]])


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
@click.option("--page", "page", metavar="PATH", default=None,
              help="A page among this job's artifacts (e.g. plan.html) to link from the note ($CI_JOB_URL).")
@click.option("--picture", "picture", metavar="PATH", default=None,
              help="An image among this job's artifacts (e.g. plan.svg) to show in the note, linking to --page.")
def command(file: IO[str], key: str, page: str | None, picture: str | None) -> None:
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
    page = artifact_path(page, "--page")
    picture = artifact_path(picture, "--picture")
    iid_text = os.environ.get("CI_MERGE_REQUEST_IID", "").strip()
    if not iid_text:
        click.echo("i4qew: not in a merge request pipeline, skipped")
        return
    if not iid_text.isdigit():
        raise click.UsageError(f"CI_MERGE_REQUEST_IID is not a number: {iid_text!r}")
    job_url = os.environ.get("CI_JOB_URL", "").strip()
    text = file.read()
    if (page or picture) and not job_url:
        click.echo("i4qew: CI_JOB_URL is not set: the note does not link the job's artifacts", err=True)
    elif page or picture:
        text = with_links(text, job_url, page, picture)
    body = _truncated(text, job_url)

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
