"""Every rule's documented examples, run (ansible-lint style): the failing example,
placed into the example repository (rules/examples.py), makes `i4qew validate` (or
`plan --base`) report that rule and no other; the passing example makes it report
nothing at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew.rules.catalog import all_rules
from i4qew.rules.examples import EXAMPLE_REPOSITORY
from tests.support.rule_examples import place, problem_lines, rules_of

RUNNABLE = sorted(r.id for r in all_rules().values() if not r.not_run)
# Reported together with another id by their nature, whatever the example:
ALSO = {
    # only placementApi: PlacementRule has something it cannot express, and it is deprecated
    "placement-api": {"deprecated-api"},
    # a workload lands on one cluster in two environments only when both environments select it
    "environment-overlap": {"environment-collision"},
}
# Ids no example repository can show, each with its reason in the registry (`not_run`).
NOT_RUN = {"file-too-large", "object-size"}


def test_the_example_repository_reports_nothing(tmp_path: Path) -> None:
    assert problem_lines(tmp_path / "repo", "# i4qew.yaml\nmetadata: {name: plant}") == []
    assert set(EXAMPLE_REPOSITORY) == {"i4qew.yaml", "policies/edge.yaml", "models/detector.yaml", "workloads/app.yaml"}


@pytest.mark.parametrize("rule_id", RUNNABLE)
def test_the_failing_example_reports_exactly_its_rule(rule_id: str, tmp_path: Path) -> None:
    lines = problem_lines(tmp_path / "repo", all_rules()[rule_id].failing)
    assert lines, f"{rule_id}: the failing example reports nothing"
    assert rules_of(lines) == {rule_id} | ALSO.get(rule_id, set()), "\n".join(lines)


@pytest.mark.parametrize("rule_id", RUNNABLE)
def test_the_passing_example_reports_nothing(rule_id: str, tmp_path: Path) -> None:
    assert problem_lines(tmp_path / "repo", all_rules()[rule_id].passing) == []


def test_the_ids_without_a_runnable_example_are_few_and_say_why() -> None:
    not_run = {r.id: r.not_run for r in all_rules().values() if r.not_run}
    assert set(not_run) == NOT_RUN
    assert all(len(reason) > 40 for reason in not_run.values()), not_run


def test_an_example_names_its_files(tmp_path: Path) -> None:
    """The form is checked: a file line that says something unknown, or none at all."""
    for bad in ("spec:\n  replicas: 2", "# workloads/app.yaml (sideways)\nspec: {}"):
        with pytest.raises(ValueError):
            place(tmp_path / "repo", bad)
