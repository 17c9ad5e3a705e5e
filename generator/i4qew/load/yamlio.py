"""YAML parsing: a fast path for every file, a positional path for files with problems.

Every file is parsed with yaml-rs (Rust; YAML 1.2 core schema, duplicate keys
refused, alias replay bounded). Line and column numbers are only needed where a
problem is reported, so ruamel.yaml (also YAML 1.2) re-reads just those files.
Both parsers follow YAML 1.2, so one document means the same thing in the fast
path, the positional path and the output: `on`, `yes`, `no` are strings; `0777`
is the integer 777; an unquoted `1e3` is a number (quote versions and labels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml_rs

from i4qew.problems import Problem, error

# A declaration never needs more than this many nodes replayed through aliases;
# a billion-laughs file trips it after microseconds instead of gigabytes.
MAX_ALIAS_EVENTS = 100_000
MAX_DEPTH = 64
_LIMITS = yaml_rs.AliasLimits(
    max_total_replayed_events=MAX_ALIAS_EVENTS,
    max_replay_stack_depth=MAX_DEPTH,
)
_POS = re.compile(r"line (\d+),? column (\d+)")
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Parsed:
    """The documents of one file, empty documents included as None (index = position)."""

    path: str
    text: str
    docs: list[Any]


def parse(path: str, text: str) -> Parsed | Problem:
    try:
        result = yaml_rs.loads(text, parse_datetime=False, alias_limits=_LIMITS)
    except yaml_rs.YAMLDecodeError as exc:
        return _parse_problem(path, text, str(exc))
    except RecursionError:
        return error(path, 1, 1, "yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels")
    if _depth_exceeds(result, MAX_DEPTH):
        return error(path, 1, 1, "yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels")
    return Parsed(path, text, _documents(text, result))


def _documents(text: str, result: Any) -> list[Any]:
    """yaml-rs returns a bare value for one document and a list for several:
    tell a multi-document stream from a single top-level sequence."""
    if not isinstance(result, list) or not _DOC_MARKER.search(text):
        return [result]
    markers = len(re.findall(r"^---(?:[ \t]|$)", text, re.MULTILINE))
    before_first = text.split("\n---", 1)[0] if not text.startswith("---") else ""
    expected = markers + (1 if _has_content(before_first) else 0)
    if expected >= 2 and len(result) == expected:
        return result
    return [result] if expected <= 1 else result


def _has_content(chunk: str) -> bool:
    for line in chunk.splitlines():
        s = line.strip()
        if s and not s.startswith("#") and not s.startswith("%"):
            return True
    return False


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return True
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return False


def _parse_problem(path: str, text: str, message: str) -> Problem:
    first = message.strip().splitlines()[0] if message.strip() else "invalid YAML"
    if "alias" in first and ("limit" in first or "exceeded" in first):
        return error(path, 1, 1, "yaml-alias-limit",
                     f"aliases expand to more than {MAX_ALIAS_EVENTS:,} nodes (alias bomb?); refused")
    if "recursion" in first.lower() or "depth" in first.lower():
        return error(path, 1, 1, "yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels")
    line, col = 1, 1
    m = _POS.search(message)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
    detail = _detail(message) or first
    if "duplicate" in first:
        line, col = _ruamel_error_position(text) or (line, col)
        return error(path, line, col, "duplicate-key", first.replace("duplicate mapping key", "duplicate key"))
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1][: max(col, 1) + 1]:
        return error(path, line, col, "yaml-syntax", "tab character in indentation: YAML indents with spaces only")
    return error(path, line, col, "yaml-syntax", detail)


def _detail(message: str) -> str:
    """yaml-rs prints a caret diagram; the last line is the human reason."""
    rows = [r.strip() for r in message.strip().splitlines() if r.strip()]
    text_rows = [r for r in rows if not r.startswith("|") and not re.match(r"^\d+\s*\|", r)]
    if len(text_rows) > 1:
        return text_rows[-1]
    head = rows[0] if rows else "invalid YAML"
    return re.sub(r"^YAML parse error at line \d+, column \d+:?\s*", "", head) or "invalid YAML"


def _ruamel_error_position(text: str) -> tuple[int, int] | None:
    from i4qew.load.positions import ruamel_problem_mark

    return ruamel_problem_mark(text)
