"""`publish`: the checked-out commit, rendered, as one commit on the environment branch.

Per attempt, against the branch head as the remote has it:
  drift            hand-made changes on the branch -> refuse (or --overwrite-drift)
  late pipeline    the branch already holds a newer source commit -> no commit
  unchanged        the head records the same input fingerprint, or the rendered
                   tree equals the head's tree -> no commit
  otherwise        one commit on top of the head (an orphan when the branch is new)

A publish whose branch head records these very inputs answers here, before any
settings check or renderer is imported (the default branch's pipeline runs publish
after every merge, most of them changing nothing for this environment); every other
publish goes through gitops/publish_render.py, which checks and renders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from i4qew.gitops.git import GitFailed
from i4qew.gitops.identity import BadIdentity
from i4qew.gitops.land import BeforePush, Outcome
from i4qew.gitops.publishing import (
    HeadRead,
    PublishRequest,
    before_render,
    make_landing,
    records_inputs,
)
from i4qew.gitops.remote import MissingRemote, RemoteError
from i4qew.gitops.settings_plain import plain_branch
from i4qew.gitops.source import Source, dirty_status, fingerprint, input_ids, open_source
from i4qew.load.files import REPOSITORY_FILE
from i4qew.problems import UserError

if TYPE_CHECKING:
    from i4qew.gitops.requests import RenderFn

__all__ = ["PublishRequest", "publish"]


def publish(
    req: PublishRequest,
    *,
    environ: Mapping[str, str] | None = None,
    render: RenderFn | None = None,
    before_push: BeforePush | None = None,
) -> Outcome:
    """Publish `req.root`'s checked-out commit to the branch of `req.env`.

    Raises UserError (refused: problems, drift, dirty inputs), RemoteError (the
    remote failed), RetriesExhausted (the branch kept moving).
    """
    environ = os.environ if environ is None else environ
    source = open_source(req.root, environ)
    ids = input_ids(source, source.head)
    done = _recorded(req, source, ids, environ)
    if isinstance(done, Outcome):
        return done
    from i4qew.gitops.publish_render import publish_rendering

    return publish_rendering(req, source, ids, environ, render, before_push, done)


def _recorded(req: PublishRequest, source: Source, ids: dict[str, str],
              environ: Mapping[str, str]) -> Outcome | HeadRead | None:
    """The outcome when the environment's branch head records these very inputs (up to
    date, or a late pipeline), read without judging i4qew.yaml: the head's fingerprint
    covers its blob, judged whole when that commit was made (gitops/settings_plain.py).
    Else the head as read here (the render half starts from it), or None on any failure:
    the full publish then says what is wrong, in its own order (the settings before the
    remote)."""
    branch = plain_branch(source, ids.get(REPOSITORY_FILE), req.env)
    if branch is None or req.rerender:
        return None
    prints: dict[tuple[str, ...], str] = {(): fingerprint(ids, req.env, req.inventory)}

    def fingerprint_with(extra: tuple[str, ...]) -> str:
        if extra not in prints:
            prints[extra] = fingerprint(input_ids(source, source.head, extra), req.env, req.inventory)
        return prints[extra]

    status = None
    try:
        # the note on uncommitted inputs needs `git status` (~0.1 s at 10,000 workloads): it
        # runs while the branch head is read
        status = dirty_status(source, (), req.inventory is None)
        landing = make_landing(source, req.remote, req.push, req.dry_run, req.author, req.attempts, req.backoff,
                               environ)
        state = landing.state(branch)
        if not records_inputs(req, state, fingerprint_with):
            return HeadRead(branch, landing, state)
        outcome = before_render(req, source, landing, state, branch, fingerprint_with, status)
    except (UserError, BadIdentity, MissingRemote, RemoteError, GitFailed, OSError):
        return None
    finally:
        if status is not None:
            status.close()
    if outcome is None:
        return None
    return Outcome(outcome.status, outcome.branch, outcome.commit, (*landing.notes, *outcome.lines))
