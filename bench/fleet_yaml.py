"""A small, fast, deterministic block-style YAML emitter in kubectl's style.

The synthetic fleet writes megabytes of YAML; PyYAML's emitter is slow at that
size and quotes with single quotes, while `kubectl get -o yaml` (go-yaml)
double-quotes and does not indent a sequence under its key. This emitter
writes that style, and quotes every string a YAML 1.1 *or* 1.2 reader could
take for something else, so PyYAML, yaml-rs and ruamel read the same values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_RESERVED = frozenset((
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    "~", ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf", ".nan", ".NaN", ".NAN",
))
# Starts with a digit or sign and reads as an int, float, sexagesimal or timestamp in some YAML.
_NUMBERISH = re.compile(
    r"^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*"
    r"|(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+)$"
)
_TIMESTAMPISH = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_PLAIN_OK = re.compile(r"^[A-Za-z0-9_./(][A-Za-z0-9_./@+=(),:;<>$%*~-]*(?: [A-Za-z0-9_./@+=(),;<>$%*~-]+)*$")


def scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return string(str(value))


def string(s: str) -> str:
    if (
        s in _RESERVED
        or not _PLAIN_OK.match(s)
        or _NUMBERISH.match(s)
        or _TIMESTAMPISH.match(s)
        or s.endswith(":")
        or ": " in s
        or "{{" in s
    ):
        return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar
    return s


def _emit(value: Any, indent: int, out: list[str]) -> None:
    """Append the lines of a block collection (never called on a scalar)."""
    pad = " " * indent
    if isinstance(value, Mapping):
        for key, item in value.items():
            k = string(str(key))
            if isinstance(item, Mapping) and item:
                out.append(f"{pad}{k}:\n")
                _emit(item, indent + 2, out)
            elif isinstance(item, list | tuple) and item:
                out.append(f"{pad}{k}:\n")
                _emit(item, indent, out)  # go-yaml style: "- " at the key's column
            else:
                out.append(f"{pad}{k}: {_inline(item)}\n")
        return
    for item in value:
        if isinstance(item, Mapping) and item:
            sub: list[str] = []
            _emit(item, indent + 2, sub)
            sub[0] = f"{pad}- {sub[0][indent + 2:]}"
            out.extend(sub)
        elif isinstance(item, list | tuple) and item:
            sub = []
            _emit(item, indent + 2, sub)
            sub[0] = f"{pad}- {sub[0][indent + 2:]}"
            out.extend(sub)
        else:
            out.append(f"{pad}- {_inline(item)}\n")


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return scalar(value)


def dump(value: Mapping[str, Any] | Sequence[Any]) -> str:
    """One YAML document (no `---`), ending with a newline."""
    out: list[str] = []
    _emit(value, 0, out)
    return "".join(out)


def dump_all(documents: Sequence[Mapping[str, Any]]) -> str:
    return "---\n".join(dump(d) for d in documents)
