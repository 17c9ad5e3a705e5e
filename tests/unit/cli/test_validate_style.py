"""The validate job's story (issue 10, items 15 and 17): an inventory exactly as
`kubectl get managedclusters -o yaml` prints it passes the scaffold's .yamllint and
this repository's; every problem that fails validate, yamllint's included, is in the
Code Quality and the JUnit report; one run writes the log and both reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.tools import ROOT

CASES = ROOT / "tests" / "corpus"
KUBECTL = CASES / "positive" / "kubectl-inventory"
DEFAULT_STYLE = CASES / "negative" / "yamllint-default-config"


def test_kubectl_output_passes_the_scaffold_and_this_repos_yamllint() -> None:
    """The positive case holds kubectl's output (sequences not indented, a 772-character
    caBundle) under the scaffold's .yamllint, which this repository uses too."""
    scaffold = (ROOT / "generator/i4qew/scaffold/yamllint.yaml").read_bytes()
    assert (KUBECTL / ".yamllint").read_bytes() == scaffold == (ROOT / ".yamllint").read_bytes()
    inventory = (KUBECTL / "clusters/managedclusters.yaml").read_text()
    assert "\nitems:\n- apiVersion: cluster.open-cluster-management.io/v1\n" in inventory
    assert max(len(line) for line in inventory.splitlines()) > 160
    result = CliRunner().invoke(cli, ["validate", "-C", str(KUBECTL)])
    assert (result.exit_code, result.output) == (0, "5 files checked: 0 errors, 0 warnings\n")


def test_one_run_writes_the_log_and_both_reports_with_every_problem(tmp_path: Path) -> None:
    cq, junit = tmp_path / "cq.json", tmp_path / "junit.xml"
    result = CliRunner().invoke(cli, ["validate", "-C", str(DEFAULT_STYLE), "--report", f"codequality={cq}",
                                      "--report", f"junit={junit}"])
    assert result.exit_code == 1
    lines = result.output.splitlines()[:-1]
    assert lines == (DEFAULT_STYLE / "expected.txt").read_text().splitlines()
    errors = [line for line in lines if " error [" in line]
    assert errors and all("[yamllint]" in line for line in errors)
    issues = json.loads(cq.read_text())
    assert sorted(f"{i['location']['path']}:{i['location']['lines']['begin']}:"
                  f"{i['location']['positions']['begin']['column']}: {i['description']}" for i in issues) == sorted(
        re.sub(r" (error|warning) \[", " [", line) for line in lines)
    failures = "\n".join(f.text or "" for f in ElementTree.parse(junit).iter("failure"))
    assert sorted(failures.splitlines()) == sorted(errors)


def test_report_takes_format_equals_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "-C", str(KUBECTL), "--report", "sarif=x.json"])
    assert result.exit_code == 2 and "give FORMAT=FILE with FORMAT one of codequality, json, junit, text" in result.output


def test_without_a_yamllint_config_validate_applies_no_style(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "-C", str(CASES / "positive" / "minimal")])
    assert result.exit_code == 0 and "[yamllint]" not in result.output
