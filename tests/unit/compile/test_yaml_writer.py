"""The YAML writer of Chart.yaml/values.yaml: exact layout, and every string read back
unchanged by independent readers — PyYAML (YAML 1.1), ruamel (YAML 1.2) and Helm itself."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from i4qew.compile.chart.charts import compile_chart
from i4qew.compile.yaml_writer import dump
from tests.support.charts import manifests, valid_repo, write
from tests.support.tools import ROOT

# Strings a YAML reader could take for something else, or that need escaping.
TRICKY = [
    "on", "off", "yes", "no", "y", "n", "Y", "N", "true", "False", "NULL", "~", "",
    "0777", "0o17", "0x1F", "0b101", "1e3", "1_000", "1.5", ".inf", "-.Inf", ".NaN", "+1", "-0",
    "12:30:00", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "=", "<<", "- item", "? q", "key: value", "# comment", "a #b", "@at", "`tick", "!tag",
    "&anchor", "*alias", "|", "> fold", "%percent", "---", "...", "[a, b]", "{a: b}",
    "{{ .Release.Name }}", "{{- toYaml . }}", "'single'", '"double"', "back\\slash", "\\u0041",
    "tab\there", " lead", "trail ", "multi\nline", "multi\nline\n", "two\n\n", "\nlead newline",
    " indented\nblock\n", "crlf\r\nline", "trailing \nspace\n", "nul\x00", "bell\x07", "del\x7f",
    "nel\x85", "ls\u2028", "ps\u2029", "bom\ufeff", "é ✓ 日本 😀",
]


def test_layout() -> None:
    data = {
        "name": "x",
        "on": "on",
        "0777": 511,
        "nvidia.com/gpu": "1",
        "flags": [True, False, 0],
        "empty": {},
        "none": [],
        "text": "line 1\nline 2\n",
        "raw": "no newline\nat end",
        "items": [{"name": "a", "list": ["b"]}, ["c", {"d": "e"}], {}],
    }
    assert dump(data, ("header", "")).decode() == (
        "# header\n"
        "#\n"
        'name: "x"\n'
        '"on": "on"\n'
        '"0777": 511\n'
        'nvidia.com/gpu: "1"\n'
        "flags:\n"
        "  - true\n"
        "  - false\n"
        "  - 0\n"
        "empty: {}\n"
        "none: []\n"
        "text: |\n"
        "  line 1\n"
        "  line 2\n"
        "raw: |-\n"
        "  no newline\n"
        "  at end\n"
        "items:\n"
        '  - name: "a"\n'
        "    list:\n"
        '      - "b"\n'
        '  - - "c"\n'
        '    - d: "e"\n'
        "  - {}\n"
    )


def _ruamel_load(data: bytes) -> Any:
    return YAML(typ="safe", pure=True).load(io.BytesIO(data))


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_read_back_exactly(text: str) -> None:
    data = {"value": text, text or "empty": [text], "nested": {"k": text}}
    out = dump(data)
    assert yaml.safe_load(out) == data
    assert _ruamel_load(out) == data


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(), json_like, max_size=5))
def test_any_json_like_data_reads_back_exactly(data: dict[str, Any]) -> None:
    out = dump(data)
    assert yaml.safe_load(out) == (data or None)
    assert _ruamel_load(out) == (data or None)


@pytest.mark.parametrize("major", [3, 4])
def test_tricky_strings_survive_helm(major: int, tmp_path: Path) -> None:
    """Helm reads values.yaml with Go YAML (YAML 1.1 in places) and the templates
    re-emit the values: each string must reach the manifest unchanged."""
    repo = valid_repo(ROOT)
    sktime = repo.workload("sktime")
    assert sktime is not None
    env = [{"name": f"V{i}", "value": text} for i, text in enumerate(TRICKY)]
    config = {"mountPath": "/etc/x", "data": {f"k{i}": text for i, text in enumerate(TRICKY)}}
    workload = dataclasses.replace(sktime, spec={**sktime.spec, "env": env, "config": config, "args": TRICKY})
    charts = write(compile_chart(repo, workload, "dev"), tmp_path) / "charts"
    objs = manifests(charts / "sktime", major)
    rendered = {e["name"]: e["value"] for e in objs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert [rendered[f"V{i}"] for i in range(len(TRICKY))] == TRICKY
    assert objs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["args"] == TRICKY
    assert objs["ConfigMap"]["data"] == config["data"]
