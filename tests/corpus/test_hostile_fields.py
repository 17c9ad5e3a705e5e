"""Hostile text in every string field of a Workload (the list comes from workload.json).

Go template syntax and Helm `tpl` triggers must stay data: where a field accepts them,
`helm template` succeeds (so `{{ fail "boom" }}` never ran) and prints them verbatim in
that field's object; where a field refuses them, both commands say so in problem lines.
1 MB strings get the same treatment. tests/support/hostile/slots.py runs one repository per
string, so the whole schema costs a handful of processes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hostile.repo import missing_slots, sink_slots
from tests.support.hostile.runner import helm_lint, helm_template, strings
from tests.support.hostile.slots import SlotRun, run_every_slot

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

TEMPLATES = {
    "go-templates": ('{{ fail "boom" }} {{ .Release.Name }} {{ lookup "v1" "Secret" "" "" }} '
                     '{{- /* */ -}} {{ include "i4qew.labels" . }} {{ tpl "{{ fail \\"tpl\\" }}" . }}'),
    # no blank and no quote: reaches the fields that refuse spaces (paths, ports, keys)
    "compact": "{{.Release.Name}}{{fail}}[[.Values.x]]{{-/**/-}}",
}
# Accepted places whose text does not itself appear in the chart: a file reference is
# replaced by the file's content.
NOT_SHOWN = {"spec.config.files.*"}


def test_the_kitchen_sink_reaches_every_string_field_of_the_schema() -> None:
    assert missing_slots() == set()
    assert len(sink_slots()) >= 80


def _check_shown_verbatim(run: SlotRun) -> None:
    charts = sorted({c for c in run.charts.values()})
    helm_lint(charts)
    rendered = {chart: strings(helm_template(chart)) for chart in charts}
    for slot, chart in run.charts.items():
        if slot.pattern in NOT_SHOWN:
            continue
        assert any(run.text in s for s in rendered[chart]), f"{slot}: {run.text!r} is not in {chart}'s objects"


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_syntax_stays_data(tmp_path: Path, name: str) -> None:
    run = run_every_slot(tmp_path, TEMPLATES[name])
    assert run.charts, "no field accepted the text: the test would prove nothing"
    # where the text goes into hub resources or names it must be refused, never rendered
    for slot in run.charts:
        assert slot.path[:2] != ("metadata", "name") and slot.pattern != "spec.placement"
    _check_shown_verbatim(run)


HALVES = {"first-half": 0, "second-half": 1}


@pytest.mark.parametrize("half", sorted(HALVES))
def test_one_megabyte_strings_in_every_field(tmp_path: Path, half: str) -> None:
    """1 MB in each string place: refused by the field's own rule (names, references,
    paths, quantities) or rendered whole; never a crash, never a problem line quoting it."""
    run = run_every_slot(tmp_path, "x" * 1_000_000, half=HALVES[half])
    assert run.rejected and run.charts
    _check_shown_verbatim(run)
