"""The only module that talks to GitLab (through python-gitlab).

Which token: a project (or group) access token with the `api` scope, in the CI/CD
variable `I4QEW_GITLAB_TOKEN` (fallback `GITLAB_TOKEN`), masked and protected. Its role
must be Reporter or higher to write MR notes, Developer or higher to open merge
requests. `CI_JOB_TOKEN` is never used: GitLab does not let it write notes or MRs.

Every failure becomes a `GitLabError` whose text is safe to print: the token is
redacted from anything we quote (python-gitlab messages, response bodies, URLs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import gitlab
import requests

from i4qew import __version__
from i4qew.text import redact

TOKEN_VARIABLES = ("I4QEW_GITLAB_TOKEN", "GITLAB_TOKEN")
TIMEOUT_SECONDS = 30.0
T = TypeVar("T")


class GitLabError(Exception):
    """A GitLab call failed; the message is for humans and never holds the token."""


@dataclass(frozen=True)
class GitLabTarget:
    url: str  # the server, e.g. https://gitlab.example.com (not the /api/v4 URL)
    token: str = field(repr=False)  # repr=False: a logged target must not leak it
    project: str  # numeric id or full path ("group/sub/project")


def target_from_env(env: Mapping[str, str]) -> GitLabTarget:
    """The GitLab project of the running pipeline, from GitLab's predefined variables."""
    url = env.get("I4QEW_GITLAB_URL") or env.get("CI_SERVER_URL") or ""
    project = env.get("CI_PROJECT_ID") or env.get("CI_PROJECT_PATH") or ""
    # a token read from a file often keeps its newline; inside, a line break or control
    # character would make the HTTP client fail on the header (and quote the token)
    token = next((env[name] for name in TOKEN_VARIABLES if env.get(name)), "").strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in token):
        raise GitLabError("I4QEW_GITLAB_TOKEN holds a line break or another control character; "
                          "set it to the access token alone")
    missing = [
        name
        for name, value in (
            ("CI_SERVER_URL", url),
            ("CI_PROJECT_ID or CI_PROJECT_PATH", project),
            ("I4QEW_GITLAB_TOKEN", token),
        )
        if not value
    ]
    if missing:
        raise GitLabError(
            f"missing {', '.join(missing)}: run inside a GitLab pipeline and set "
            "I4QEW_GITLAB_TOKEN to a project access token with the `api` scope "
            "(CI_JOB_TOKEN cannot write notes or merge requests)"
        )
    return GitLabTarget(url=url.rstrip("/"), token=token, project=project)


def _explain(target: GitLabTarget, action: str, exc: Exception) -> GitLabError:
    """A human sentence for a failed call: what to check, not a traceback."""
    found = getattr(exc, "response_code", None)
    code = found if isinstance(found, int) else None  # None: no HTTP answer at all
    detail = str(getattr(exc, "error_message", "") or exc)
    if code == 401:
        text = (
            f"GitLab refused the token (401) while {action}: check that I4QEW_GITLAB_TOKEN "
            "holds a valid, unexpired access token with the `api` scope"
        )
    elif code == 403:
        text = (
            f"GitLab denied access (403) while {action}: the token needs the `api` scope "
            "and the Reporter role (MR notes) or Developer role (merge requests)"
        )
    elif code == 404:
        text = (
            f"GitLab found nothing (404) while {action}: check CI_PROJECT_ID and the MR, "
            f"and that the token's user is a member of project {target.project}"
        )
    elif code is not None and code >= 500:
        text = f"GitLab failed ({code}, server error) while {action}: try again later"
    elif code is not None:
        text = f"GitLab answered {code} while {action}: {detail}"
    elif isinstance(exc, requests.Timeout):
        text = f"GitLab at {target.url} did not answer in {TIMEOUT_SECONDS:.0f}s while {action}"
    elif isinstance(exc, requests.RequestException):
        # requests' own text is a wall of urllib3 internals; the cause is what helps
        text = (
            f"cannot reach GitLab at {target.url} while {action}: the connection failed "
            "(refused, unknown host or TLS error); check CI_SERVER_URL"
        )
    else:
        text = f"GitLab call failed while {action}: {detail}"
    return GitLabError(redact(text, [target.token]))


def _call(target: GitLabTarget, action: str, work: Callable[[gitlab.Gitlab], T]) -> T:
    client = gitlab.Gitlab(
        target.url,
        private_token=target.token,
        timeout=TIMEOUT_SECONDS,
        user_agent=f"i4qew/{__version__}",
        # the server's external_url may differ from CI_SERVER_URL behind a proxy;
        # keep following pages on the URL we were given
        keep_base_url=True,
    )
    try:
        return work(client)
    except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
        raise _explain(target, action, exc) from None


def upsert_mr_note(target: GitLabTarget, mr_iid: int, body: str, marker: str) -> str:
    """Create the MR note carrying `marker`, or update it in place: never a second one.

    Returns "created", "updated" or "unchanged".
    """
    if marker not in body:
        body = f"{marker}\n{body}"

    def work(client: gitlab.Gitlab) -> str:
        project = client.projects.get(target.project, lazy=True)
        mr = project.mergerequests.get(mr_iid, lazy=True)
        # iterator=True follows every page: the marker note may be far down a busy MR
        notes: Any = mr.notes.list(iterator=True, sort="asc", order_by="created_at")
        for note in notes:
            if not note.attributes.get("system") and marker in (note.body or ""):
                if note.body == body:
                    return "unchanged"
                note.body = body
                note.save()
                return "updated"
        mr.notes.create({"body": body})
        return "created"

    return _call(target, f"writing the note on merge request !{mr_iid}", work)


def open_merge_request(
    target: GitLabTarget, source_branch: str, target_branch: str, title: str, description: str
) -> str:
    """Open the MR source_branch -> target_branch, or update the open one; its web URL."""

    def work(client: gitlab.Gitlab) -> str:
        project = client.projects.get(target.project, lazy=True)
        existing: Any = project.mergerequests.list(
            state="opened", source_branch=source_branch, target_branch=target_branch, iterator=True
        )
        for mr in existing:
            if mr.title != title or mr.description != description:
                mr.title = title
                mr.description = description
                mr.save()
            return str(mr.web_url)
        created: Any = project.mergerequests.create(
            {
                "source_branch": source_branch,
                "target_branch": target_branch,
                "title": title,
                "description": description,
                "remove_source_branch": True,  # promotion branches are throwaway
            }
        )
        return str(created.web_url)

    return _call(target, f"opening the merge request {source_branch} -> {target_branch}", work)
