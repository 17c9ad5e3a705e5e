"""`i4qew init`: scaffold a workload repository that already uses the CI plugin."""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

import click

from i4qew import __version__
from i4qew.k8s_names import dns1123_label
from i4qew.problems import ExitCode

# scaffold file (package data) -> path in the new repository
FILES = {
    "i4qew.yaml": "i4qew.yaml",
    "workloads/hello-model.yaml": "workloads/hello-model.yaml",
    "policies/factory-edge.yaml": "policies/factory-edge.yaml",
    "models/hello-classifier.yaml": "models/hello-classifier.yaml",
    "clusters/managedclusters.yaml": "clusters/managedclusters.yaml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "yamllint.yaml": ".yamllint",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
    "README.md": "README.md",
    "CODEOWNERS": ".gitlab/CODEOWNERS",
}


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="Repository name (a DNS-1123 label); default: the folder name.")
@click.option("--git-url", default=None, help="URL the ACM hub clones; default: a placeholder to edit.")
@click.option("--ci-project", default="i4q/i4qew", show_default=True, help="GitLab project that hosts the i4qew CI template.")
@click.option("--install-spec", default=f"i4qew=={__version__}", show_default=True,
              help="pip requirement CI and the README use to install i4qew.")
@click.option("--platform-owners", default="@platform-team", show_default=True,
              help="GitLab users or groups (@name ...) whose approval i4qew.yaml (the guardrails) needs: CODEOWNERS.")
def command(directory: Path, name: str | None, git_url: str | None, ci_project: str, install_spec: str,
            platform_owners: str) -> None:
    """Scaffold a workload repository in DIRECTORY: i4qew.yaml, one example of each
    kind, .gitlab-ci.yml including the CI plugin, .yamllint, a pre-commit config and
    .gitlab/CODEOWNERS making the platform team own i4qew.yaml (its guardrails).
    Existing files are never overwritten."""
    name = name or re.sub(r"[^a-z0-9-]+", "-", directory.resolve().name.lower()).strip("-") or "edge-workloads"
    problem = dns1123_label(name)
    if problem:
        click.echo(f"i4qew: error: --name {name!r} {problem}", err=True)
        sys.exit(ExitCode.USAGE)
    owners = platform_owners.split()
    if not owners or not all(re.fullmatch(r"@[A-Za-z0-9_.][A-Za-z0-9_./-]*|[^@\s]+@[^@\s]+", o) for o in owners):
        click.echo(f"i4qew: error: --platform-owners {platform_owners!r}: give @user, @group/subgroup or "
                   "e-mail addresses, separated by spaces", err=True)
        sys.exit(ExitCode.USAGE)
    values = {
        "name": name,
        "git_url": git_url or f"https://gitlab.example.com/edge/{name}.git",
        "ci_project": ci_project,
        "install_spec": install_spec,
        "version": __version__,
        "i4qew_repo": f"https://gitlab.com/{ci_project}",
        "owners": " ".join(owners),
    }
    existing = [dest for dest in FILES.values() if (directory / dest).exists()]
    if "i4qew.yaml" in existing:
        click.echo(f"i4qew: error: {directory / 'i4qew.yaml'} exists: this is already a workload repository", err=True)
        sys.exit(ExitCode.PROBLEMS)
    scaffold = resources.files("i4qew").joinpath("scaffold")
    for src, dest in FILES.items():
        target = directory / dest
        if target.exists():
            click.echo(f"kept     {dest} (exists)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(scaffold.joinpath(src).read_text("utf-8"), values), encoding="utf-8")
        click.echo(f"created  {dest}")
    click.echo(f"\nNext: cd {directory} && i4qew validate && i4qew plan --env dev")
