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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml_rs

from i4qew import __version__
from i4qew.compile import Changed, capacity_fields, hub_fields, placement_fields
from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.git import Git, GitFailed
from i4qew.gitops.objects import Stored, StoredTree, walk
from i4qew.gitops.source import INPUTS, Source
from i4qew.load.files import DATA_FOLDER, YAML_SUFFIXES

WORKLOADS = "workloads/"


def _declaration(path: str) -> bool:
    return path.startswith(WORKLOADS) and path.endswith(YAML_SUFFIXES) and f"/{DATA_FOLDER}/" not in f"/{path}"


@dataclass(frozen=True)
class _Declared:
    keys: set[tuple[str, str]]  # (name, namespace) of each workload the file declares
    models: set[str]  # the models they mount
    placed: list[Any]  # the documents as the placement reads them (compile.placement_fields), in order
    capacity: list[Any]  # the documents' CAPACITY fields, in order
    hub: list[Any]  # the documents as their namespaces' hub objects read them (compile.hub_fields)


def _part(doc: Any, fields: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Any:
    """A document with only `fields` of its spec and of each environment's overrides."""
    spec = doc.get("spec") if isinstance(doc, dict) else None
    if not isinstance(spec, dict):
        return doc
    kept = fields(spec)
    envs = spec.get("environments")
    if isinstance(envs, dict):
        kept["environments"] = {k: fields(v) if isinstance(v, dict) else v for k, v in envs.items()}
    return {**doc, "spec": kept}


def _keys(text: bytes | None, namespace: str | None) -> _Declared | None:
    """What a file declares; None when it cannot be read."""
    if text is None:
        return _Declared(set(), set(), [], [], [])
    try:
        docs: Any = yaml_rs.loads(text.decode("utf-8"), parse_datetime=False)
    except Exception:  # invalid: validation reports it; render everything
        return None
    out: set[tuple[str, str]] = set()
    models: set[str] = set()
    placed: list[Any] = []
    capacity: list[Any] = []
    hub: list[Any] = []
    for doc in docs if isinstance(docs, list) else [docs]:
        placed.append(_part(doc, placement_fields))
        capacity.append(_part(doc, capacity_fields))
        hub.append(_part(doc, hub_fields))
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
    return _Declared(out, models, placed, capacity, hub)


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
    placement = capacity = hub = False
    for path in paths:
        before = _keys(_blob(source, since, path), default_namespace)
        after = _keys(_blob(source, source.head, path), default_namespace)
        if before is None or after is None:
            return None
        keys |= before.keys | after.keys
        models |= before.models | after.models
        placement = placement or before.placed != after.placed
        capacity = capacity or before.capacity != after.capacity
        hub = hub or before.hub != after.hub
    return Changed(frozenset(n for n, _ in keys), frozenset(ns for _, ns in keys), frozenset(models), placement,
                   capacity, hub=hub)


@dataclass
class HeadTree:
    """The branch head's tree as a render's RenderRequest.previous: read level by level
    down to the folders the render keeps or drops whole (gitops/objects.py walk)."""

    git: Git
    oid: str
    algo: str
    ids: dict[str, str] = field(default_factory=dict)  # path -> oid of every file and folder read

    def entries(self, whole: Callable[[str], bool]) -> tuple[str, ...]:
        self.ids, leaves = walk(self.git, self.oid, whole, self.algo)
        return leaves

    def stored(self, entry: str) -> Stored | StoredTree:
        """A kept entry of `entries`, by its id."""
        return StoredTree(self.ids[entry[:-1]]) if entry.endswith("/") else Stored(self.ids[entry])
