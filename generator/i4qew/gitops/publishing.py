"""What publish's two halves share: gitops/publish.py answers a publish that needs no
render (importing little: a no-op publish is a CI job's whole run), gitops/publish_render.py
renders. The request, the landing, and the outcomes decided before any render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from i4qew.gitops import trailers as T
from i4qew.gitops.branch import BranchState
from i4qew.gitops.credentials import is_url
from i4qew.gitops.git import Started
from i4qew.gitops.identity import resolve_identity
from i4qew.gitops.land import Landing, Outcome
from i4qew.gitops.remote import RemoteError, open_remote
from i4qew.gitops.source import Source, dirty_inputs
from i4qew.problems import UserError


@dataclass(frozen=True)
class PublishRequest:
    root: Path
    env: str
    remote: str = "origin"
    push: bool = True
    dry_run: bool = False
    overwrite_drift: bool = False
    rerender: bool = False  # ignore the recorded input fingerprint
    inventory: Path | None = None
    author: str | None = None
    attempts: int = 5
    backoff: float = 0.25


@dataclass(frozen=True)
class HeadRead:
    """The environment branch's head as gitops/publish.py read it before deciding to render:
    the render half lands through the same landing, starting from that state."""

    branch: str
    landing: Landing
    state: BranchState


def make_landing(source: Source, remote: str, push: bool, dry_run: bool, author: str | None,
                 attempts: int, backoff: float, environ: Mapping[str, str]) -> Landing:
    branches = open_remote(source.git, remote, environ) if push else None
    source_remote = None
    if branches is not None and remote != "origin":
        # environment branches in another repository: the source history is on origin
        has_origin = source.git.run("remote", "get-url", "origin", check=False).returncode == 0
        source_remote = open_remote(source.git, "origin", environ) if has_origin else None
    return Landing(
        source=source, remote=branches, identity=resolve_identity(author, environ),
        tracking=None if is_url(remote) else remote, source_remote=source_remote,
        dry_run=dry_run, attempts=attempts, backoff=backoff,
    )


def unpushed(landing: Landing, commit: str, branch: str) -> tuple[str, ...]:
    """Say so when no branch of the source's remote holds the published commit: nobody
    else can fetch the Source-Commit that `branch` names (to trace or rebuild it) until
    it is pushed. Advisory: a remote that cannot be read here is not a failure."""
    where = landing.source_remote or landing.remote
    try:
        if where is None or where.on_a_branch(commit):
            return ()
    except RemoteError:
        return ()
    return (f"warning: the source commit {commit[:12]} is on no branch of {where.display}: {branch} "
            "names a Source-Commit nobody else can see until you push it (git push)",)


def refuse_drift(state: BranchState, verb: str) -> UserError:
    lines = state.drift_report()
    lines.append(f"refusing to {verb} over changes i4qew did not make: move them into the workload "
                 "repository, or pass --overwrite-drift to replace them (an ordinary commit, history kept)")
    return UserError("\n".join(lines))


def late_outcome(branch: str, base_source: str, ours: str) -> Outcome:
    return Outcome("late", branch, None, (
        f"{branch} already holds source commit {base_source[:12]}, which descends from {ours[:12]}: "
        "nothing to do (a late pipeline; the branch never moves back in source history)",))


def overwrite_note(state: BranchState) -> str:
    if not state.drifted:
        return ""
    return "Overwrites changes not made by i4qew:\n" + "\n".join(state.drift_report()[1:])


def records_inputs(req: PublishRequest, state: BranchState, fingerprint: Callable[[tuple[str, ...]], str]) -> bool:
    """Whether the branch head is i4qew's commit of exactly these inputs for this
    environment (its recorded fingerprint, with the config files it names), untouched since."""
    base = state.base
    if base is None or state.drifted or req.rerender:
        return False
    extra = base.trailers.get(T.INPUT_PATH.lower(), ())
    return base.trailer(T.ENVIRONMENT) == req.env and base.trailer(T.INPUTS) == fingerprint(extra)


def before_render(req: PublishRequest, source: Source, landing: Landing, state: BranchState, branch: str,
                  fingerprint: Callable[[tuple[str, ...]], str], status: Started | None = None) -> Outcome | None:
    """The outcome decided against the branch head before anything is rendered: drift
    refused, a late pipeline, inputs unchanged; None when the commit must be rendered.
    `status`: dirty_status of the inputs without config files, already running."""
    ours, base = source.head, state.base
    if state.drifted and not req.overwrite_drift:
        raise refuse_drift(state, "publish")
    if base is not None and base.source:
        relation = landing.relation(ours, base.source)
        if relation == "older":
            return late_outcome(branch, base.source, ours)
        if relation == "diverged":
            landing.note(f"{branch} was built from {base.source[:12]}, which is not in the "
                         f"history of {ours[:12]}; publishing over it")
    if base is not None and records_inputs(req, state, fingerprint):
        extra = base.trailers.get(T.INPUT_PATH.lower(), ())
        dirty = dirty_inputs(source, extra, req.inventory is None, None if extra else status)
        if dirty:
            landing.note(f"uncommitted changes to {', '.join(dirty[:5])} are not published: "
                         "publish renders the checked-out commit")
        return Outcome("unchanged", branch, state.head.sha if state.head else None, (
            f"{branch} is up to date: its inputs are those of {ours[:12]}; nothing to commit",))
    return None
