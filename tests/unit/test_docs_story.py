"""The docs and the help texts tell one story (issue 10, items 13 and 14)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from i4qew import __version__
from i4qew.cli.main import COMMANDS, cli
from tests.support.tools import ROOT

README = (ROOT / "README.md").read_text("utf-8")
CI_README = (ROOT / "ci" / "README.md").read_text("utf-8")


def _help(*args: str) -> str:
    return " ".join(CliRunner().invoke(cli, [*args, "--help"]).output.split())


def test_the_command_table_lists_every_command() -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `i4qew ([a-z-]+)", table, re.MULTILINE))
    assert listed == set(COMMANDS)


def test_the_docs_name_the_package_version() -> None:
    for name, text in (("README.md", README), ("ci/README.md", CI_README)):
        versions = set(re.findall(r"(?:[@v]|==)(\d+\.\d+\.\d+)\b", text))
        assert versions == {__version__}, (name, versions)


def test_ci_job_token_is_the_same_story_in_help_and_ci_readme() -> None:
    assert "fallback I4QEW_GITLAB_TOKEN, CI_JOB_TOKEN" in _help("publish")
    flat = " ".join(CI_README.split())
    assert "`CI_JOB_TOKEN` is not used" not in flat
    assert "i4qew uses it for git pushes alone, and only as the last fallback" in flat
    assert "`I4QEW_PUSH_TOKEN` (fallback `I4QEW_GITLAB_TOKEN`, then `CI_JOB_TOKEN`)" in flat
    assert "CI_JOB_TOKEN cannot write notes" in _help("mr-note")


def test_the_branch_readme_counts_applications_as_the_hub_tree_does() -> None:
    golden = ROOT / "tests" / "golden" / "production"  # delivered by Subscriptions (dev: by Argo CD)
    apps = sorted(golden.glob("hub/apps/*/application.yaml"))
    assert len(apps) == 4  # one per workload namespace, and one in the models' namespace
    text = " ".join((golden / "README.md").read_text().split())
    assert "in each workload namespace an Application `i4q-edge-production` that groups its Subscriptions" in text
    assert "grouped by the Application `i4q-edge-production` of their namespace" in text
    assert "`yolo-defects` (`i4q-vision`)" in text  # a PVC model: staged where its claim is
    # dev (Argo CD) has no Application: its stagings come by ApplicationSets, as its workloads
    assert not list((ROOT / "tests" / "golden" / "dev").glob("hub/apps/*/*application*.yaml"))
    dev = " ".join((ROOT / "tests" / "golden" / "dev" / "README.md").read_text().split())
    assert "a Placement and an ApplicationSet `<namespace>-<model>-dev` each in the Argo CD namespace" in dev
    assert sorted(p.name for p in (ROOT / "tests" / "golden" / "dev" / "hub" / "argocd" / "stagings").glob("*/*")) == [
        "lrt-forecaster.yaml", "vibration-autoencoder.yaml", "yolo-defects.yaml"]


def test_the_readme_says_what_shared_is_and_why_tests_skip() -> None:
    flat = " ".join(README.split())
    assert "`../shared/schemas/crds`" in flat and "`I4QEW_SHARED`" in flat
    assert "Without it those tests skip and `pytest -rs` names the reason" in flat
