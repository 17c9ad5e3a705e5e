"""Schema-valid but hostile values must reach every rule without making it raise.

The parser fuzz (test_loader) mostly produces syntax errors that stop at the loader; here
each example keeps the YAML well-formed and every value of its schema type, but replaces
leaves of the full-featured positive case with edge values (empty strings, '..', huge and
negative numbers, unicode, very long text), so the rules see what the schema lets through.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i4qew.validation import validate_repo
from tests.support.tools import ROOT

CASE = ROOT / "tests" / "corpus" / "positive" / "full-featured"
FILES = ["i4qew.yaml", "workloads/detector.yaml", "policies/edge.yaml", "models/detector.yaml"]
ORIGINALS = {f: list(yaml.safe_load_all((CASE / f).read_text())) for f in FILES}

EDGE_STRINGS = ["", " ", "-", ".", "..", "/", "//", "a/../b", "*", "*.", ":", "@", "a" * 300, "é", "\u202e",
                "$(X)", "${X}", "0", "-1", "1e999", "latest", "main", "HEAD", "x.lock", "@sha256:",
                "https://u:p@h", "null", "in (", "!", "a,b", "=", "a=b=c", "tier notin ()", "0.5", "1Gi"]
EDGE_INTS = [-(2**62), -1, 0, 1, 65535, 65536, 2**62]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = new


@st.composite
def hostile_repo(draw: st.DrawFn) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, docs in ORIGINALS.items():
        docs = copy.deepcopy(docs)
        for doc in docs:
            leaves = _leaves(doc)
            for path in draw(st.lists(st.sampled_from(leaves), max_size=4)):
                old = doc
                for part in path:
                    old = old[part]
                if isinstance(old, bool):
                    new: Any = draw(st.booleans())
                elif isinstance(old, int):
                    new = draw(st.sampled_from(EDGE_INTS))
                else:
                    new = draw(st.sampled_from(EDGE_STRINGS) | st.text(max_size=20))
                _replace(doc, path, new)
        out[name] = yaml.safe_dump_all(docs, allow_unicode=True)
    return out


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile_repo())
def test_rules_never_raise_on_schema_valid_edge_values(tmp_path: Path, files: dict[str, str]) -> None:
    root = tmp_path / "repo"
    if not root.exists():
        shutil.copytree(CASE, root)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    result = validate_repo(root)
    assert [p for p in result.problems if p.rule == "internal-error"] == []
    assert all(p.line >= 1 and p.column >= 1 for p in result.problems)
