"""The JSON Schemas (draft 2020-12) of the declaration kinds, shipped as package data."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from i4qew import memo

API_VERSION = "edge.i4q.eu/v1alpha1"
KINDS = ("Repository", "Workload", "PlacementPolicy", "Model")


def schema_text(kind: str) -> str:
    return resources.files(__package__).joinpath(f"{kind.lower()}.json").read_text("utf-8")


@memo.lru()
def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text(kind))
    return schema
