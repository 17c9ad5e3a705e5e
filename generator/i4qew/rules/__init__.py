"""Semantic rules, one module per family; importing a module registers its rules."""

from __future__ import annotations

import importlib

FAMILIES = (
    "builtin", "names", "references", "images", "secrets", "resources", "ports", "ingress",
    "environments", "mounts", "models", "delivery", "limits", "tolerations", "guardrails", "guard_images",
    "guard_limits", "guard_config", "governance",
)


def load_all() -> None:
    for family in FAMILIES:
        importlib.import_module(f"i4qew.rules.{family}")
