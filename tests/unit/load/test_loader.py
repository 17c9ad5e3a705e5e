"""Loading: multi-document streams, positions, the hostile-input guards, and a fuzz run
proving that no input makes validation raise."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i4qew.load.documents import Document, SourceFile
from i4qew.load.files import decode, discover
from i4qew.load.positions import Positions, document_starts
from i4qew.load.yamlio import MAX_ALIAS_EVENTS, Parsed, parse
from i4qew.problems import Problem
from i4qew.validation import validate_repo
from tests.support.tools import ROOT

CASES = ROOT / "tests" / "corpus"


def docs(text: str) -> list[Any]:
    got = parse("f.yaml", text)
    assert isinstance(got, Parsed), got
    return got.docs


def problem(text: str) -> Problem:
    got = parse("f.yaml", text)
    assert isinstance(got, Problem), got
    return got


# --- documents ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("a: 1\n", [{"a": 1}]),
    ("- x\n- y\n", [["x", "y"]]),  # one document that is a list
    ("---\n- x\n- y\n", [["x", "y"]]),  # the same with a marker
    ("- [a]\n- [b]\n", [[["a"], ["b"]]]),  # a list of lists is not two documents
    ("---\n- a\n---\n- b\n", [["a"], ["b"]]),  # two documents that are lists
    ("a: 1\n---\nb: 2\n", [{"a": 1}, {"b": 2}]),
    ("# comment\n---\na: 1\n", [{"a": 1}]),
    ("a: 1\n---\n", [{"a": 1}, None]),  # a trailing marker opens an empty document
    ("a: 1\n...\n---\nb: 2\n", [{"a": 1}, {"b": 2}]),
    ("%YAML 1.2\n---\na: 1\n", [{"a": 1}]),
    ("", [None]),
    ("--- a\n--- b\n", ["a", "b"]),
])
def test_documents(text: str, expected: list[Any]) -> None:
    assert docs(text) == expected


def test_yaml_1_2_everywhere() -> None:
    assert docs("a: on\nb: yes\nc: no\nd: 0777\ne: 0o17\nf: 1e3\ng: 2024-01-01\n") == [
        {"a": "on", "b": "yes", "c": "no", "d": 777, "e": 15, "f": 1000.0, "g": "2024-01-01"}]


# --- refusals -----------------------------------------------------------------------------------

def test_alias_bomb_is_refused_at_once() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    p = problem("\n".join(levels) + "\n")
    assert time.perf_counter() - start < 5.0  # 9^10 nodes were never built (minutes); 5 s: a loaded CI machine
    assert (p.rule, p.line) == ("yaml-alias-limit", 1)
    assert f"{MAX_ALIAS_EVENTS:,}" in p.message


def test_aliases_below_the_limit_are_fine() -> None:
    assert docs("a: &x [1, 2]\nb: *x\n") == [{"a": [1, 2], "b": [1, 2]}]


@pytest.mark.parametrize(("text", "line", "col", "message"), [
    ("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", 5, 3, "duplicate key 'c' (first set at line 3)"),
    ("x: 1\n---\na: 1\n\na: 2\n", 5, 1, "duplicate key 'a' (first set at line 3)"),
    ("a: {b: 1, b: 2}\n", 1, 11, "duplicate key 'b' (first set at line 1)"),
    ("l:\n- a: 1\n  b: 2\n  a: 3\n", 4, 3, "duplicate key 'a' (first set at line 2)"),
])
def test_duplicate_keys_point_at_the_repeated_key(text: str, line: int, col: int, message: str) -> None:
    p = problem(text)
    assert (p.rule, p.line, p.column) == ("duplicate-key", line, col)
    assert p.message.startswith(message)


@pytest.mark.parametrize(("text", "line", "col", "message"), [
    ("a:\n\tb: 1\n", 2, 1, "tab character in indentation: YAML indents with spaces only"),
    ("a:\tb\n", 1, 3, "tab character where YAML needs a space (after ':' or '-'); use spaces"),
    ("a: [1, 2\n", 1, 4, "unclosed bracket '['"),
    ("[" * 300, 1, 256, "nesting deeper than 64 levels"),
    ("a: *nowhere\n", 1, 4, "alias to an unknown anchor: define &name earlier in the same document (anchors do not cross '---')"),
])
def test_syntax_errors(text: str, line: int, col: int, message: str) -> None:
    p = problem(text)
    assert (p.rule, p.line, p.column, p.message) == ("yaml-syntax", line, col, message)


def test_deep_block_nesting_is_refused() -> None:
    text = "".join("  " * i + "a:\n" for i in range(100)) + "  " * 100 + "1\n"
    assert problem(text).message == "nesting deeper than 64 levels"


def test_decode_guards() -> None:
    assert decode("f", "é: 1\n".encode()) == decode("f", b"\xef\xbb\xbf" + "é: 1\n".encode())  # BOM dropped
    nul = decode("f", b"a: 1\nb: \x00\n")
    assert isinstance(nul, Problem) and (nul.line, nul.column, nul.rule) == (2, 4, "encoding")
    bad = decode("f", b"a: 1\nb: caf\xe9\n")
    assert isinstance(bad, Problem) and (bad.line, bad.column) == (2, 7) and "0xe9" in bad.message
    for data, name in ((b"\xff\xfea\x00", "UTF-16"), (b"\xff\xfe\x00\x00a\x00\x00\x00", "UTF-32")):
        wide = decode("f", data)
        assert isinstance(wide, Problem) and name in wide.message


def test_discover_skips_data_folders_and_refuses_symlinks(tmp_path: Path) -> None:
    (tmp_path / "workloads/files").mkdir(parents=True)
    (tmp_path / "workloads/team").mkdir()
    (tmp_path / "workloads/a.yaml").write_text("a: 1\n")
    (tmp_path / "workloads/team/b.yml").write_text("a: 1\n")
    (tmp_path / "workloads/notes.txt").write_text("not yaml\n")
    (tmp_path / "workloads/files/data.yaml").write_text("data: 1\n")
    (tmp_path / "workloads/c.yaml").symlink_to("a.yaml")
    found, problems = discover(tmp_path, ("workloads", "policies"))
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["workloads/a.yaml", "workloads/team/b.yml"]
    assert [(p.path, p.rule) for p in problems] == [("workloads/c.yaml", "unsafe-path")]


# --- positions ----------------------------------------------------------------------------------

MULTI = """\
# leading comment
a: 1
---
b: 2
c:
  d: 3
---
- x
- y
--- # third
...
e: |
  line one
  key AKIA
"""


def test_document_starts_follow_the_parsers_numbering() -> None:
    assert document_starts(MULTI) == [2, 4, 8, 10, 12]
    assert len(docs(MULTI)) == 5  # `--- # third` opens an empty document ended by `...`


def test_positions_in_multi_document_files() -> None:
    p = Positions(MULTI)
    assert p.locate(0, ["a"]) == (2, 4)
    assert p.locate(1, ["c", "d"]) == (6, 6)
    assert p.locate(1, ["c", "d"], key=True) == (6, 3)
    assert p.locate(1, ["c", "missing"]) == (6, 3)  # the deepest part that exists
    assert p.locate(2, [1]) == (9, 3)
    assert p.locate(4, ["e"]) == (12, 4)


def test_positions_fall_back_to_the_document_start() -> None:
    # ruamel refuses a lone `...`; yaml-rs accepts it: positions degrade, never fail
    p = Positions("...\na: 1\n---\nb: 2\n")
    assert p.locate(1, ["b"]) == (4, 1)


def test_position_inside_a_block_scalar() -> None:
    source = SourceFile("f.yaml", MULTI)
    doc = Document(source, 4, docs(MULTI)[4])
    value = doc.data["e"]
    assert doc.at_inside(("e",), value, value.index("AKIA")) == (14, 7)
    one_line = Document(SourceFile("g.yaml", 'k: "x --token=abc"\n'), 0, {"k": "x --token=abc"})
    assert one_line.at_inside(("k",), "x --token=abc", 2) == (1, 7)


# --- no input makes validation raise ------------------------------------------------------------

_VALID = (CASES / "positive" / "full-featured" / "workloads" / "detector.yaml").read_text()

yaml_ish = st.text(alphabet=st.sampled_from(list("ab:- \n\t{}[],'\"&*!|>#%@`?~.0123456789\\\x00é")), max_size=120)


def _mutations() -> st.SearchStrategy[str]:
    """The valid full-featured workload file with a slice replaced, removed or duplicated."""
    n = len(_VALID)

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        how = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if how == "replace":
            return _VALID[:i] + draw(yaml_ish) + _VALID[j:]
        if how == "delete":
            return _VALID[:i] + _VALID[j:]
        return _VALID[:j] + _VALID[i:j] + _VALID[j:]

    return mutate()


@settings(max_examples=300, deadline=None)
@given(yaml_ish)
def test_parse_never_raises(text: str) -> None:
    assert isinstance(parse("f.yaml", text), (Parsed, Problem))


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_mutations())
def test_validation_never_raises_on_mutated_declarations(tmp_path: Path, text: str) -> None:
    root = tmp_path / "repo"
    if not root.exists():
        shutil.copytree(CASES / "positive" / "full-featured", root)
    (root / "workloads" / "detector.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = validate_repo(root)
    assert all(p.rule != "internal-error" for p in result.problems)
    assert all(p.line >= 1 and p.column >= 1 for p in result.problems)
