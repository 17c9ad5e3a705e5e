"""`i4qew bootstrap`: print the one-time hub manifests that make ACM follow a branch."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from i4qew.cli.common import fail, repo_option, write_text
from i4qew.cli.render import load_repo, print_problems
from i4qew.problems import ExitCode, UserError


@click.command("bootstrap")
@repo_option
@click.option("--env", "env", required=True, help="The environment whose branch the hub should follow.")
@click.option("--hub", "hub_name", default=None,
              help="With spec.hubs in i4qew.yaml: the hub to bootstrap (it applies hub/HUB/ of the branch).")
def command(repo_dir: Path, env: str, hub_name: str | None) -> None:
    """Print (multi-document YAML, for `kubectl apply -f -`) the channel Namespace, the Git
    Channel (and its CA ConfigMap with spec.git.caFile), an Application for the console
    and a hub-local Subscription that applies the hub/ folder of ENV's branch (hub/HUB/
    with --hub, when i4qew.yaml declares several hubs). With delivery: applicationset,
    the acm-placement ConfigMap, RBAC for the Argo CD application controller and an
    Argo CD Application that applies the hub/ folder instead.

    Apply it once, as an ACM subscription admin (a cluster admin for Argo CD); from then
    on every change arrives through Git. See docs/acm-quickstart.md, docs/argocd.md."""
    from i4qew.compile.hub.bootstrap import bootstrap_manifests

    repo = load_repo(repo_dir, env)
    hubs = repo.repository.hubs
    hub = next((h for h in hubs if h.name == hub_name), None)
    if hubs and hub is None:
        known = ", ".join(h.name for h in hubs)
        fail(f"--hub {hub_name!r} is not a hub of i4qew.yaml (spec.hubs: {known})" if hub_name else
             f"i4qew.yaml declares several hubs: name the one to bootstrap with --hub ({known})", ExitCode.USAGE)
    if not hubs and hub_name is not None:
        fail(f"--hub {hub_name!r}: i4qew.yaml declares no hubs (spec.hubs); bootstrap without --hub", ExitCode.USAGE)
    try:
        text = bootstrap_manifests(repo, env, hub)
    except UserError as exc:
        print_problems(exc.problems)
        sys.exit(ExitCode.PROBLEMS)
    write_text(None, text.decode("utf-8"))
