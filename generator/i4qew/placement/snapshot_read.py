"""Reading back a placement snapshot (placement/decisions.json, docs/placement-snapshot.md)
that placement/snapshot.py wrote: what publish and promote take from the branch head.

Light on purpose (json only): a publish reads the head's snapshots before it knows
whether it renders, and must not import the planners to do so.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import overload


class Joined(Sequence[str]):
    """Several snapshots' lists of names, one after the other, without copying them: a
    workload's clusters over a fleet's hubs (publish_render.previous_decisions), each part
    shared with the workloads of the same decision on its hub."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[list[str], ...]) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self.parts)

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    @overload
    def __getitem__(self, at: int) -> str: ...
    @overload
    def __getitem__(self, at: slice) -> list[str]: ...
    def __getitem__(self, at: int | slice) -> str | list[str]:
        return list(self)[at]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return repr(list(self))


def read_decisions(data: bytes) -> dict[str, list[str]]:
    """"namespace/workload" -> chosen clusters, from a decisions.json placement/snapshot.py wrote
    (the base for the next snapshot); {} when it cannot be read. Workloads with the same
    decision share one list (the file's table holds each once): not to be changed."""
    try:
        doc = json.loads(data)
        table = doc["decisions"]
        lists: dict[str, list[str]] = {}
        out: dict[str, list[str]] = {}
        for p in doc["placements"]:
            decision = p.get("decision")
            if decision in table:
                names = lists.get(decision)
                if names is None:
                    names = lists[decision] = list(table[decision])
                out[f"{p['namespace']}/{p['workload']}"] = names
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
