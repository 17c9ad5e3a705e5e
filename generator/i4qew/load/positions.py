"""Line and column of any value, computed only for files that have problems.

ruamel.yaml's round-trip loader keeps the position of every key, value and
sequence item; it is ~20x slower than the fast parser, so it runs lazily, once
per file, and only when a problem in that file needs a position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

KeyPath = Sequence[str | int]


def _loader() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def ruamel_problem_mark(text: str) -> tuple[int, int] | None:
    try:
        list(_loader().load_all(text))
    except Exception as exc:  # ruamel raises many types; we only want its mark
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if mark is not None:
            return mark.line + 1, mark.column + 1
    return None


class Positions:
    """Positions inside one file's text; parsed on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._docs: list[Any] | None = None

    def _load(self) -> list[Any]:
        if self._docs is None:
            try:
                self._docs = list(_loader().load_all(self._text))
            except Exception:  # positions are best effort: the problem itself is already known
                self._docs = []
        return self._docs

    def locate(self, doc: int, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path` in document `doc`; with
        `key`, of the mapping key itself. Stops at the deepest part that exists."""
        docs = self._load()
        if doc >= len(docs):
            return self._doc_start(doc)
        node = docs[doc]
        best = _own(node) or self._doc_start(doc)
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, CommentedMap) and part in node:
                kl, kc, vl, vc = node.lc.data[part]
                best = (kl + 1, kc + 1) if (key and last) else (vl + 1, vc + 1)
                if isinstance(node[part], (CommentedMap, CommentedSeq)) and not (key and last):
                    best = _own(node[part]) or best
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.data[part]
                best = (line + 1, col + 1)
                node = node[part]
            else:
                break
        return best

    def _doc_start(self, doc: int) -> tuple[int, int]:
        seen = 0
        lines = self._text.splitlines()
        for n, line in enumerate(lines, 1):
            if line.startswith("---"):
                if seen == doc and n > 1:
                    return n, 1
                seen += 1
        return 1, 1


def _own(node: Any) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return lc.line + 1, lc.col + 1
