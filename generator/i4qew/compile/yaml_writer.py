"""A small, fast, deterministic YAML writer for the generated Chart.yaml and values.yaml.

Helm reads these files with Go YAML, which still follows YAML 1.1 in places:
a plain `on`, `yes`, `y`, `0777`, `1e3` or `1_000` is a bool or a number there.
So the writer never leaves a string to the reader's guess:

- every string value is double-quoted (JSON string syntax, a subset of YAML's
  double-quoted style), except multi-line text that can be written as a literal
  block (`|`) exactly, which keeps config files readable in values.yaml;
- characters that YAML 1.1 readers treat as line breaks or that are not printable
  (C1 controls, U+2028/U+2029, BOM, ...) are escaped as \\uXXXX;
- mapping keys are plain only when they cannot be read as anything but a string;
- mappings and sequences are block style, sequences indented under their key.

The input is JSON-like data (dict, list, str, int, float, bool, None) whose key
order the caller fixes. A dedicated writer (rather than a YAML library) keeps the
quoting rules in one visible place and is several times faster, which matters
when an environment branch holds thousands of charts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any, Final

from i4qew import memo

_PLAIN_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
# Words some YAML reader (1.1 or 1.2) resolves to a bool or null.
_RESERVED_WORDS: Final = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
)
# Not escaped by json's encoder, yet unsafe raw in a YAML 1.1 double-quoted scalar.
_EXTRA_ESCAPES: Final = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)}
_NEEDS_EXTRA_ESCAPE: Final = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
# Everything json's encoder leaves raw that must not appear in a literal block.
_LITERAL_UNSAFE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def quote(text: str) -> str:
    """`text` as a double-quoted YAML scalar that every YAML reader reads back exactly."""
    quoted: str = encode_basestring(text)
    # translate() is slow per character; most strings need none of it.
    return quoted.translate(_EXTRA_ESCAPES) if _NEEDS_EXTRA_ESCAPE.search(quoted) else quoted


@memo.lru(4096)
def key(text: str) -> str:
    if _PLAIN_KEY.fullmatch(text) and text.lower() not in _RESERVED_WORDS:
        return text
    return quote(text)


def _literal(text: str) -> list[str] | None:
    """The header and lines of a literal block for `text`, or None if it cannot be one."""
    if _LITERAL_UNSAFE.search(text) or text[0] in " \t\n":
        return None
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    lines = body.split("\n")
    if any(line != line.rstrip(" \t") for line in lines):
        return None  # trailing blanks: exact in YAML, but yamllint rejects them
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    return ["|" + chomp, *lines, *([""] * (trailing - 1))]


def scalar(value: Any) -> str:
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write the non-finite number {value!r}")
        text = repr(value)
        # YAML 1.1 readers take `1e+16` for a string: give the mantissa a dot.
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


def _is_map(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def _is_seq(value: Any) -> bool:
    return type(value) is list or (isinstance(value, Sequence) and not isinstance(value, (str, bytes)))


def _value_lines(prefix: str, value: Any, indent: int, out: list[str]) -> None:
    """Append `prefix` followed by `value`; nested blocks are indented to `indent`."""
    if type(value) is str:  # the common case first
        if "\n" in value and (block := _literal(value)) is not None:
            pad = " " * indent
            out.append(f"{prefix} {block[0]}")
            out.extend(pad + line if line else "" for line in block[1:])
        else:
            out.append(f"{prefix} {quote(value)}")
    elif _is_map(value):
        if not value:
            out.append(prefix + " {}")
            return
        out.append(prefix)
        _mapping(value, indent, out)
    elif _is_seq(value):
        if not value:
            out.append(prefix + " []")
            return
        out.append(prefix)
        _sequence(value, indent, out)
    else:
        out.append(f"{prefix} {scalar(value)}")


def _mapping(data: Mapping[str, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for k, v in data.items():
        _value_lines(f"{pad}{key(k)}:", v, indent + 2, out)


def _sequence(items: Sequence[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if item and (_is_map(item) or _is_seq(item)):
            # Write the nested block two columns in, then pull its first line up
            # onto the dash: `- name: x` / `  value: y`.
            start = len(out)
            if _is_map(item):
                _mapping(item, indent + 2, out)
            else:
                _sequence(item, indent + 2, out)
            out[start] = f"{pad}- {out[start][indent + 2:]}"
        else:
            _value_lines(f"{pad}-", item, indent + 2, out)


def dump(data: Mapping[str, Any], header: Sequence[str] = ()) -> bytes:
    """A YAML document for `data`, preceded by `header` comment lines; ends with a newline."""
    out = [f"# {line}" if line else "#" for line in header]
    _mapping(data, 0, out)
    return ("\n".join(out) + "\n").encode("utf-8")
