"""Compilers: pure functions from the repository model to a tree {path: bytes}.

`render_tree` assembles an environment branch:

    README.md                     generated; states the source commit
    charts/<workload>/            one self-contained Helm chart per workload
    hub/                          ACM resources applied on the hub
    placement/                    decisions over the inventory at generation time
    models/index.json             which model versions each placement needs
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Tree = dict[str, bytes]


@dataclass(frozen=True)
class Changed:
    """The workloads a change touches, their names and namespaces before and after it, and
    the models they mount before and after it (compile/incremental.py renders what they own)."""

    names: frozenset[str]
    namespaces: frozenset[str]
    models: frozenset[str] = frozenset()


def merge(*parts: Mapping[str, bytes]) -> Tree:
    tree: Tree = {}
    for part in parts:
        for path, data in part.items():
            if path in tree:
                raise ValueError(f"two compilers wrote {path}")
            tree[path] = data
    return dict(sorted(tree.items()))
