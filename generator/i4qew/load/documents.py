"""Documents: a parsed YAML document that knows where it came from.

Rules and schema checks point at values by key path; the document turns that
into `PATH:LINE:COL` only when a problem is actually reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from i4qew.load.positions import KeyPath, Positions, yaml_lines
from i4qew.problems import Problem, Severity

# A plain scalar up to a flow indicator or a comment.
_PLAIN_SCALAR = re.compile(r"""[^\s'"\[\]{},#&*!|>%@`][^,\[\]{}#]*""")


@dataclass(eq=False)
class SourceFile:
    path: str
    text: str
    key: str = ""  # the persistent cache's key of the bytes the text was read from, when it has one
    _positions: Positions | None = field(default=None, repr=False)

    def locate(self, doc: int, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        if self._positions is None:
            self._positions = Positions(self.text)
        return self._positions.locate(doc, path, key=key)


@dataclass(eq=False, slots=True)
class Document:
    source: SourceFile
    index: int
    data: Any

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else None

    @property
    def name(self) -> str | None:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else None

    def at(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        return self.source.locate(self.index, path, key=key)

    def at_inside(self, path: KeyPath, value: str, offset: int) -> tuple[int, int]:
        """Position of character `offset` of the string `value` stored at `path`:
        exact for one-line plain or quoted scalars and `|` block scalars, else the
        value's own position. Each guess is checked against the text."""
        line, col = self.at(path)
        lines = yaml_lines(self.source.text)
        if not 0 < line <= len(lines):
            return line, col
        row = lines[line - 1]
        probe = value[offset: offset + 12].split("\n", 1)[0]
        if "\n" not in value:
            skip = 1 if row[col - 1: col] in ("'", '"') else 0
            if row.startswith(probe, col - 1 + skip + offset):
                return line, col + skip + offset
            return line, col
        if row[col - 1: col] == "|":
            start = value.rfind("\n", 0, offset) + 1
            target = line + 1 + value.count("\n", 0, offset)
            # the block's indentation is that of its first line with content
            first = next((r for r in lines[line:] if r.strip()), "")
            indent = len(first) - len(first.lstrip(" "))
            if target <= len(lines) and lines[target - 1].startswith(probe, indent + offset - start):
                return target, indent + offset - start + 1
        return line, col

    def raw_scalar(self, path: KeyPath) -> str | None:
        """The text of the plain (unquoted) scalar at `path` as written, or None."""
        line, col = self.at(path)
        lines = yaml_lines(self.source.text)
        if not 0 < line <= len(lines):
            return None
        m = _PLAIN_SCALAR.match(lines[line - 1], col - 1)
        return m.group(0).rstrip() if m else None

    def problem(
        self,
        path: KeyPath,
        rule: str,
        message: str,
        severity: Severity = Severity.ERROR,
        *,
        key: bool = False,
        column_offset: int = 0,
    ) -> Problem:
        line, col = self.at(path, key=key)
        if column_offset:
            col += column_offset + self._quote_width(line, col)
        return Problem(self.path, line, col, severity, rule, message)

    def _quote_width(self, line: int, col: int) -> int:
        """A column inside a quoted scalar starts one character later."""
        lines = yaml_lines(self.source.text)
        if 0 < line <= len(lines) and col - 1 < len(lines[line - 1]):
            return 1 if lines[line - 1][col - 1] in "\"'" else 0
        return 0
