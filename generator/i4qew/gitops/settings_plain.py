"""The branch i4qew.yaml names for an environment, read without judging the file: a
no-op publish needs no more (gitops/publish.py). Only a candidate: publish trusts it when
that branch's i4qew commit records these very inputs, this i4qew.yaml's blob among them,
so the file was judged whole (gitops/settings.py, the validation) when that commit was made
by the same version of i4qew, and then named the same branch. Anything else is None and
left to the settings read in full."""

from __future__ import annotations

from i4qew.gitops.source import Source, read_blob
from i4qew.load.files import MAX_DECLARATION_BYTES, REPOSITORY_FILE, decode
from i4qew.load.yamlio import parse
from i4qew.problems import Problem


def plain_branch(source: Source, blob: str | None, env: str) -> str | None:
    """The branch of `env` as i4qew.yaml (blob `blob`) lists it in spec.environments,
    with model/build.py's default name; None when the file does not list it plainly
    (no environments: the defaults; a promoted environment; anything unreadable)."""
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
    spec = docs[0].get("spec")
    listed = spec.get("environments") if isinstance(spec, dict) else None
    found = [e for e in listed if isinstance(e, dict) and e.get("name") == env] if isinstance(listed, list) else []
    if len(found) != 1 or found[0].get("promotesFrom") is not None:
        return None
    branch = found[0].get("branch", "acm-dev" if env == "dev" else env)  # model/build.py build_repository
    return branch if isinstance(branch, str) else None
