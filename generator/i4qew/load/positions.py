"""Line and column of any value, computed only for files that have problems.

ruamel.yaml's round-trip loader keeps the position of every key, value and
sequence item; it is ~20x slower than the fast parser, so it runs lazily, once
per file, and only when a problem in that file needs a position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruamel.yaml import YAML

KeyPath = Sequence[Any]

_MARKER = re.compile(r"(---|\.\.\.)(?:[ \t]|$)")
# YAML 1.2 breaks lines at \n, \r\n and \r only; Python's splitlines() and ruamel (YAML
# 1.1) also break at NEL, LS and PS, which moved every later problem down a line.
_BREAK = re.compile(r"\r\n|\r|\n")
_NOT_A_BREAK = str.maketrans({"\x85": "_", "\u2028": "_", "\u2029": "_"})


def yaml_lines(text: str) -> list[str]:
    """The lines of `text` as YAML 1.2 and editors count them (like str.splitlines)."""
    if not text:
        return []
    rows = _BREAK.split(text)
    if rows[-1] == "":
        rows.pop()
    return rows


def _for_ruamel(text: str) -> str:
    """`text` with the characters ruamel would take for line breaks made ordinary ones,
    column for column."""
    return text.translate(_NOT_A_BREAK) if ("\x85" in text or "\u2028" in text or "\u2029" in text) else text


def _loader() -> YAML:
    # Imported here: only a file with a problem is read with ruamel, and its import costs
    # about 0.1 s that a clean validate or an unchanged publish need not pay.
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def duplicate_key_marks(text: str) -> tuple[tuple[int, int], int | None] | None:
    """((line, column) of a duplicate key, line of its first occurrence or None)."""
    try:
        list(_loader().load_all(_for_ruamel(text)))
    except Exception as exc:  # ruamel raises many types; only a duplicate-key error is wanted
        if type(exc).__name__ != "DuplicateKeyError":
            return None
        mark = exc.problem_mark  # type: ignore[attr-defined]
        context = getattr(exc, "context_mark", None)
        line, col = mark.line + 1, mark.column + 1
        return (line, col), _first_occurrence(text, line, col, context.line + 1 if context else 1)
    return None


def _first_occurrence(text: str, line: int, col: int, mapping_line: int) -> int | None:
    """Where a block or flow mapping first set the key that is repeated at (line, col)."""
    lines = yaml_lines(text)
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    m = re.match(r"""("[^"]*"|'[^']*'|[^:,{}\s][^:,{}]*?)\s*:""", row[col - 1:])
    if not m:
        return None
    key = m.group(1)
    # flow mapping on the same line: an earlier `key:` on that line
    if re.search(r"[{,]\s*" + re.escape(key) + r"\s*:", row[: col - 1]):
        return line
    same_key = re.compile(re.escape(key) + r"\s*:(?:\s|$)")
    for n in range(line - 1, max(mapping_line, 1) - 1, -1):
        candidate = lines[n - 1]
        if not candidate[: col - 1].strip(" -") and same_key.match(candidate, col - 1):
            return n
    return None


def document_starts(text: str) -> list[int]:
    """1-based first line of each document, numbered as the parsers number them:
    content before the first marker is a document, every `---` starts one, and
    content after a `...` end marker starts one without a marker."""
    starts: list[int] = []
    open_doc = False
    bare_marker = False  # the last start is a `---` line with nothing after it
    for n, line in enumerate(yaml_lines(text), 1):
        m = _MARKER.match(line)
        content = bool(line.strip()) and not line.lstrip().startswith("#")
        if m and m.group(1) == "---":
            starts.append(n)
            open_doc = True
            rest = line[3:].strip()
            bare_marker = not rest or rest.startswith("#")
        elif m:
            open_doc = bare_marker = False
        elif not open_doc and content and not line.startswith("%"):
            starts.append(n)
            open_doc = True
        elif bare_marker and content:
            # point at the document's first line of content, not at its marker
            starts[-1] = n
            bare_marker = False
    return starts


# ruamel's pure-Python scanner reads ~3 MB/s: a 1 MB string costs a third of a second
# per file. Letters and digits are never YAML syntax, so a long run of them is cut to
# a short one before the positional parse and the columns after it are shifted back.
_LONG_RUN = re.compile(r"[A-Za-z0-9]{256,}")
_KEEP = 16


def _shrunk(text: str) -> tuple[str, dict[int, list[tuple[int, int]]]]:
    """`text` with long letter/digit runs cut, and per 0-based line the (column in the
    cut line after which, characters removed) of each cut."""
    cuts: dict[int, list[tuple[int, int]]] = {}
    out: list[str] = []
    pos = removed_on_line = 0
    line = 0
    for m in _LONG_RUN.finditer(text):
        between = text[pos:m.start()]
        newlines = between.count("\n")
        if newlines:
            line += newlines
            removed_on_line = 0
        out.append(between)
        out.append(m.group()[:_KEEP])
        removed = len(m.group()) - _KEEP
        start_col = m.start() - (text.rfind("\n", 0, m.start()) + 1) - removed_on_line
        cuts.setdefault(line, []).append((start_col + _KEEP, removed))
        removed_on_line += removed
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), cuts


class Positions:
    """Positions inside one file's text; parsed on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._docs: list[Any] | None = None
        self._starts: list[int] | None = None
        self._cuts: dict[int, list[tuple[int, int]]] = {}

    def _load(self) -> list[Any]:
        if self._docs is None:
            text, self._cuts = _shrunk(self._text) if _LONG_RUN.search(self._text) else (self._text, {})
            text = _for_ruamel(text)
            try:
                self._docs = list(_loader().load_all(text))
            except Exception:  # positions are best effort: the problem itself is already known
                self._docs = []
        return self._docs

    def _original(self, line: int, col: int) -> tuple[int, int]:
        """A 1-based position in the cut text as a position in the file."""
        return line, col + sum(removed for after, removed in self._cuts.get(line - 1, ()) if col - 1 >= after)

    def locate(self, doc: int, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path` in document `doc`; with
        `key`, of the mapping key itself. Stops at the deepest part that exists."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        docs = self._load()
        if doc >= len(docs):
            return self._doc_start(doc)
        node = docs[doc]
        best = _own(node) or self._doc_start(doc)
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, CommentedMap) and _hashable(part) and part in node:
                kl, kc, vl, vc = node.lc.data[part]
                # an empty value (`t:` then a newline) is null, and ruamel places it at
                # the next token, on a later line: point at its key instead
                empty = node[part] is None and vl > kl
                best = (kl + 1, kc + 1) if ((key and last) or empty) else (vl + 1, vc + 1)
                if isinstance(node[part], (CommentedMap, CommentedSeq)) and not (key and last):
                    best = _own(node[part]) or best
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.data[part]
                best = (line + 1, col + 1)
                node = node[part]
            else:
                break
        return self._original(*best) if self._cuts else best

    def _doc_start(self, doc: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = document_starts(self._text)
        return (self._starts[doc], 1) if 0 <= doc < len(self._starts) else (1, 1)


def _hashable(part: Any) -> bool:
    try:
        hash(part)
    except TypeError:
        return False
    return True


def _own(node: Any) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return lc.line + 1, lc.col + 1
