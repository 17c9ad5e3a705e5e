"""docs/rules.md is generated from the registry; a stale copy fails here with the fix."""

from __future__ import annotations

from i4qew.rules.catalog import all_rules
from i4qew.rules.docs import COMMAND, render
from tests.support.tools import ROOT

DOC = ROOT / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    assert DOC.read_text("utf-8") == render(), f"docs/rules.md is stale: run `{COMMAND}` and commit it"


def test_every_rule_has_a_section_with_both_examples() -> None:
    text = DOC.read_text("utf-8")
    for rule in all_rules().values():
        section = text.split(f"### `{rule.id}`\n", 1)
        assert len(section) == 2, f"no section for {rule.id}"
        body = section[1].split("\n### ", 1)[0]
        assert "Passes:" in body and "Fails:" in body
        assert rule.passing and rule.failing and rule.passing != rule.failing


def test_rule_ids_are_short_kebab_case() -> None:
    for rule_id in all_rules():
        assert rule_id == rule_id.lower() and " " not in rule_id and "_" not in rule_id
        assert len(rule_id) <= 24
