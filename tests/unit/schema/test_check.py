"""The JSON Schemas and how their failures read: unknown fields everywhere, user terms."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from i4qew.load.documents import Document, SourceFile
from i4qew.rules.examples import EXAMPLE_REPOSITORY
from i4qew.schema.check import check_document, did_you_mean
from i4qew.schema.kinds import KINDS, load_schema, schema_text


def _objects(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            found.append((path, node))
        for k, v in node.items():
            found += _objects(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _objects(v, f"{path}/{i}")
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_are_valid_and_closed(kind: str) -> None:
    schema = json.loads(schema_text(kind))
    jsonschema.Draft202012Validator.check_schema(schema)
    open_objects = [p for p, node in _objects(schema) if node.get("additionalProperties") is not False]
    assert open_objects == [], "every object with fixed fields must refuse unknown ones"


def _doc(text: str, data: dict[str, Any]) -> Document:
    return Document(SourceFile("workloads/app.yaml", text), 0, data)


WORKLOAD = EXAMPLE_REPOSITORY["workloads/app.yaml"]  # valid: the rules' examples start from it


def _check(extra: str) -> list[str]:
    import yaml_rs

    text = WORKLOAD + extra
    return [p.format() for p in check_document(_doc(text, yaml_rs.loads(text)))]


def test_a_valid_workload_has_no_problem() -> None:
    assert _check("") == []


def test_unknown_field_with_did_you_mean_at_its_key() -> None:
    assert _check("  imagePullSecret: [i4qregistry]\n") == [
        "workloads/app.yaml:9:3: error [unknown-field] unknown field 'imagePullSecret' in spec "
        "(did you mean 'imagePullSecrets'?)"]


def test_numbers_where_text_belongs_are_quoted_as_written() -> None:
    assert _check("  model: {name: m, version: 2.10}\n") == [
        'workloads/app.yaml:9:29: error [schema] spec.model.version: expected string, got number; quote it: "2.10"']


def test_text_where_a_number_belongs() -> None:
    assert _check("  replicas: \"2\"\n") == [
        "workloads/app.yaml:9:13: error [schema] spec.replicas: expected integer, got string; "
        "write the number without quotes: 2"]


def test_long_values_are_cut_in_messages() -> None:
    long = "x" * 500
    problems = _check(f"  service: {{port: 80, type: {long}}}\n")
    assert len(problems) == 1 and len(problems[0]) < 200 and "…" in problems[0]


@pytest.mark.parametrize(("word", "hint"), [
    ("replica", " (did you mean 'replicas'?)"),
    ("IMAGE", " (did you mean 'image'?)"),
    ("zzz", ""),
])
def test_did_you_mean(word: str, hint: str) -> None:
    assert did_you_mean(word, ["replicas", "image", "ports"]) == hint


def test_every_kind_has_a_title_for_the_schema_listing() -> None:
    assert all(load_schema(k).get("title") for k in KINDS)
