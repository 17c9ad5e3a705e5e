"""Reporters: each format from hand-made problems, checked field by field."""

from __future__ import annotations

import hashlib
import json
from xml.etree import ElementTree as ET

from i4qew.problems import Problem, Severity, sort_problems
from i4qew.report import REPORTERS, codequality, json_report, junit, text

E = Severity.ERROR
W = Severity.WARNING
PROBLEMS = sort_problems([
    Problem("workloads/b.yaml", 3, 5, E, "replicas", "replicas must be 0 or more, not -1"),
    Problem("workloads/a.yaml", 12, 1, W, "image-tag", "image 'x' has no tag"),
    Problem("workloads/a.yaml", 2, 9, E, "name-format", "name 'A' is not <valid> & \"quoted\""),
])
FILES = ["i4qew.yaml", "workloads/b.yaml", "workloads/a.yaml"]


def test_problems_are_sorted_and_deduplicated() -> None:
    again = sort_problems([*PROBLEMS, PROBLEMS[0]])
    assert [(p.path, p.line) for p in again] == [("workloads/a.yaml", 2), ("workloads/a.yaml", 12), ("workloads/b.yaml", 3)]


def test_text() -> None:
    assert text.render(PROBLEMS, FILES) == (
        "workloads/a.yaml:2:9: error [name-format] name 'A' is not <valid> & \"quoted\"\n"
        "workloads/a.yaml:12:1: warning [image-tag] image 'x' has no tag\n"
        "workloads/b.yaml:3:5: error [replicas] replicas must be 0 or more, not -1\n"
        "3 files checked: 2 errors, 1 warning\n"
    )
    assert text.render([], ["i4qew.yaml"]) == "1 files checked: 0 errors, 0 warnings\n"


def test_json() -> None:
    doc = json.loads(json_report.render(PROBLEMS, FILES))
    assert doc["files"] == ["i4qew.yaml", "workloads/a.yaml", "workloads/b.yaml"]
    assert doc["problems"][1] == {"path": "workloads/a.yaml", "line": 12, "column": 1, "severity": "warning",
                                  "rule": "image-tag", "message": "image 'x' has no tag"}


def test_codequality_fields_and_severities() -> None:
    issues = json.loads(codequality.render(PROBLEMS, FILES))
    assert [i["severity"] for i in issues] == ["major", "minor", "major"]
    first = issues[0]
    assert first["check_name"] == "name-format"
    assert first["description"] == "[name-format] name 'A' is not <valid> & \"quoted\""
    assert first["location"] == {"path": "workloads/a.yaml", "lines": {"begin": 2},
                                 "positions": {"begin": {"line": 2, "column": 9}}}
    expected = hashlib.sha256(b"workloads/a.yaml\0name-format\0name 'A' is not <valid> & \"quoted\"").hexdigest()
    assert first["fingerprint"] == expected


def test_codequality_fingerprint_survives_a_moved_line_and_separates_twins() -> None:
    moved = [Problem(p.path, p.line + 10, p.column, p.severity, p.rule, p.message) for p in PROBLEMS]
    before = [i["fingerprint"] for i in json.loads(codequality.render(PROBLEMS, FILES))]
    after = [i["fingerprint"] for i in json.loads(codequality.render(moved, FILES))]
    assert before == after  # GitLab must not call a problem "new" because lines above it changed
    twins = [Problem("w.yaml", 1, 1, E, "r", "same"), Problem("w.yaml", 9, 1, E, "r", "same")]
    prints = [i["fingerprint"] for i in json.loads(codequality.render(twins, []))]
    assert len(set(prints)) == 2


def test_junit_one_case_per_file_with_failures_and_warnings() -> None:
    root = ET.fromstring(junit.render(PROBLEMS, FILES))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["i4qew.yaml", "workloads/a.yaml", "workloads/b.yaml"]
    a = cases["workloads/a.yaml"]
    failure = a.find("failure")
    assert failure is not None and failure.get("type") == "name-format" and failure.get("message") == "1 error"
    assert failure.text == "workloads/a.yaml:2:9: error [name-format] name 'A' is not <valid> & \"quoted\""
    out = a.find("system-out")
    assert out is not None and out.text == "workloads/a.yaml:12:1: warning [image-tag] image 'x' has no tag"
    assert cases["i4qew.yaml"].find("failure") is None


def test_registry_of_reporters() -> None:
    assert sorted(REPORTERS) == ["codequality", "json", "junit", "text"]
    for render in REPORTERS.values():
        assert render(PROBLEMS, FILES).endswith("\n")
