"""check_text's quick ASCII test agrees with the full control-character search."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from i4qew.load import files
from i4qew.load.files import SourceText, check_text, decode
from i4qew.problems import Problem, error

# Every C0 control, DEL, some C1 and the non-characters: the ones YAML refuses and the
# ones it allows (tab, LF, CR, NEL), among ordinary text.
_CHARS = st.sampled_from([*map(chr, range(0x00, 0x21)), "\x7f", "\x80", "\x85", "\x9f", "\xa0", "é",
                          "\ufffe", "\uffff", "a", "b", ":", " "])


def _reference(rel: str, data: bytes) -> SourceText | Problem:
    """check_text without the quick test: the search over the decoded text."""
    got = decode(rel, data)
    if isinstance(got, SourceText):
        bad = files._CONTROL.search(got.text)
        if bad:
            line = got.text.count("\n", 0, bad.start()) + 1
            col = bad.start() - (got.text.rfind("\n", 0, bad.start()) + 1) + 1
            return error(rel, line, col, "encoding",
                         f"control character U+{ord(bad.group()):04X} is not allowed in YAML; remove it or write it "
                         "as an escape in a double-quoted string")
    return got


@given(st.lists(_CHARS, max_size=40).map("".join), st.booleans())
def test_same_answer_as_the_full_search(text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    assert check_text("a.yaml", data) == _reference("a.yaml", data)


def test_each_ascii_control_is_found() -> None:
    for code in [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]:
        got = check_text("a.yaml", b"k: v\nx: a" + bytes([code]) + b"\n")
        assert isinstance(got, Problem) and (got.line, got.column) == (2, 5), hex(code)
    for allowed in (b"\t", b"\r\n"):
        assert isinstance(check_text("a.yaml", b"k: v" + allowed + b"x: y\n"), SourceText)
