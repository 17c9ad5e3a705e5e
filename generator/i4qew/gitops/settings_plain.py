"""The branch i4qew.yaml names for an environment, read without judging the file: a
no-op publish needs no more (gitops/publish.py). Only a candidate: publish trusts it when
that branch's i4qew commit records these very inputs, this i4qew.yaml's blob among them,
so the file was judged whole (gitops/settings.py, the validation) when that commit was made
by the same version of i4qew, and then named the same branch. Anything else is None and
left to the settings read in full."""

from __future__ import annotations

from typing import Any

from i4qew.gitops.source import Source, read_blob
from i4qew.load.files import MAX_DECLARATION_BYTES, REPOSITORY_FILE, decode
from i4qew.load.yamlio import parse
from i4qew.problems import Problem


def repository_document(source: Source, blob: str | None) -> tuple[str, int, dict[str, Any]] | None:
    """i4qew.yaml at blob `blob`: its text, the index of its one Repository document and the
    document; None when it is missing, too large, not text, not YAML or not one Repository."""
    if blob is None or blob == "missing":
        return None
    data = read_blob(source, blob)
    if len(data) > MAX_DECLARATION_BYTES:
        return None
    text = decode(REPOSITORY_FILE, data)
    if isinstance(text, Problem):
        return None
    parsed = parse(REPOSITORY_FILE, text.text)
    if isinstance(parsed, Problem):
        return None
    docs = [d for d in parsed.docs if d is not None]
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != "Repository":
        return None
    return text.text, parsed.docs.index(docs[0]), docs[0]


def plain_branch(source: Source, blob: str | None, env: str) -> str | None:
    """The branch of `env` as i4qew.yaml (blob `blob`) lists it in spec.environments,
    with model/build.py's default name; None when the file does not list it plainly
    (no environments: the defaults; a promoted environment; anything unreadable)."""
    found = repository_document(source, blob)
    spec = found[2].get("spec") if found is not None else None
    listed = spec.get("environments") if isinstance(spec, dict) else None
    found_env = [e for e in listed if isinstance(e, dict) and e.get("name") == env] if isinstance(listed, list) else []
    if len(found_env) != 1 or found_env[0].get("promotesFrom") is not None:
        return None
    branch = found_env[0].get("branch", "acm-dev" if env == "dev" else env)  # model/build.py build_repository
    return branch if isinstance(branch, str) else None
