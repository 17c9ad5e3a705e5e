"""The environment branch's tree with its rollout waves re-pinned: `hub/rollout.yaml`
and the wave Subscriptions (or ApplicationSets) rewritten, every other file kept as
the branch has it (the same writer as the compiler, so an unchanged state gives
identical bytes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from i4qew.compile.hub.argocd_waves import pin_applicationset
from i4qew.compile.hub.rollout_state import PATH, RolloutState, data_of
from i4qew.compile.hub.subscription import yaml_docs
from i4qew.compile.hub.waves import WAVE_LABEL, pin
from i4qew.gitops.git import Git
from i4qew.gitops.objects import Stored, read_blobs
from i4qew.load.yamlio import Parsed, parse
from i4qew.model.repo import Environment
from i4qew.problems import UserError

APPLICATIONSETS = "hub/argocd/applicationsets/"


def files_of(listing: Mapping[str, str]) -> dict[str, str]:
    """The files of an `ls-tree -r -t` listing (its folders left out)."""
    folders = {p.rsplit("/", 1)[0] for p in listing if "/" in p}
    return {p: oid for p, oid in listing.items() if p not in folders}


def _docs(path: str, data: bytes) -> list[Any]:
    parsed = parse(path, data.decode("utf-8"))
    if not isinstance(parsed, Parsed):
        raise UserError(f"{path} on the environment branch is not YAML i4qew can read: publish it again")
    return [d for d in parsed.docs if isinstance(d, dict)]


def repinned(git: Git, listing: Mapping[str, str], env: Environment, state: RolloutState) -> dict[str, bytes | Stored]:
    files: dict[str, bytes | Stored] = {p: Stored(oid) for p, oid in files_of(listing).items()}
    targets = [p for p in files if p == PATH or (p.startswith("hub/apps/") and "/workloads/" in p)
               or p.startswith(APPLICATIONSETS)]
    blobs = read_blobs(git, sorted({listing[p] for p in targets}))
    for path in targets:
        docs = _docs(path, blobs[listing[path]])
        if path == PATH:
            for d in docs:
                if d.get("kind") == "ConfigMap":
                    d["data"] = data_of([w.name for w in env.waves], state)
        for d in docs:
            wave = ((d.get("metadata") or {}).get("labels") or {}).get(WAVE_LABEL)
            if d.get("kind") == "Subscription" and wave:
                pin(d, env.branch, wave, state.wave(wave).commit)
            elif d.get("kind") == "ApplicationSet" and wave:
                pin_applicationset(d, env.branch, state.wave(wave).commit)
        data = yaml_docs(docs)
        if data != blobs[listing[path]]:
            files[path] = data
    return files
