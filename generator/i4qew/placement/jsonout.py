"""Deterministic JSON for files that hold long lists of cluster names.

`json.dumps(indent=...)` runs the pure-Python encoder (about 1 µs per item);
at 10,000 clusters × hundreds of decisions that is seconds. Long string lists
are wrapped in `NameList` and rendered by the C encoder, one name per line
(git diffs of a snapshot then show exactly the clusters gained and lost).
"""

from __future__ import annotations

import json
import re
from typing import Any


class NameList(list[str]):
    """A list of strings rendered one per line by the fast encoder."""


_TOKEN = re.compile(r'^( *)(.*)"@@names:(\d+)@@"', re.MULTILINE)


def dumps(obj: Any) -> str:
    """sort_keys, 2-space indent, UTF-8 text, trailing newline."""
    lists: list[NameList] = []

    def swap(value: Any) -> Any:
        if isinstance(value, NameList):
            lists.append(value)
            return f"@@names:{len(lists) - 1}@@"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(obj), indent=2, sort_keys=True, ensure_ascii=False)

    def render(m: re.Match[str]) -> str:
        indent, prefix, n = m.group(1), m.group(2), int(m.group(3))
        names = lists[n]
        if not names:
            return f"{indent}{prefix}[]"
        inner = " " * (len(indent) + 2)
        body = json.dumps(names, ensure_ascii=False, separators=(",\n" + inner, ": "))
        return f"{indent}{prefix}[\n{inner}{body[1:-1]}\n{indent}]"

    return _TOKEN.sub(render, text) + "\n"
