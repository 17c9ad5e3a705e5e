"""Reading back a placement snapshot (placement/decisions.json, docs/placement-snapshot.md)
that placement/snapshot.py wrote: what publish and promote take from the branch head.

Light on purpose (json only): a publish reads the head's snapshots before it knows
whether it renders, and must not import the planners to do so.
"""

from __future__ import annotations

import json


def read_decisions(data: bytes) -> dict[str, list[str]]:
    """"namespace/workload" -> chosen clusters, from a decisions.json placement/snapshot.py wrote
    (the base for the next snapshot); {} when it cannot be read."""
    try:
        doc = json.loads(data)
        table = doc["decisions"]
        out: dict[str, list[str]] = {}
        for p in doc["placements"]:
            if p.get("decision") in table:
                out[f"{p['namespace']}/{p['workload']}"] = list(table[p["decision"]])
        return out
    except (ValueError, KeyError, TypeError):
        return {}


def read_advisory(data: bytes) -> set[str]:
    """The "namespace/workload" keys whose decision in a decisions.json is advisory
    (which clusters is the hub's choice, docs/placement.md); empty when unreadable."""
    try:
        return {f"{p['namespace']}/{p['workload']}" for p in json.loads(data)["placements"] if p.get("advisory") is True}
    except (ValueError, KeyError, TypeError):
        return set()
