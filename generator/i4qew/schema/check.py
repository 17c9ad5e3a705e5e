"""Check documents against the kinds' JSON Schemas and explain failures in user terms.

jsonschema-rs (Rust) validates: a valid document costs microseconds, which keeps
`validate` instant on thousands of workloads; errors are then translated into
problem lines with "did you mean" hints for unknown fields and enum values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs

from i4qew import memo
from i4qew.load.documents import Document
from i4qew.problems import Problem
from i4qew.schema.kinds import API_VERSION, KINDS, load_schema
from i4qew.text import did_you_mean, dotted, shorten


@memo.lru()
def _validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(kind))


def check_document(doc: Document) -> list[Problem]:
    data = doc.data
    problems: list[Problem] = []
    api = data.get("apiVersion")
    if api != API_VERSION:
        problems.append(doc.problem(("apiVersion",), "api-version",
                                    f"apiVersion must be {API_VERSION}, not {shorten(repr(api))}" if api is not None
                                    else f"missing apiVersion: {API_VERSION}"))
    kind = data.get("kind")
    if kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) if isinstance(kind, str) else ""
        problems.append(doc.problem(("kind",), "unknown-kind",
                                    f"unknown kind {shorten(repr(kind))}{hint}; expected one of {', '.join(KINDS)}"))
        return problems
    validator = _validator(kind)
    if validator.is_valid(data):
        return problems
    schema = load_schema(kind)
    merges = _merge_keys(data)
    for merge in merges:
        problems.append(doc.problem(merge, "unknown-field",
                                    "merge keys (<<) are YAML 1.1 and i4qew reads YAML 1.2: write the fields out",
                                    key=True))
    for err in validator.iter_errors(data):
        path: list[str | int] = list(err.instance_path)
        if path == ["apiVersion"] or "<<" in path:
            continue  # reported above in plain words
        problems.extend(_translate(doc, schema, err, path))
    return problems


def _merge_keys(data: Any) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        v, path = stack.pop()
        if isinstance(v, dict):
            found.extend((*path, k) for k in v if k == "<<")
            stack.extend((x, (*path, k)) for k, x in v.items() if k != "<<")
        elif isinstance(v, list):
            stack.extend((x, (*path, i)) for i, x in enumerate(v))
    return sorted(found, key=str)


def _translate(doc: Document, schema: dict[str, Any], err: Any, path: list[str | int]) -> Iterator[Problem]:
    kind = type(err.kind).__name__
    where = dotted(path) or "document"
    value = err.instance
    if kind == "AdditionalProperties":
        allowed = sorted(_at(schema, list(err.schema_path)[:-1]).get("properties", {}))
        for name in err.kind.unexpected:
            if name == "<<":
                continue
            hint = did_you_mean(name, allowed)
            yield doc.problem([*path, name], "unknown-field", f"unknown field '{shorten(name)}' in {where}{hint}", key=True)
    elif kind == "Required":
        missing = str(err.kind.property)
        yield doc.problem(path, "missing-field", f"{where}: missing required field '{missing}'", key=bool(path))
    elif kind == "Type":
        yield doc.problem(path, "schema", f"{where}: expected {_types(err.kind.types)}, got {_type_name(value)}"
                                          f"{_quote_hint(doc, path, _types(err.kind.types), value)}")
    elif kind in ("Enum", "Constant"):
        options = [str(o) for o in (err.kind.options if kind == "Enum" else [err.kind.expected_value])]
        hint = did_you_mean(str(value), options)
        if str(value) in _SYNONYMS and _SYNONYMS[str(value)] in options:
            hint = f" (did you mean '{_SYNONYMS[str(value)]}'? Kubernetes names architectures as Go does)"
        shown = repr(shorten(value)) if isinstance(value, str) else _type_name(value)
        yield doc.problem(path, "schema", f"{where}: {shown} is not one of {', '.join(options)}{hint}")
    elif kind == "AnyOf":
        alternatives = _at(schema, list(err.schema_path)[:-1]).get("anyOf") or []
        branch = _branch(alternatives, value)
        if branch is not None:
            # One alternative has the value's type: explain what is wrong inside it
            # ("unknown field 'sorce'") rather than that no alternative fits.
            for inner in jsonschema_rs.validator_for(branch).iter_errors(value):
                yield from _translate(doc, branch, inner, [*path, *inner.instance_path])
            return
        forms = [_form(a) for a in alternatives if isinstance(a, dict)]
        expected = " or ".join(dict.fromkeys(f for f in forms if f)) or "another form"
        yield doc.problem(path, "schema", f"{where}: expected {expected}, got {_type_name(value)}"
                                          f"{_quote_hint(doc, path, expected, value)}")
    elif kind in ("MinItems", "MinLength"):
        yield doc.problem(path, "schema", f"{where}: must not be empty")
    elif kind in ("MinProperties", "MaxProperties") and path[-1:] == ["valueFrom"]:
        yield doc.problem(path, "schema", f"{where}: give exactly one of secretKeyRef and configMapKeyRef")
    elif kind == "MinProperties":
        yield doc.problem(path, "schema", f"{where}: must not be empty")
    elif kind == "PropertyNames":
        bad = [k for k in value if isinstance(k, str) and k != "<<"] if isinstance(value, dict) else []
        pattern = _at(schema, list(err.schema_path)[:-1]).get("pattern", "")
        for name in bad:
            if not pattern or not re.search(pattern, name):
                yield doc.problem([*path, name], "schema", f"{where}: {shorten(name)!r} is not a valid name here "
                                                           "(letters, digits, '-', '_', '.', with an optional domain/ prefix)", key=True)
    elif kind == "Pattern" and _at(schema, list(err.schema_path)[:-1]).get("x-expected"):
        expected = _at(schema, list(err.schema_path)[:-1])["x-expected"]
        yield doc.problem(path, "schema", f"{where}: {shorten(str(value))!r} is not {expected}")
    else:
        yield doc.problem(path, "schema", f"{where}: {shorten(str(err.message), 120)}")


_JSON_TYPES = {"object": dict, "array": list, "string": str}


def _branch(alternatives: list[Any], value: Any) -> dict[str, Any] | None:
    """The only alternative of an anyOf whose (object, array, string or integer) type the
    value has, when it is an object or an integer: `size: -5` is an integer below the
    minimum, not a value to quote."""
    if isinstance(value, bool):
        return None
    fits = [a for a in alternatives if isinstance(a, dict) and isinstance(a.get("type"), str)
            and (isinstance(value, _JSON_TYPES.get(a["type"], ())) or (a["type"] == "integer" and isinstance(value, int)))]
    return fits[0] if len(fits) == 1 and fits[0]["type"] in ("object", "integer") else None


def _form(alternative: dict[str, Any]) -> str:
    t = alternative.get("type")
    if t == "object" and alternative.get("required"):
        return f"a mapping with {', '.join(alternative['required'])}"
    return _types([t]) if isinstance(t, str) else ""


def _quote_hint(doc: Document, path: list[str | int], expected: str, value: Any) -> str:
    if isinstance(value, bool) and expected != "string":
        return ""  # `cpu: true` is a mistake, not text to quote
    if "string" in expected and isinstance(value, (int, float, bool)):
        # quote what the user wrote: `version: 1.10` means "1.10", not the number's "1.1"
        return f'; quote it: "{doc.raw_scalar(path) or _yaml_scalar(value)}"'
    if "string" in expected and value is None:
        # `value: ~`, `value: null` or nothing at all: YAML's null, never the text
        raw = doc.raw_scalar(path)
        if raw in ("~", "null", "Null", "NULL"):
            return f'; quote it: "{raw}"'
        return "; give a value in quotes or leave the field out"
    if "integer" in expected and isinstance(value, str) and value.strip().isdigit():
        return f"; write the number without quotes: {value.strip()}"
    return ""


def _at(schema: dict[str, Any], schema_path: list[str | int]) -> dict[str, Any]:
    node: Any = schema
    for part in schema_path:
        node = node[part]
    return node if isinstance(node, dict) else {}


# What `uname -m` prints, and the Go/Kubernetes name (kubernetes.io/arch) meant.
_SYNONYMS = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armv7": "arm", "armv7l": "arm",
             "armhf": "arm"}
_USER_TYPES = {"object": "mapping", "array": "list", "number": "number", "integer": "integer",
               "string": "string", "boolean": "boolean", "null": "null"}


def _types(types: Any) -> str:
    names = [str(t).lower().replace("pytype.", "").replace("jsontype.", "") for t in (types or [])]
    return " or ".join(_USER_TYPES.get(n, n) for n in names) or "another type"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "null"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
