"""`i4qew init` gives a newcomer a repo that works: git-initialised, pinned to a release
that exists, warning while its Git URL is the placeholder, and whose README commands
work as written (issue 10, items 5 and 18)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from i4qew import __version__
from i4qew.cli.init import FILES, SOURCE
from i4qew.cli.main import cli
from tests.support.tools import ROOT

WHEELHOUSE = ROOT / ".tools" / "wheelhouse"
RELEASE = f"v{__version__}"


def test_init_creates_every_file_and_never_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "README.md").write_text("mine\n")
    result = runner.invoke(cli, ["init", str(tmp_path), "--name", "plant-a"])
    assert result.exit_code == 0, result.output
    for dest in FILES.values():
        assert (tmp_path / dest).is_file(), dest
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert "kept     README.md (exists)" in result.output
    assert "name: plant-a" in (tmp_path / "i4qew.yaml").read_text()
    # the guardrails in i4qew.yaml need the platform team's approval
    owners = (tmp_path / ".gitlab" / "CODEOWNERS").read_text()
    assert "/i4qew.yaml @platform-team\n" in owners and "{{" not in owners
    # a second init refuses: it is a workload repo already
    again = runner.invoke(cli, ["init", str(tmp_path)])
    assert again.exit_code == 1
    assert "already a workload repository" in again.output


def test_init_names_the_platform_owners_of_i4qew_yaml(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--platform-owners", "@i4q/platform ops@example.com"])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / ".gitlab" / "CODEOWNERS").read_text().splitlines()
    assert "/i4qew.yaml @i4q/platform ops@example.com" in lines
    bad = CliRunner().invoke(cli, ["init", str(tmp_path / "x"), "--platform-owners", "platform team"])
    assert bad.exit_code == 2 and "--platform-owners" in bad.output
    assert not (tmp_path / "x" / "i4qew.yaml").exists()


def test_init_rejects_a_bad_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--name", "Bad_Name"])
    assert result.exit_code == 2
    assert "Bad_Name" in result.output
    assert not (tmp_path / "i4qew.yaml").exists()


def init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run([sys.executable, "-m", "i4qew", "init", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_init_runs_git_init_and_warns_about_the_placeholder_url(tmp_path: Path) -> None:
    here = tmp_path / "edge"
    here.mkdir()
    done = init(here)
    assert done.returncode == 0, done.stderr
    assert (here / ".git").is_dir() and "initialised a git repository (git init)" in done.stdout
    assert "cd " not in done.stdout  # never `cd .`
    assert done.stdout.endswith("\nNext: run the first command of README.md (it installs i4qew "
                                f"{__version__} into a venv and previews the dev plan)\n")
    assert done.stderr == ("i4qew: warning: spec.git.url in i4qew.yaml is a placeholder "
                           "(https://gitlab.example.invalid/change-me/edge.git): set it to this repository's URL, "
                           "which the ACM hub clones (or run init with --git-url)\n")
    validate = subprocess.run([sys.executable, "-m", "i4qew", "validate"], cwd=here, capture_output=True, text=True,
                              timeout=120, check=False)
    assert validate.returncode == 0
    # the placeholder is the scaffold's one warning: its own YAML passes its own .yamllint
    assert validate.stdout.splitlines()[1:] == ["5 files checked: 0 errors, 1 warning"], validate.stdout
    assert validate.stdout.splitlines()[0].startswith("i4qew.yaml:9:10: warning [git-url-placeholder] git url "
                                                      "'https://gitlab.example.invalid/change-me/edge.git' is a placeholder")
    # elsewhere, with the real URL, inside an existing git repository: no git init, no warning
    other = tmp_path / "mono" / "deploy"
    other.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path / "mono")], check=True)
    done = init(tmp_path / "mono", "deploy", "--git-url", "https://gitlab.com/plant/mono.git")
    assert done.returncode == 0 and done.stderr == ""
    assert "inside an existing git repository: no git init" in done.stdout and not (other / ".git").exists()
    assert "\nNext: cd deploy, then run the first command of README.md" in done.stdout
    # a relative DIRECTORY outside any repository: the git repository is that folder, not a copy nested in it
    done = init(tmp_path, "plant", "--git-url", "https://gitlab.com/plant/plant.git")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "plant" / ".git").is_dir() and not (tmp_path / "plant" / "plant").exists()


def test_the_scaffold_pins_a_release_of_this_repository(tmp_path: Path) -> None:
    """The include, the CI install and pre-commit name one release: the tag v<version>
    of i4qew's repository, whose template defaults to installing that same release."""
    assert init(tmp_path).returncode == 0
    ci = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())
    (include,) = ci["include"]
    install = f"i4qew @ git+{SOURCE}.git@{RELEASE}"
    assert include == {"remote": f"{SOURCE}/-/raw/{RELEASE}/ci/templates/i4qew.yml", "inputs": {"install": install}}
    hook = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"]
    assert hook == [{"repo": SOURCE, "rev": RELEASE, "hooks": [{"id": "i4qew-validate"}]}]
    assert (ROOT / "ci/templates/i4qew.yml").is_file() and (ROOT / ".pre-commit-hooks.yaml").is_file()
    assert f"'{install}'" in (tmp_path / "README.md").read_text()
    spec = yaml.safe_load((ROOT / "ci/templates/i4qew.yml").read_text().split("\n---\n", 1)[0])
    assert spec["spec"]["inputs"]["install"]["default"] == install
    own = yaml.safe_load((ROOT / "i4qew.yaml").read_text())
    assert own["spec"]["git"]["url"] == f"{SOURCE}.git"  # where this repository says it lives


def _readme_commands(readme: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^    (\S.*)$", readme, re.MULTILINE)]


@pytest.mark.slow
def test_scaffold_readme_commands_work_as_written(tmp_path: Path) -> None:
    """Both README commands, as written, from a folder `i4qew init` made: i4qew comes from
    its Git repository at the release tag (this tree, committed and tagged, standing in
    for it) and its dependencies from the wheelhouse (offline)."""
    if not any(WHEELHOUSE.glob("setuptools-*.whl")):
        pytest.skip(f"no wheelhouse at {WHEELHOUSE} (bash .ci/test fetches it)")
    released = tmp_path / "released" / "i4qew.git"
    released.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, released / name)
    for name in ("generator", "ci"):
        shutil.copytree(ROOT / name, released / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Release\n\temail = release@example.invalid\n"
                         f'[url "file://{released.parent}/"]\n\tinsteadOf = {SOURCE.rsplit("/", 1)[0]}/\n')
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1", PIP_NO_INDEX="1",
               PIP_FIND_LINKS=str(WHEELHOUSE), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release"], ["tag", RELEASE]):
        subprocess.run(["git", *args], cwd=released, env=env, check=True, capture_output=True)
    repo = tmp_path / "edge"
    repo.mkdir()
    assert init(repo).returncode == 0
    commands = _readme_commands((repo / "README.md").read_text())
    assert len(commands) == 2, commands
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "0 errors" in done.stdout
    assert (repo / ".venv" / "bin" / "i4qew").exists()
    shown = subprocess.run([str(repo / ".venv/bin/python"), "-m", "pip", "show", "i4qew"], capture_output=True,
                           text=True, check=True).stdout
    assert f"Version: {__version__}\n" in shown
    assert (repo / "out" / "dev" / "README.md").is_file()
    assert (repo / "out" / "dev" / "charts" / "hello-model" / "Chart.yaml").is_file()
