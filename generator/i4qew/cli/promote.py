"""`i4qew promote --from ENV --to ENV`: ship exactly the source commit the source branch was built from."""

from __future__ import annotations

import os
from pathlib import Path

import click

from i4qew.cli.common import fail, repo_option
from i4qew.cli.publish import (
    author_option,
    drift_option,
    dry_run_option,
    inventory_option,
    no_push_option,
    remote_option,
    run_guarded,
)
from i4qew.problems import ExitCode


@click.command("promote")
@repo_option
@click.option("--from", "source_env", required=True, help="The environment promoted from (e.g. dev).")
@click.option("--to", "target_env", required=True,
              help="The environment promoted to; its promotesFrom in i4qew.yaml must be --from.")
@click.option("--merge-request", "merge_request", is_flag=True,
              help="Push the promotion to i4qew/promote-ENV-SHA and open a GitLab merge request into the "
                   "target branch (needs I4QEW_GITLAB_TOKEN with the api scope) instead of pushing it.")
@remote_option
@no_push_option
@dry_run_option
@drift_option
@author_option
@inventory_option
def command(repo_dir: Path, source_env: str, target_env: str, merge_request: bool, remote: str, no_push: bool,
            dry_run: bool, overwrite_drift: bool, author: str | None, inventory: Path | None) -> None:
    """Render the source commit of the --from branch's head for --to and commit it onto the --to branch.

    The charts must be byte-identical to the source branch's except for environment
    values (values.yaml, Chart.yaml version/appVersion), else the promotion is refused.
    The commit carries Source-Commit and Promoted-From trailers.
    """
    if merge_request and no_push:
        raise click.UsageError("--merge-request pushes a branch; it cannot be combined with --no-push")
    if merge_request and not dry_run:
        # before anything is pushed: a branch left on the remote without its MR helps nobody
        from i4qew.gitlab import GitLabError, target_from_env

        try:
            target_from_env(os.environ)
        except GitLabError as exc:
            fail(f"--merge-request: {exc}", ExitCode.USAGE)
    from i4qew.gitops.promote import PromoteRequest, promote

    request = PromoteRequest(
        root=repo_dir, source_env=source_env, target_env=target_env, remote=remote, push=not no_push,
        merge_request=merge_request, dry_run=dry_run, overwrite_drift=overwrite_drift,
        inventory=inventory.absolute() if inventory else None, author=author,
    )
    run_guarded(lambda: promote(request))
