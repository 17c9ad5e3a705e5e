"""`i4qew rollout ACTION --env ENV`: drive an environment's rollout waves on its branch."""

from __future__ import annotations

from pathlib import Path

import click

from i4qew.cli.common import repo_option
from i4qew.cli.publish import (
    author_option,
    dry_run_option,
    no_push_option,
    remote_option,
    run_guarded,
)


@click.command("rollout")
@repo_option
@click.argument("action", type=click.Choice(["status", "advance", "pause", "resume", "rollback"]))
@click.option("--env", "env", required=True, help="The environment whose waves to drive (a name from i4qew.yaml).")
@click.option("--wave", "wave", default=None,
              help="advance: this wave, only if it is next (a CI job per wave); rollback: only this wave.")
@click.option("--force", "force", is_flag=True,
              help="advance before the previous wave's soak is over or outside the wave's windows.")
@click.option("--gate", "gate", default=None, metavar="COMMAND",
              help="advance: a health gate, a shell command run before the wave moves (with I4QEW_GATE_WAVE and "
                   "I4QEW_GATE_COMMIT: the wave before and the commit it runs); anything but exit 0 refuses, "
                   "--force or not.")
@click.option("--if-due", "if_due", is_flag=True,
              help="advance: only when the next wave is due (a scheduled job): while paused, before the soak is "
                   "over or outside the wave's windows, say so and exit 0 without a commit. Never with --force.")
@remote_option
@no_push_option
@dry_run_option
@author_option
def command(repo_dir: Path, action: str, env: str, wave: str | None, force: bool, gate: str | None, if_due: bool,
            remote: str, no_push: bool, dry_run: bool, author: str | None) -> None:
    """Show or move ENV's rollout waves (docs/rollout.md), on its environment branch.

    status: which commit each wave runs. advance: the next wave takes the commit of
    the wave before it (one wave per call; refused while paused, before that wave's
    soak is over or outside this wave's maintenance windows unless --force, and never
    backwards; --if-due, for a schedule: not due yet is no error). rollback: a wave
    (--wave), or every wave ahead of the last one, goes back to the commit it ran
    before. pause / resume: stop and allow advancing.
    Like publish: one commit or none, pushed under a lease with the wave branches in
    one atomic push (Subscription delivery; ApplicationSets pin by targetRevision)
    (exit 3 when the branch kept moving, 4 when the remote failed).
    """
    from i4qew.gitops.rollout import RolloutRequest, rollout

    request = RolloutRequest(root=repo_dir, env=env, action=action, wave=wave, force=force, remote=remote,
                             push=not no_push, dry_run=dry_run, author=author, gate=gate,
                             if_due=if_due)
    run_guarded(lambda: rollout(request))
