"""`i4qew init`: scaffold a workload repository that already uses the CI plugin.

Where users get i4qew: its Git repository, at the release tag `v<version>`. pip
installs `i4qew @ git+<source>.git@v<version>`, GitLab includes the CI template
from the same tag (`include: remote:` of its raw file, which any GitLab instance
can fetch), pre-commit takes the hook from the same repository and tag. A
scaffold written by i4qew X therefore pins the release X, template and package
alike.
"""

from __future__ import annotations

import re
import shlex
import sys
from importlib import resources
from pathlib import Path

import click

from i4qew import __version__
from i4qew.k8s.names import dns1123_label
from i4qew.problems import ExitCode

SOURCE = "https://gitlab.com/i4q/i4qew"  # i4qew's own repository (its i4qew.yaml names it too)
RELEASE = f"v{__version__}"
PLACEHOLDER_URL = "https://gitlab.example.invalid/change-me/{name}.git"  # .invalid never resolves

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


def install_spec(source: str = SOURCE) -> str:
    """The pip requirement of this version's release (the CI template's default `install`)."""
    return f"i4qew @ git+{source}.git@{RELEASE}"


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="Repository name (a DNS-1123 label); default: the folder name.")
@click.option("--git-url", default=None,
              help="URL of this repository that the ACM hub clones; default: a placeholder that validate warns about.")
@click.option("--i4qew-source", "source", default=SOURCE, show_default=True,
              help="i4qew's Git repository (or your mirror of it): pip, the CI include and pre-commit take "
                   f"release {RELEASE} from it.")
@click.option("--install-spec", "spec", default=None,
              help="pip requirement CI and the README use to install i4qew  [default: i4qew @ git+SOURCE.git@"
                   f"{RELEASE}]")
@click.option("--platform-owners", default="@platform-team", show_default=True,
              help="GitLab users or groups (@name ...) whose approval i4qew.yaml (the guardrails) needs: CODEOWNERS.")
def command(directory: Path, name: str | None, git_url: str | None, source: str, spec: str | None,
            platform_owners: str) -> None:
    """Scaffold a workload repository in DIRECTORY: i4qew.yaml, one example of each
    kind, .gitlab-ci.yml including the CI plugin, .yamllint, a pre-commit config and
    .gitlab/CODEOWNERS making the platform team own i4qew.yaml (its guardrails), then
    `git init` unless it is inside a git repository already. Existing files are never
    overwritten."""
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
    source = source.rstrip("/").removesuffix(".git")
    values = {
        "name": name,
        "git_url": git_url or PLACEHOLDER_URL.format(name=name),
        "install_spec": spec or install_spec(source),
        "version": __version__,
        "release": RELEASE,
        "i4qew_repo": source,
        "include_url": f"{source}/-/raw/{RELEASE}/ci/templates/i4qew.yml",
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
    from i4qew.gitops.git import init_work_tree

    click.echo(init_work_tree(directory))
    if git_url is None:
        click.echo(f"i4qew: warning: spec.git.url in i4qew.yaml is a placeholder ({values['git_url']}): set it to "
                   "this repository's URL, which the ACM hub clones (or run init with --git-url)", err=True)
    here = directory.resolve() == Path.cwd().resolve()
    go = "" if here else f"cd {shlex.quote(str(directory))}, then "
    click.echo(f"\nNext: {go}run the first command of README.md (it installs i4qew {__version__} into a venv "
               "and previews the dev plan)")
