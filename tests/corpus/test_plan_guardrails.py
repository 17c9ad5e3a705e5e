"""`plan --base` in the merge request note: a guardrail moved in the same MR is the
first thing the reviewer reads; nothing is said when the guardrails did not change."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.git_remote import git
from tests.support.tools import ROOT

CASES = ROOT / "tests" / "corpus"

CASE = CASES / "negative" / "guardrail-loosened"


def repo(tmp_path: Path, head_yaml: str, base_yaml: str | None = None) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("base", "expected.txt"))
    (root / "i4qew.yaml").write_text(base_yaml or (CASE / "base" / "i4qew.yaml").read_text())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "i4qew.yaml").write_text(head_yaml)
    git(root, "commit", "-qam", "head", "--allow-empty")
    return root


def markdown(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["plan", "--env", "dev", "--base", "HEAD~1", "--format", "markdown", "-C", str(root)])
    return result.exit_code, result.output


def test_the_note_opens_with_the_loosened_guardrail(tmp_path: Path) -> None:
    code, md = markdown(repo(tmp_path, (CASE / "i4qew.yaml").read_text()))
    assert code == 0
    callout = md.index("> **Guardrails changed** by this merge request")
    assert callout < md.index("| workload |")
    assert "> - warning `i4qew.yaml:12`: the guardrail of namespace 'team-a' is loosened against HEAD~1: " \
           "podSecurity restricted -> privileged" in md
    assert "> - info `i4qew.yaml:17`: the guardrail of namespace 'team-b' is tightened" in md


def test_no_callout_without_a_change_and_an_info_for_an_unused_entry(tmp_path: Path) -> None:
    head = (CASE / "i4qew.yaml").read_text()
    code, md = markdown(repo(tmp_path / "same", head, head))
    assert code == 0 and "| workload |" in md
    assert "Guardrails changed" not in md and "guardrail-changed" not in md
    unused = head + "      - match: [team-c]\n        podSecurity: privileged\n"
    _, md = markdown(repo(tmp_path / "unused", unused, head))
    assert "info `i4qew.yaml:10`: spec.guardrails changed against HEAD~1 without changing what a namespace in use" in md
