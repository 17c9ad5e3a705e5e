"""Read, at each commit a rollout wave runs or may roll back to, what the staging charts
must keep for it (compile/staging/held.py): the model indexes and the staging charts'
values of that commit. Publish and promote pass the result to the render."""

from __future__ import annotations

from i4qew.compile.hub.rollout_state import RolloutState
from i4qew.compile.staging.held import Held, held
from i4qew.gitops.land import Landing
from i4qew.gitops.objects import files_under, read_blobs

FOLDERS = ("models", "staging")


def pinned_commits(state: RolloutState) -> list[str]:
    """Each wave's commit and the one it ran before (`rollout rollback` returns there), in
    wave order, each once."""
    out: list[str] = []
    for _, w in state.waves:
        for commit in (w.commit, w.previous):
            if commit and commit not in out:
                out.append(commit)
    return out


def _files(landing: Landing, commit: str) -> dict[str, bytes] | None:
    git = landing.git
    if not git.has_object(commit):
        return None
    listed = files_under(git, commit, *FOLDERS)
    if listed is None:
        return None
    ids = {p: oid for p, oid in listed.items() if p.endswith(("/index.json", "/values.yaml"))}
    blobs = read_blobs(git, sorted(set(ids.values())))
    return {p: blobs[oid] for p, oid in ids.items()}


def held_versions(landing: Landing, state: RolloutState | None) -> Held | None:
    """None without waves or pins (the staging charts are the render's alone)."""
    if state is None:
        return None
    trees = []
    for commit in pinned_commits(state):
        files = _files(landing, commit)
        if files is None:
            landing.note(f"commit {commit[:12]}, which a rollout wave pins, is not in this clone: the model "
                         "versions it runs are not kept on the staging charts (fetch the environment branch's "
                         "history)")
            continue
        trees.append(files)
    return held(trees) or None
