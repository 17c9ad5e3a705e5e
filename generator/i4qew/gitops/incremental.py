"""When publish may render only what changed since the branch head (compile/incremental.py).

The head must be a genuine i4qew commit (no drift) of the same environment and
i4qew version, from a source commit this repository holds, and the inputs that
differ between that commit and ours must be workload declarations only: a
change to i4qew.yaml, policies/, models/, clusters/, a mounted file or an
--inventory file renders everything. The workloads a change touches are read
from both sides of each changed file (a moved or renamed workload touches its
old and its new name and namespace). Anything unreadable: render everything;
validation then says what is wrong.
"""

from __future__ import annotations

from typing import Any

import yaml_rs

from i4qew import __version__
from i4qew.compile import Changed
from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.git import GitFailed
from i4qew.gitops.source import INPUTS, Source
from i4qew.load.files import DATA_FOLDER, YAML_SUFFIXES

WORKLOADS = "workloads/"


def _declaration(path: str) -> bool:
    return path.startswith(WORKLOADS) and path.endswith(YAML_SUFFIXES) and f"/{DATA_FOLDER}/" not in f"/{path}"


def _keys(text: bytes | None, namespace: str | None) -> tuple[set[tuple[str, str]], set[str]] | None:
    """(name, namespace) of the workloads a file declares, and the models they mount; None
    when it cannot be read."""
    if text is None:
        return set(), set()
    try:
        docs: Any = yaml_rs.loads(text.decode("utf-8"), parse_datetime=False)
    except Exception:  # invalid: validation reports it; render everything
        return None
    out: set[tuple[str, str]] = set()
    models: set[str] = set()
    for doc in docs if isinstance(docs, list) else [docs]:
        if doc is None:
            continue
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            return None
        ns = meta.get("namespace", namespace)
        if not isinstance(ns, str):
            return None
        out.add((meta["name"], ns))
        spec = doc.get("spec")
        model = spec.get("model") if isinstance(spec, dict) else None
        if model:  # Workload.model: spec.model.name (no per-environment override)
            if not isinstance(model, dict) or not isinstance(model.get("name"), str):
                return None
            models.add(model["name"])
    return out, models


def _blob(source: Source, commit: str, path: str) -> bytes | None:
    got = source.git.run("cat-file", "blob", source.spec(commit, path), check=False)
    return got.stdout if got.returncode == 0 else None


def changed_workloads(source: Source, state: BranchState, env: str, default_namespace: str | None,
                      with_inventory_file: bool) -> Changed | None:
    """The workloads changed since the head's source commit (and the models they mount,
    before and after), when only workloads changed."""
    base = state.base
    if with_inventory_file or state.head is None or base is None or state.drifted:
        return None
    since = base.trailer(T.SOURCE_COMMIT)
    if since is None or base.trailer(T.ENVIRONMENT) != env or base.trailer(T.VERSION) != __version__:
        return None
    extra = base.trailers.get(T.INPUT_PATH.lower(), ())  # the mounted files outside the input folders
    specs = [f"{source.prefix}{p}" for p in (*INPUTS, *extra)]
    try:
        out = source.git.run("diff", "--name-only", "-z", "--no-renames", since, source.head, "--", *specs).stdout
    except GitFailed:  # the source commit is not here (a shallow clone): render everything
        return None
    paths = [p.decode("utf-8", "surrogateescape")[len(source.prefix):] for p in out.split(b"\0") if p]
    if not paths or not all(_declaration(p) for p in paths):
        return None
    keys: set[tuple[str, str]] = set()
    models: set[str] = set()
    for path in paths:
        for commit in (since, source.head):
            got = _keys(_blob(source, commit, path), default_namespace)
            if got is None:
                return None
            keys |= got[0]
            models |= got[1]
    return Changed(frozenset(n for n, _ in keys), frozenset(ns for _, ns in keys), frozenset(models))
