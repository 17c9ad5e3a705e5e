"""`i4qew publish --env ENV`: render the checked-out commit onto the environment branch."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from i4qew.cli.common import repo_option
from i4qew.problems import ExitCode

if TYPE_CHECKING:
    from i4qew.gitops.land import Outcome
    from i4qew.gitops.requests import Rendered, RenderRequest

remote_option = click.option(
    "--remote", "remote", default="origin", show_default=True,
    help="The git remote holding the environment branches: a remote name or a URL. Tokens are never "
         "taken from the command line: set I4QEW_PUSH_TOKEN (fallback I4QEW_GITLAB_TOKEN, CI_JOB_TOKEN).",
)
no_push_option = click.option("--no-push", "no_push", is_flag=True,
                              help="Commit onto the local branch only; do not contact the remote.")
dry_run_option = click.option("--dry-run", "dry_run", is_flag=True,
                              help="Say what would be committed; write nothing.")
drift_option = click.option("--overwrite-drift", "overwrite_drift", is_flag=True,
                            help="Replace changes made on the branch by hand (an ordinary commit on top; "
                                 "history is kept).")
author_option = click.option("--author", "author", default=None, metavar='"NAME <EMAIL>"',
                             help="Author (and committer) of the commit. Default: GIT_AUTHOR_*/GIT_COMMITTER_*, "
                                  "else GitLab's GITLAB_USER_NAME/GITLAB_USER_EMAIL, else i4qew <i4qew@localhost>.")
inventory_option = click.option("--inventory", "inventory", type=click.Path(dir_okay=False, path_type=Path),
                                default=None, help="A ManagedCluster inventory file to plan over instead of clusters/.")


def run_guarded(work: Callable[[], Outcome]) -> None:
    """Run a publish or promotion; every failure becomes its message and exit code, never a traceback."""
    from i4qew.gitops.git import GitFailed
    from i4qew.gitops.identity import BadIdentity
    from i4qew.gitops.land import RetriesExhausted
    from i4qew.gitops.remote import MissingRemote, RemoteError
    from i4qew.problems import UserError

    def fail(message: str, code: int) -> None:
        first, *rest = message.splitlines() or [""]
        click.echo(f"i4qew: error: {first}", err=True)
        for line in rest:
            click.echo(line, err=True)
        sys.exit(code)

    try:
        outcome = work()
    except UserError as exc:
        for problem in exc.problems:
            click.echo(problem.format())
        fail(exc.text or "the repository has errors: nothing was published", exc.code)
        return
    except (BadIdentity, MissingRemote) as exc:
        fail(str(exc), ExitCode.USAGE)
        return
    except RetriesExhausted as exc:
        fail(str(exc), ExitCode.REMOTE_MOVED)
        return
    except RemoteError as exc:
        fail(str(exc), ExitCode.EXTERNAL)
        return
    except GitFailed as exc:
        fail(f"{exc} (in {exc.command})", ExitCode.PROBLEMS)
        return
    except OSError as exc:
        fail(f"{exc.strerror or exc}", ExitCode.PROBLEMS)
        return
    for problem in outcome.problems:
        click.echo(problem.format())
    for line in outcome.lines:  # a quoted block (a commit message) is indented, not prefixed
        click.echo(f"i4qew: {line}" if line and not line.startswith("    ") else line)


@click.command("publish")
@repo_option
@click.option("--env", "env", required=True, help="The environment to publish (a name from i4qew.yaml).")
@remote_option
@no_push_option
@dry_run_option
@drift_option
@author_option
@inventory_option
@click.option("--rerender", "rerender", is_flag=True,
              help="Render even when the branch records the same inputs (e.g. after changing i4qew itself).")
def command(repo_dir: Path, env: str, remote: str, no_push: bool, dry_run: bool, overwrite_drift: bool,
            author: str | None, inventory: Path | None, rerender: bool) -> None:
    """Render the checked-out commit for ENV and commit it onto the environment branch, then push.

    Validates first: on any error nothing is committed (exit 1). One commit per
    publish, none when nothing changed; a branch holding a newer source commit is
    left alone (late pipeline); hand-made changes on the branch are refused unless
    --overwrite-drift. A push the remote rejects because the branch moved is retried
    on the new head (exit 3 when it keeps moving); an unreachable remote or a
    refused login exits 4. Never force-pushes.
    """
    from i4qew.gitops.publish import PublishRequest, publish

    request = PublishRequest(
        root=repo_dir, env=env, remote=remote, push=not no_push, dry_run=dry_run,
        overwrite_drift=overwrite_drift, rerender=rerender,
        inventory=inventory.absolute() if inventory else None, author=author,
    )
    run_guarded(lambda: publish(request, render=_render))


def _render(req: RenderRequest) -> Rendered:
    """publish's render, validated from `validate`'s answer in the persistent cache when it
    holds one for the same files (CI's validate job runs just before, with the same cache:
    ci/README.md, "Caching"); imported only when a publish renders."""
    from i4qew.cli.validate_answer import validation
    from i4qew.gitops.rendering import render_source

    return render_source(req, validate=validation)
