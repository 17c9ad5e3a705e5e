"""Fuzzing the loader and the selector parser (hypothesis, derandomized for CI).

Loader: random bytes and random YAML-ish text go through the real file path (size and
encoding guards, parsing, document split) and come out as documents or one Problem
with a position inside the file; positions of any key path of a parsed document stay
inside the file too. Selector parser: random text is a Selector that round-trips
through its text and structured forms, or a SelectorError whose column points inside
the text (1..len+1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i4qew.k8s.selector_structured import from_structured
from i4qew.k8s.selector_text import parse_selector
from i4qew.k8s.selectors import Selector, SelectorError
from i4qew.load.documents import Document, SourceFile
from i4qew.load.files import MAX_DECLARATION_BYTES, SourceText, read_text
from i4qew.load.repo import Loaded, load_text
from i4qew.problems import Problem

FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Pieces of YAML syntax, glued at random: enough structure to get past the first
# character, enough nonsense to reach every error branch.
TOKENS = [
    "a", "b", "key", "kind", "spec", ": ", ":", "- ", "-", "  ", "    ", "\n", "\n  ", "\t", "{", "}", "[", "]",
    ", ", ",", "&x ", "&y ", "*x", "*y", "*z", "!!str ", "!!int ", "!!map ", "!custom ", "? ", "'q'", "''", '"q"',
    '"\\x41\\u00e9"', '"\\ud800"', '"\\', "|\n  text\n", "|-\n", ">+\n  t\n", "---\n", "--- ", "...\n", "# c\n",
    "<<: *x\n", "%YAML 1.2\n---\n", "%TAG ! tag:x,2000:\n", "~", "null", "on", "yes", "0777", "0x1F", "1e3",
    ".inf", ".nan", "1_000", "2026-01-01", "9" * 30, "\\", "@", "`", "é", "\u2028", "\x85", "\ufeff", "\x00", "\x07",
]
yaml_ish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


def _check_problem(p: Problem, text: str) -> None:
    assert p.line >= 1 and p.column >= 1, p
    assert p.line <= text.count("\n") + 2, p
    assert p.message and "\n" not in p.message and "Traceback" not in p.message, p


def _load(tmp_path: Path, data: bytes) -> tuple[Loaded, str]:
    f = tmp_path / "f.yaml"
    f.write_bytes(data)
    out = Loaded()
    got = read_text(tmp_path, f, MAX_DECLARATION_BYTES, discovered=True)
    if isinstance(got, Problem):
        out.problems.append(got)
        return out, data.decode("utf-8", "replace")
    load_text(got, out)
    return out, got.text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in list(value.items())[:8]:
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:8]):
            out += _paths(v, (*prefix, i))
    return out[:40]


def _check_loaded(out: Loaded, text: str) -> None:
    for p in out.problems:
        _check_problem(p, text)
    lines = text.count("\n") + 2
    for doc in out.documents:
        for path in _paths(doc.data):
            for key in (False, True):
                line, col = doc.at(path, key=key)
                assert 1 <= line <= lines and col >= 1, (path, line, col)


@pytest.mark.slow
@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_load_or_give_one_problem(tmp_path: Path, data: bytes) -> None:
    _check_loaded(*_load(tmp_path, data))


@pytest.mark.slow
@FUZZ
@given(yaml_ish)
def test_yaml_ish_text_loads_or_gives_problems(tmp_path: Path, text: str) -> None:
    _check_loaded(*_load(tmp_path, text.encode("utf-8", "surrogatepass")))


VALID = """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata: {name: app, namespace: plant, labels: {a: "1"}}
spec:
  image: registry.example.com/plant/app:1.0.0
  env:
    - {name: A, value: x}
  args: [a, b]
"""


@pytest.mark.slow
@FUZZ
@given(st.integers(0, len(VALID)), st.integers(0, 30), yaml_ish)
def test_a_valid_document_with_a_slice_replaced(tmp_path: Path, at: int, cut: int, insert: str) -> None:
    text = VALID[:at] + insert + VALID[at + cut:]
    _check_loaded(*_load(tmp_path, text.encode("utf-8", "surrogatepass")))


@pytest.mark.slow
@FUZZ
@given(yaml_ish, st.lists(st.one_of(st.text(max_size=5), st.integers(-2, 20)), max_size=6))
def test_positions_of_any_path_never_raise(text: str, path: list[Any]) -> None:
    """Problems are placed by key paths that may not exist in the file (a missing field)."""
    doc = Document(SourceFile("f.yaml", text), 0, {})
    for key in (False, True):
        line, col = doc.at(tuple(path), key=key)
        assert line >= 1 and col >= 1
    src = SourceText("f.yaml", text)
    assert src.text == text


# --- selectors ------------------------------------------------------------------------------------

SELECTOR_TOKENS = ["env", "site", "gpu", "a.b/c", "example.com/x", "-a", "a-", "in", "notin", "=", "==", "!=", "!",
                   "(", ")", ",", " ", "\t", "\n", "bologna", "", "x" * 64, "é", "\u200b", ">", "<", "1", "a_b", "."]
selector_ish = st.one_of(st.lists(st.sampled_from(SELECTOR_TOKENS), max_size=16).map("".join), st.text(max_size=30))


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True)
@given(selector_ish)
def test_selector_text_parses_or_points_inside_it(text: str) -> None:
    try:
        selector = parse_selector(text)
    except SelectorError as exc:
        assert 1 <= exc.column <= len(text) + 1, (text, exc.column)
        assert exc.message and "\n" not in str(exc)
        return
    assert isinstance(selector, Selector)
    again = parse_selector(selector.to_text())
    assert again == selector
    assert again.to_text() == selector.to_text()
    structured = selector.to_structured()
    assert from_structured(structured.get("matchLabels"), structured.get("matchExpressions")) == selector
