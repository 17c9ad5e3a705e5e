"""YAML parsing: a fast path for every file, a positional path for files with problems.

Every file is parsed with yaml-rs (Rust; YAML 1.2 core schema, duplicate keys
refused, alias replay bounded). Line and column numbers are only needed where a
problem is reported, so ruamel.yaml (also YAML 1.2) re-reads just those files.
Both parsers follow YAML 1.2, so one document means the same thing in the fast
path, the positional path and the output: `on`, `yes`, `no` are strings; `0777`
is the integer 777; an unquoted `1e3` is a number (quote versions and labels).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml_rs

from i4qew.load.positions import duplicate_key_marks, yaml_lines
from i4qew.problems import Problem, error

# A declaration never needs more than this many nodes replayed through aliases;
# a billion-laughs file trips it after microseconds instead of gigabytes.
MAX_ALIAS_EVENTS = 100_000
MAX_DEPTH = 64
# The node budget counts nodes, not their size: a 100 KB file whose long string is
# replayed a thousand times would be 100 MB of values.yaml. Without aliases a file's
# strings are at most as long as its text, so any excess over that is alias growth.
MAX_ALIAS_GROWTH = 1024 * 1024
_LIMITS = yaml_rs.AliasLimits(
    max_total_replayed_events=MAX_ALIAS_EVENTS,
    max_replay_stack_depth=MAX_DEPTH,
)
_POS = re.compile(r"line (\d+),? column (\d+)")
# A line that is a document marker; markers cannot occur inside quoted or
# indented content, so a line scan is exact enough to decide "several documents".
_MARKER_LINE = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)
# Appended to count documents: yaml-rs returns a bare value for one document and
# a list for several, which a single document holding a list cannot be told from.
_SENTINEL = "\n---\n__i4qew_end_of_stream__\n"
_LONG_NUMBER = re.compile(r"[0-9]{4000,}")


@dataclass(frozen=True, slots=True)
class Parsed:
    """The documents of one file, empty documents included as None (index = position)."""

    path: str
    text: str
    docs: list[Any]
    # per document: (key path, at the key?, message) of values it cannot hold (see inspect)
    issues: list[list[Issue]]


def parse(path: str, text: str) -> Parsed | Problem:
    try:
        result = _loads(text)
    except yaml_rs.YAMLDecodeError as exc:
        return _parse_problem(path, text, str(exc))
    except RecursionError:
        return error(path, 1, 1, "yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels")
    except ValueError:
        # defensive: a literal Python cannot turn into a number
        m = _LONG_NUMBER.search(text)
        line, col = _offset_position(text, m.start()) if m else (1, 1)
        return error(path, line, col, "yaml-syntax", "number literal too long; quote it if it is text")
    docs = _documents(text, result)
    if "*" not in text and all(_plain(d) for d in docs):
        # No alias (each needs a `*`): the strings are pieces of the text, within the budget.
        return Parsed(path, text, docs, [[] for _ in docs])
    issues: list[list[Issue]] = []
    remaining = len(text) + MAX_ALIAS_GROWTH
    try:
        for d in docs:
            found, used = _inspect(d, 20, remaining)
            issues.append(found)
            remaining -= used
    except _TooDeep:
        return error(path, 1, 1, "yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels")
    except _TooBig:
        return error(path, 1, 1, "yaml-alias-limit",
                     f"aliases add more than {MAX_ALIAS_GROWTH // 1024 // 1024} MiB of text to the file "
                     "(a long string repeated by aliases?); refused")
    return Parsed(path, text, docs, issues)


def _loads(text: str) -> Any:
    return yaml_rs.loads(text, parse_datetime=False, alias_limits=_LIMITS)


def _documents(text: str, result: Any) -> list[Any]:
    """The file's documents in order; a single top-level list stays one document."""
    if not isinstance(result, list):
        return [result]
    if not _MARKER_LINE.search(text):
        return [result]  # no marker: one document that happens to be a list
    # Parse again with one extra document to learn how many there were. Only
    # the count is taken from this parse: the sentinel's added newline could
    # change a final block scalar's value.
    counted = _loads(text + _SENTINEL)
    n = len(counted) - 1 if isinstance(counted, list) else 0
    return [result] if n <= 1 else list(result)


# Kubernetes integers are int64; a longer literal is a typo and would also
# hit Python's 4,300-digit limit when printed.
_INT64 = 2**63


Issue = tuple[tuple[Any, ...], bool, str]


class _TooDeep(Exception):
    pass


def inspect(value: Any, limit: int = 20) -> list[Issue]:
    """(key path, at the key?, message) for what YAML allows but a declaration cannot
    hold: keys that are not strings (`1: x`, `true: x`, `? [a, b]`), integers beyond
    64 bits, `.nan` and `.inf`; JSON Schema and every later stage assume none occurs.
    Raises _TooDeep past MAX_DEPTH levels."""
    return _inspect(value, limit, None)[0]


class _TooBig(Exception):
    pass


def _inspect(value: Any, limit: int, budget: int | None) -> tuple[list[Issue], int]:
    """`inspect`, and the characters of all strings (keys and values, each alias
    counted where it is replayed); raises _TooBig when they exceed `budget`. One pass
    over every node of every file: the path is kept in one list and copied only for
    a finding."""
    found: list[Issue] = []
    path: list[Any] = []
    size = 0

    def walk(v: Any, depth: int) -> None:
        nonlocal size
        if depth > MAX_DEPTH:
            raise _TooDeep
        t = type(v)
        if t is dict:
            for k, x in v.items():
                if type(k) is not str:
                    found.append(_key_issue((*path, k), k))
                    continue
                size += len(k)
                if type(x) is str:
                    size += len(x)
                else:
                    path.append(k)
                    walk(x, depth + 1)
                    path.pop()
        elif t is list:
            for i, x in enumerate(v):
                if type(x) is str:
                    size += len(x)
                else:
                    path.append(i)
                    walk(x, depth + 1)
                    path.pop()
        elif t is int and not -_INT64 <= v < _INT64:
            found.append((tuple(path), False, "integer out of the 64-bit range; quote it if it is text"))
        elif t is float and not math.isfinite(v):
            shown = ".nan" if v != v else (".inf" if v > 0 else "-.inf")
            found.append((tuple(path), False, f"{shown} is not a finite number; quote it if it is text"))
        if budget is not None and size > budget:
            raise _TooBig

    if type(value) is str:
        size = len(value)
    else:
        walk(value, 0)
    if budget is not None and size > budget:
        raise _TooBig
    return found[:limit], size


def _plain(value: Any) -> bool:
    """True when `inspect` finds nothing in `value` and it nests within MAX_DEPTH (False
    when in doubt: the full walk then answers). One pass with no path kept and no
    string counted, for a document without aliases."""
    t = type(value)
    return _plain_collection(value, 0) if t is dict or t is list else t is str or value is None or t is bool


def _plain_collection(v: dict[Any, Any] | list[Any], depth: int) -> bool:
    if depth >= MAX_DEPTH:
        return False
    if type(v) is dict:
        for k in v:
            if type(k) is not str:
                return False
        items: Any = v.values()
    else:
        items = v
    for x in items:
        t = type(x)
        if t is str:
            continue
        if t is dict or t is list:
            if not _plain_collection(x, depth + 1):
                return False
        elif t is int:
            if not -_INT64 <= x < _INT64:
                return False
        elif t is float and not math.isfinite(x):
            return False
    return True


def _key_issue(path: tuple[Any, ...], k: Any) -> Issue:
    if isinstance(k, (list, tuple, dict)):
        return path, True, "a mapping key must be a plain string, not a collection"
    shown = "null" if k is None else str(k).lower() if isinstance(k, bool) else _short(k)
    return path, True, f'mapping key {shown} is not a string; quote it: "{shown}"'


def _short(k: Any) -> str:
    if isinstance(k, int) and not -_INT64 <= k < _INT64:
        return "<a very long number>"
    return str(k)


def _parse_problem(path: str, text: str, message: str) -> Problem:
    first = message.strip().splitlines()[0] if message.strip() else "invalid YAML"
    if "alias" in first and ("limit" in first or "exceeded" in first):
        return error(path, 1, 1, "yaml-alias-limit",
                     f"aliases expand to more than {MAX_ALIAS_EVENTS:,} nodes (alias bomb?); refused")
    line, col = 1, 1
    m = _POS.search(message)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
    detail = _detail(message) or first
    if "recursion" in detail.lower() or "depth" in first.lower():
        return error(path, line, col, "yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels")
    if "unknown anchor" in detail:
        return error(path, line, col, "yaml-syntax",
                     "alias to an unknown anchor: define &name earlier in the same document (anchors do not cross '---')")
    if "duplicate" in first:
        return _duplicate_problem(path, text, first, (line, col))
    lines = yaml_lines(text)
    if 0 < line <= len(lines):
        tab = _tab_message(lines[line - 1], col)
        if tab:
            return error(path, line, lines[line - 1].index("\t") + 1 if "\t" in lines[line - 1] else col, "yaml-syntax", tab)
    if line > len(lines) and lines:
        # "unexpected end of stream": point at the last line, not past it
        line, col = len(lines), max(1, len(lines[-1]))
    return error(path, line, col, "yaml-syntax", detail)


def _tab_message(row: str, col: int) -> str | None:
    if "\t" not in row[: max(col, 1) + 1]:
        return None
    indent = row[: len(row) - len(row.lstrip(" \t"))]
    if "\t" in indent:
        return "tab character in indentation: YAML indents with spaces only"
    return "tab character where YAML needs a space (after ':' or '-'); use spaces"


def _detail(message: str) -> str:
    """yaml-rs prints a caret diagram; the last line is the human reason."""
    rows = [r.strip() for r in message.strip().splitlines() if r.strip()]
    text_rows = [r for r in rows if not r.startswith("|") and not re.match(r"^\d+\s*\|", r) and r != "^"]
    if len(text_rows) > 1:
        return text_rows[-1]
    head = rows[0] if rows else "invalid YAML"
    return re.sub(r"^YAML parse error at line \d+, column \d+:?\s*", "", head) or "invalid YAML"


def _duplicate_problem(path: str, text: str, first: str, fallback: tuple[int, int]) -> Problem:
    """The duplicate key's own line and column, and where the key was first set."""

    key = first.split(":", 1)[1].strip() if ":" in first else ""
    marks = duplicate_key_marks(text)
    if marks is None:
        return error(path, fallback[0], fallback[1], "duplicate-key", f"duplicate key {key}")
    (line, col), original = marks
    where = f" (first set at line {original})" if original else ""
    return error(path, line, col, "duplicate-key", f"duplicate key {key}{where}; a key may appear once per mapping")


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
