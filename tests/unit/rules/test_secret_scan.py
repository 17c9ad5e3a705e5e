"""plaintext-secret skips the scan of a document whose file text has no credential marker
and no backslash but those of escapes of characters no marker holds: it finds what the
full scan finds, also behind escapes, folded lines, block scalars and aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.rules import secrets
from i4qew.text import _MARKERS, may_hold_credential
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


# Every escape of a YAML double-quoted scalar, with the character it stands for ("" for
# an escaped line break, which joins the lines).
_ESCAPES = {"\\0": "\0", "\\a": "\a", "\\b": "\b", "\\t": "\t", "\\\t": "\t", "\\n": "\n", "\\v": "\v",
            "\\f": "\f", "\\r": "\r", "\\e": "\x1b", "\\ ": " ", '\\"': '"', "\\/": "/", "\\\\": "\\",
            "\\N": "\x85", "\\_": "\xa0", "\\L": "\u2028", "\\P": "\u2029", "\\\n  ": ""}


def _marker_escapes(char: str) -> list[str]:
    """Every escape that stands for `char`."""
    n = ord(char)
    return [e for e, c in _ESCAPES.items() if c == char] + [f"\\x{n:02x}", f"\\u{n:04X}", f"\\U{n:08x}"]


def _texts_hiding_markers() -> list[str]:
    """A marker written with one escape in it: in place of one of its characters, or an
    escape put between two of its characters."""
    out: list[str] = []
    for marker in _MARKERS:
        for i, char in enumerate(marker):
            out.extend(marker[:i] + e + marker[i + 1:] for e in _marker_escapes(char))
        for i in range(1, len(marker)):
            out.extend(marker[:i] + e + marker[i:] for e in _ESCAPES)
    return out


@pytest.mark.parametrize("inner", _texts_hiding_markers())
def test_a_marker_behind_an_escape_is_scanned(inner: str) -> None:
    text = f'a: "{inner}"\n'
    value: Any = yaml_rs.loads(text)
    if may_hold_credential(value["a"]):
        assert secrets.may_hide(text), inner


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*sorted(set("".join(_MARKERS))), *_ESCAPES, "\\x67", "\\u002F", "x"]), max_size=14),
       st.sampled_from(['"{}"', "'{}'", "{}"]))
def test_no_string_holds_a_marker_its_text_does_not_show(pieces: list[str], style: str) -> None:
    text = "a: " + style.format("".join(pieces)) + "\n"
    try:
        value: Any = yaml_rs.loads(text)
    except Exception:  # not YAML: nothing to judge
        return
    string = value.get("a") if isinstance(value, dict) else None
    if isinstance(string, str) and not secrets.may_hide(text):
        assert not may_hold_credential(string), text


def test_escapes_of_other_characters_skip_the_scan() -> None:
    assert not secrets.may_hide('a: "threshold: 0.40\\nwindow: 38\\n"\nb: "say \\"hi\\"\\t\\\\"\n')
    assert secrets.may_hide('a: "x\\x41y"\n') and secrets.may_hide('a: "https:\\/\\/x"\n')
