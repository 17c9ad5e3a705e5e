"""Who authors and commits the generated commits.

`--author "Name <email>"` wins; then git's own GIT_AUTHOR_*/GIT_COMMITTER_*
variables; then the user who ran the pipeline (GitLab's GITLAB_USER_NAME and
GITLAB_USER_EMAIL); then "i4qew <i4qew@localhost>". The user's git config is
not consulted, so the same pipeline writes the same identity on any runner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_NAME = "i4qew"
DEFAULT_EMAIL = "i4qew@localhost"
_PERSON = re.compile(r"\s*([^<>\n]*?)\s*<([^<>\s]+)>\s*\Z")


class BadIdentity(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    author: tuple[str, str]
    committer: tuple[str, str]

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.author[0], "GIT_AUTHOR_EMAIL": self.author[1],
            "GIT_COMMITTER_NAME": self.committer[0], "GIT_COMMITTER_EMAIL": self.committer[1],
        }


def parse_person(text: str) -> tuple[str, str]:
    m = _PERSON.match(text)
    if not m or not m.group(1):
        raise BadIdentity(f"{text!r} is not of the form 'Name <email>'")
    return m.group(1), m.group(2)


def resolve_identity(author: str | None, environ: Mapping[str, str]) -> Identity:
    ci = (environ.get("GITLAB_USER_NAME", ""), environ.get("GITLAB_USER_EMAIL", ""))
    fallback = ci if all(ci) else (DEFAULT_NAME, DEFAULT_EMAIL)
    given = parse_person(author) if author else None

    def pick(role: str, first: tuple[str, str] | None) -> tuple[str, str]:
        if first:
            return first
        name, email = environ.get(f"GIT_{role}_NAME", ""), environ.get(f"GIT_{role}_EMAIL", "")
        return (name or fallback[0], email or fallback[1])

    author_id = pick("AUTHOR", given)
    committer_id = pick("COMMITTER", None) if environ.get("GIT_COMMITTER_NAME") or environ.get("GIT_COMMITTER_EMAIL") else author_id
    return Identity(author_id, committer_id)
