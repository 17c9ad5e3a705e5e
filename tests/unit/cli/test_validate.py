"""`i4qew validate` and `i4qew schema` as a user runs them: through click's runner and as a
real subprocess (`python -m i4qew ...`), every format, -o FILE, exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.tools import ROOT, require

CASES = ROOT / "tests" / "corpus"
GOOD = CASES / "positive" / "minimal"
BAD = CASES / "negative" / "port-number"  # seven errors in one file, lines 11 to 38
MIXED = CASES / "negative" / "multidoc-positions"  # problems in two files
WARN_ONLY_TEXT = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: app
  namespace: plant
spec:
  image: registry.example.com/plant/app
  placement: edge
  environments:
    production:
      image: registry.example.com/plant/app:1.0.0
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def subprocess_run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "I4QEW_DEBUG"}
    return subprocess.run([sys.executable, "-m", "i4qew", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60, check=False)


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": error [" in line or ": warning [" in line]


# --- exit codes -------------------------------------------------------------------------------

def test_exit_0_on_a_clean_repository() -> None:
    code, out = run("validate", "-C", str(GOOD))
    assert code == 0
    assert out == "3 files checked: 0 errors, 0 warnings\n"


def test_exit_1_on_errors() -> None:
    code, out = run("validate", "-C", str(BAD))
    assert code == 1
    assert len(problem_lines(out)) == 7
    assert out.splitlines()[-1] == "3 files checked: 7 errors, 0 warnings"


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    repo = _copy(GOOD, tmp_path)
    (repo / "workloads/app.yaml").write_text(WARN_ONLY_TEXT)
    code, out = run("validate", "-C", str(repo))
    assert code == 0
    assert problem_lines(out) == [
        "workloads/app.yaml:7:10: warning [image-tag] image 'registry.example.com/plant/app' has no tag, which means "
        "the mutable tag 'latest'; pin a version so a redeploy cannot change it"]


@pytest.mark.parametrize("args", [
    ["validate", "--format", "sarif"],
    ["validate", "--no-such-option"],
    ["validate", "-C", "/nonexistent/repo"],
    ["validate", "extra-argument"],
    ["schema", "Workloads"],
])
def test_exit_2_on_usage_errors(args: list[str]) -> None:
    code, out = run(*args)
    assert code == 2
    assert "Usage:" in out


@pytest.mark.parametrize("option", ["--output=", "--report=junit="])
def test_an_unwritable_report_is_one_line_and_exit_1(tmp_path: Path, option: str) -> None:
    """As plan and render answer it: the file, the reason, exit 1."""
    target = tmp_path / "missing-dir" / "report.xml"
    code, out = run("validate", "-C", str(GOOD), f"{option}{target}")
    assert code == 1
    assert out.endswith(f"i4qew: error: cannot write {target}: No such file or directory\n")


# --- formats ----------------------------------------------------------------------------------

def test_text_lines_are_sorted_by_file_line_and_column() -> None:
    _, out = run("validate", "-C", str(MIXED))
    keys = [(p.split(":")[0], int(p.split(":")[1]), int(p.split(":")[2])) for p in problem_lines(out)]
    assert keys == sorted(keys)
    assert [k[0] for k in keys] == ["models/detector.yaml"] + ["workloads/app.yaml"] * 3


def test_json_report() -> None:
    code, out = run("validate", "-C", str(BAD), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["version"] == 1
    assert doc["files"] == ["i4qew.yaml", "policies/edge.yaml", "workloads/app.yaml"]
    first = doc["problems"][0]
    assert first == {"path": "workloads/app.yaml", "line": 11, "column": 22, "severity": "error",
                     "rule": "port-number", "message": "containerPort 80800 is not a port number (1-65535)"}
    assert [p["line"] for p in doc["problems"]] == [11, 14, 15, 16, 19, 35, 38]


def test_codequality_report_is_what_gitlab_reads() -> None:
    code, out = run("validate", "-C", str(BAD), "--format", "codequality")
    assert code == 1
    issues = json.loads(out)
    assert isinstance(issues, list) and len(issues) == 7
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] == "workloads/app.yaml"
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert issues[0]["check_name"] == "port-number"
    assert issues[0]["location"]["lines"]["begin"] == 11
    assert len({i["fingerprint"] for i in issues}) == 7


def test_codequality_of_a_clean_repository_is_an_empty_list() -> None:
    code, out = run("validate", "-C", str(GOOD), "--format", "codequality")
    assert (code, json.loads(out)) == (0, [])


def test_junit_report_parses_as_xml() -> None:
    code, out = run("validate", "-C", str(MIXED), "--format", "junit")
    assert code == 1
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"i4qew.yaml", "models/detector.yaml", "policies/edge.yaml", "workloads/app.yaml"}
    assert suite.get("tests") == "4" and suite.get("failures") == "2"
    failure = cases["workloads/app.yaml"].find("failure")
    assert failure is not None and failure.get("message") == "3 errors"
    assert cases["i4qew.yaml"].find("failure") is None


def test_output_file_gets_the_report_and_stdout_the_text(tmp_path: Path) -> None:
    target = tmp_path / "gl-code-quality-report.json"
    code, out = run("validate", "-C", str(BAD), "--format", "codequality", "-o", str(target))
    assert code == 1
    assert len(json.loads(target.read_text())) == 7
    assert len(problem_lines(out)) == 7  # the job log still shows the problems
    text_target = tmp_path / "report.txt"
    code, out = run("validate", "-C", str(BAD), "-o", str(text_target))
    assert out == ""
    assert len(problem_lines(text_target.read_text())) == 7


def test_reports_are_byte_for_byte_deterministic() -> None:
    for fmt in ("text", "json", "codequality", "junit"):
        assert run("validate", "-C", str(MIXED), "--format", fmt) == run("validate", "-C", str(MIXED), "--format", fmt)


# --- as a real process ------------------------------------------------------------------------

@pytest.mark.slow
def test_subprocess_exit_codes_and_no_traceback() -> None:
    good = subprocess_run("validate", "-C", str(GOOD))
    bad = subprocess_run("validate", "-C", str(BAD), "--format", "json")
    usage = subprocess_run("validate", "--format", "nope")
    assert (good.returncode, bad.returncode, usage.returncode) == (0, 1, 2)
    assert len(json.loads(bad.stdout)["problems"]) == 7
    for proc in (good, bad, usage):
        assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_subprocess_on_every_negative_case_never_shows_a_traceback() -> None:
    # one process per case would cost seconds; the hostile inputs run in-process in test_cases
    script = (
        "import sys\nfrom click.testing import CliRunner\nfrom i4qew.cli.main import cli\n"
        "for case in sys.argv[1:]:\n"
        "    r = CliRunner().invoke(cli, ['validate', '-C', case])\n"
        "    if r.exit_code != 1 or (r.exception and not isinstance(r.exception, SystemExit)):\n"
        "        print('FAILED', case, r.exit_code, r.exception); sys.exit(3)\n"
    )
    # (a case with a base/ revision is a plan --base case: its head validates)
    cases = sorted(str(p) for p in (CASES / "negative").iterdir() if p.is_dir() and not (p / "base").is_dir())
    proc = subprocess.run([sys.executable, "-c", script, *cases], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_this_repository_validates_clean() -> None:
    proc = subprocess_run("validate", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.endswith(" 0 errors, 0 warnings\n")


# --- i4qew schema -----------------------------------------------------------------------------

def test_schema_lists_the_kinds() -> None:
    code, out = run("schema")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["Repository", "Workload", "PlacementPolicy", "Model"]


@pytest.mark.parametrize("kind", ["Repository", "workload", "PLACEMENTPOLICY", "Model"])
def test_schema_prints_a_valid_draft_2020_12_schema(kind: str) -> None:
    code, out = run("schema", kind)
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_printed_schemas_accept_this_repositorys_declarations() -> None:
    # the reference implementation (python-jsonschema), not the Rust one validate uses
    validators = {k: jsonschema.Draft202012Validator(json.loads(run("schema", k)[1]))
                  for k in ("Repository", "Workload", "PlacementPolicy", "Model")}
    files = [ROOT / "i4qew.yaml", *sorted((ROOT / "workloads").glob("*.yaml")),
             *sorted((ROOT / "policies").glob("*.yaml")), *sorted((ROOT / "models").glob("*.yaml"))]
    seen = 0
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            validators[doc["kind"]].validate(doc)
            seen += 1
    assert seen >= 8


@pytest.mark.slow
def test_check_jsonschema_accepts_a_workload_with_the_printed_schema(tmp_path: Path) -> None:
    tool = require("check-jsonschema")
    schema = tmp_path / "workload.json"
    schema.write_text(run("schema", "Workload")[1])
    ok = subprocess.run([tool, "--schemafile", str(schema), str(ROOT / "workloads/sktime.yaml")],
                        capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "workloads/sktime.yaml").read_text().replace("replicas: 1", "replica: 1"))
    refused = subprocess.run([tool, "--schemafile", str(schema), str(bad)], capture_output=True, text=True,
                             timeout=60, check=False)
    assert refused.returncode == 1
    assert "replica" in refused.stdout


def _copy(src: Path, tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "repo"
    shutil.copytree(src, dest)
    return dest
