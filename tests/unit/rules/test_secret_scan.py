"""plaintext-secret skips the scan of a document whose file text has no credential marker
and no backslash: it finds what the full scan finds, also behind escapes, folded lines,
block scalars and aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew.rules import secrets
from i4qew.validation import validate_repo
from tests.support.hostile.repo import write_repo

TOKEN_TAIL = "lpat-Zq1Zq1Zq1Zq1Zq1Zq1Zq"  # after a "g": a GitLab token (no marker in it)

HEAD = """apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: {name}
  namespace: plant
spec:
  image: registry.example.com/plant/app:1.0.0
  placement: edge
  env:
"""
# (file name, env entries) : the token whole, hidden by escapes, or split where YAML joins with a space
ENTRIES = {
    "escaped": f'  - name: A\n    value: "\\x67{TOKEN_TAIL}"\n',
    "unicode": f'  - name: A\n    value: "\\u0067{TOKEN_TAIL}"\n',
    "continued": f'  - name: A\n    value: "g\\\n      {TOKEN_TAIL}"\n',
    "folded": f"  - name: A\n    value: g\n      {TOKEN_TAIL}\n",
    "block": f"  - name: A\n    value: |\n      g{TOKEN_TAIL}\n",
    "folded-block": f"  - name: A\n    value: >\n      g\n      {TOKEN_TAIL}\n",
    "alias": f"  - name: A\n    value: &t 'g{TOKEN_TAIL}'\n  - name: B\n    value: *t\n",
    "quoted": f"  - name: A\n    value: 'g''{TOKEN_TAIL}'\n",
    "plain": "  - name: A\n    value: nothing to see\n",
}


def _problems(root: Path) -> list[str]:
    return [p.format() for p in validate_repo(root).problems if p.rule == "plaintext-secret"]


def test_same_findings_as_the_full_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_repo(tmp_path, {f"workloads/{name}.yaml": HEAD.format(name=name) + env
                                 for name, env in ENTRIES.items()})
    found = _problems(root)
    monkeypatch.setattr(secrets, "_may_hide_one", lambda doc: True)
    assert found == _problems(root)
    assert {line.split(":")[0] for line in found} == {f"workloads/{name}.yaml" for name in
                                                      ("escaped", "unicode", "continued", "block", "alias")}
