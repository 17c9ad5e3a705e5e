"""The ids the placement checks over the inventory report (placement/checks.py, run
inside `validate` whenever clusters/ holds an inventory), in the registry so that
docs/rules.md and the corpus cover them; their documentation lives with the checks."""

from __future__ import annotations

from i4qew.placement.checks import RULE_DOCS
from i4qew.rules.registry import describe

for doc in RULE_DOCS:
    describe(doc.id, doc.summary, stage="placement", passing=doc.passing, failing=doc.failing)
