"""The model versions that held-back rollout waves still run (docs/models.md, "With waves").

A staging chart follows the environment branch head, while a wave pinned to an older
commit runs that commit's workload charts, whose gates wait for the versions *that*
commit pinned. So the head's staging also keeps, for every commit a wave runs or may
roll back to, the versions that commit's own workloads pinned, with the very entries
its staging chart gave the stager:

    own versions of commit C   models/index.json (models/<hub>/index.json with hubs):
                               the versions C's placements need, stager-distributed
    their entries              staging/<ns>/<model>/values.yaml at C, `desired.versions`

Only a commit's own versions count (not those it held itself), so a version is held
exactly as long as some wave's commit or previous commit pins it. Pure: gitops/
held_models.py reads the files at each pinned commit and passes them here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from i4qew.load.yamlio import Parsed, parse

# staging folder (staging/<ns>/<model>) -> version -> the stager's desired entry
Held = Mapping[str, Mapping[str, Mapping[str, Any]]]


def own_versions(index: bytes) -> set[tuple[str, str, str]]:
    """(model, version, namespace) a commit's model index says its workloads need, for the
    versions i4qew stages (an unreadable index: none)."""
    try:
        data = json.loads(index)
    except ValueError:
        return set()
    out: set[tuple[str, str, str]] = set()
    for m in data.get("models") or () if isinstance(data, dict) else ():
        if isinstance(m, dict) and m.get("distribution") == "stager":
            for p in m.get("placements") or ():
                if isinstance(p, dict):
                    out.add((str(m.get("name")), str(m.get("version")), str(p.get("namespace"))))
    return out


def _entries(path: str, values: bytes) -> tuple[str, list[Mapping[str, Any]]]:
    parsed = parse(path, values.decode("utf-8", "replace"))
    if not isinstance(parsed, Parsed) or not parsed.docs or not isinstance(parsed.docs[0], dict):
        return "", []
    doc = parsed.docs[0]
    desired = doc.get("desired")
    versions = desired.get("versions") if isinstance(desired, dict) else None
    return str(doc.get("mode") or ""), [e for e in versions or () if isinstance(e, dict)]


def held_at(files: Mapping[str, bytes]) -> dict[str, dict[str, Mapping[str, Any]]]:
    """One commit's own staged versions by staging folder, from its `files` (the model
    indexes and the staging charts' values.yaml, by branch path)."""
    own: set[tuple[str, str, str]] = set()
    for path, data in files.items():
        if (path.startswith("models/") and path.endswith("/index.json")) or path == "models/index.json":
            own |= own_versions(data)
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for path, data in sorted(files.items()):
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != "staging" or parts[3] != "values.yaml":
            continue
        folder, namespace = "/".join(parts[:3]), parts[1]
        mode, entries = _entries(path, data)
        for e in entries:
            model, version = str(e.get("model")), str(e.get("version"))
            # a PVC model's staging serves its own namespace's workloads; a node's serves all
            if any(m == model and v == version and (mode != "volume" or ns == namespace) for m, v, ns in own):
                out.setdefault(folder, {})[version] = e
    return out


def held(commits: Iterable[Mapping[str, bytes]]) -> Held:
    """The union over the pinned commits (in the order given: the first entry of a version
    wins, so the result does not depend on how often a commit is pinned)."""
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for files in commits:
        for folder, versions in held_at(files).items():
            for version, entry in versions.items():
                out.setdefault(folder, {}).setdefault(version, entry)
    return out
