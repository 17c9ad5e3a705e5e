"""Check documents against the kinds' JSON Schemas and explain failures in user terms.

jsonschema-rs (Rust) validates: a valid document costs microseconds, which keeps
`validate` instant on thousands of workloads; errors are then translated into
problem lines with "did you mean" hints for unknown fields and enum values.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import jsonschema_rs

from i4qew.load.documents import Document
from i4qew.problems import Problem
from i4qew.schemas import API_VERSION, KINDS, load_schema


@cache
def _validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(kind))


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_document(doc: Document) -> list[Problem]:
    data = doc.data
    problems: list[Problem] = []
    api = data.get("apiVersion")
    if api != API_VERSION:
        problems.append(doc.problem(("apiVersion",), "api-version",
                                    f"apiVersion must be {API_VERSION}, not {api!r}" if api is not None
                                    else f"missing apiVersion: {API_VERSION}"))
    kind = data.get("kind")
    if kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) if isinstance(kind, str) else ""
        problems.append(doc.problem(("kind",), "unknown-kind",
                                    f"unknown kind {kind!r}{hint}; expected one of {', '.join(KINDS)}"))
        return problems
    validator = _validator(kind)
    if validator.is_valid(data):
        return problems
    schema = load_schema(kind)
    for err in validator.iter_errors(data):
        path = list(err.instance_path)
        if path == ["apiVersion"]:
            continue  # already reported above in plain words
        problems.extend(_translate(doc, schema, err, path))
    return problems


def _translate(doc: Document, schema: dict[str, Any], err: Any, path: list[str | int]) -> Iterator[Problem]:
    kind = type(err.kind).__name__
    where = ".".join(str(p) for p in path) or "document"
    if kind == "AdditionalProperties":
        allowed = sorted(_at(schema, list(err.schema_path)[:-1]).get("properties", {}))
        for name in err.kind.unexpected:
            yield doc.problem([*path, name], "unknown-field",
                              f"unknown field '{name}' in {where}{did_you_mean(name, allowed)}", key=True)
    elif kind == "Required":
        missing = str(err.kind.property)
        yield doc.problem(path, "missing-field", f"{where}: missing required field '{missing}'", key=bool(path))
    elif kind == "Type":
        value = err.instance
        expected = _types(err.kind.types)
        hint = ""
        if "string" in expected and isinstance(value, (int, float, bool)):
            hint = f'; quote it: "{_yaml_scalar(value)}"'
        yield doc.problem(path, "schema", f"{where}: expected {expected}, got {_type_name(value)}{hint}")
    elif kind in ("Enum", "Constant"):
        options = [str(o) for o in (err.kind.options if kind == "Enum" else [err.kind.expected_value])]
        hint = did_you_mean(str(err.instance), options)
        yield doc.problem(path, "schema", f"{where}: {err.instance!r} is not one of {', '.join(options)}{hint}")
    elif kind == "Required" or kind == "AnyOf":
        yield doc.problem(path, "schema", f"{where}: {_anyof_message(err)}")
    else:
        yield doc.problem(path, "schema", f"{where}: {err.message}")


def _at(schema: dict[str, Any], schema_path: list[str | int]) -> dict[str, Any]:
    node: Any = schema
    for part in schema_path:
        node = node[part]
    return node if isinstance(node, dict) else {}


def _types(types: Any) -> str:
    names = [str(t).lower().replace("pytype.", "").replace("jsontype.", "") for t in (types or [])]
    return " or ".join(names) or "another type"


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


def _anyof_message(err: Any) -> str:
    value = err.instance
    return f"value of type {_type_name(value)} does not match any allowed form"
