"""YAML 1.1 traps: one meaning in the loader, in the charts and in the hub resources.

i4qew reads YAML 1.2 core: `on`, `yes`, `no`, `y`, `NO`, dates and `1:30` are strings;
`true`, `~`, `null`, `0777`, `0x1F`, `1e3`, `.5` are not, and a string field refuses them
with "quote it". Go's YAML (Helm, kubectl, the ACM hub) still reads `on`, `y`, `no` as
booleans, so everything i4qew writes must quote such a string. Checked here with the
emitted files composed by PyYAML (a YAML 1.1 reader): no trap may be a plain scalar,
and with `helm template` output (what Go made of values.yaml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.model.sources import VERSION_NAME
from tests.support.hostile.corpus import wl
from tests.support.hostile.repo import MODEL, POLICY, write_repo
from tests.support.hostile.runner import (
    helm_lint,
    helm_template,
    problem_lines,
    run_i4qew,
    validate_and_render,
)

# Decision table (docs/hostile-input.md): how i4qew reads each unquoted scalar.
STRINGS = ["on", "off", "yes", "no", "y", "n", "NO", "Yes", "ON", "2026-01-01", "1:30", "12:30:00"]
NOT_STRINGS = {
    "true": "boolean", "True": "boolean", "FALSE": "boolean",
    "~": "null", "null": "null", "Null": "null",
    "0777": "integer", "0x1F": "integer", "0o17": "integer", "+1": "integer",
    # YAML 1.2 core makes these two strings; yaml-rs (like YAML 1.1 and Go) makes them
    # numbers. In a string field both readings end the same way: refused, "quote it".
    "1_000": "integer", "0b101": "integer",
    "1e3": "number", ".5": "number", "1.10": "number",
}
NOT_FINITE = {".inf": ".inf", "-.inf": "-.inf", ".NaN": ".nan"}
# The strings that are also valid label values, workload names and image tags.
LABEL_VALUES = ["on", "off", "yes", "no", "y", "n", "NO", "Yes", "ON", "2026-01-01"]
NAMES = ["on", "off", "yes", "no", "y", "n"]
TAGS = ["on", "NO", "y", "2026-01-01"]


def _trap_workload(name: str, raw: str) -> str:
    """`raw` unquoted as a label value, an env value and a model version."""
    return wl(f"  env: [{{name: A, value: {raw}}}]\n  model: {{name: detector, version: {raw}}}\n",
              name=name, meta=f"  labels: {{t: {raw}}}\n")


@pytest.mark.slow
def test_non_strings_in_string_fields_are_refused_with_quote_it(tmp_path: Path) -> None:
    files = {f"workloads/w{i:02d}.yaml": _trap_workload(f"w{i:02d}", raw)
             for i, raw in enumerate([*NOT_STRINGS, *NOT_FINITE])}
    root = write_repo(tmp_path / "repo", files)
    found, _ = validate_and_render(root, tmp_path / "out")
    assert found is not None
    expected = []
    for i, (raw, kind) in enumerate(NOT_STRINGS.items()):
        rel = f"workloads/w{i:02d}.yaml"
        # columns: the value after `  labels: {t: `, `  env: [{name: A, value: `, `  model: {name: detector, version: `
        expected += [f'{rel}:6:15: error [schema] metadata.labels.t: expected string, got {kind}; quote it: "{raw}"',
                     f'{rel}:10:26: error [schema] spec.env[0].value: expected string, got {kind}; quote it: "{raw}"',
                     f'{rel}:11:36: error [schema] spec.model.version: expected string, got {kind}; quote it: "{raw}"']
    for j, shown in enumerate(NOT_FINITE.values(), len(NOT_STRINGS)):
        rel = f"workloads/w{j:02d}.yaml"
        expected += [f"{rel}:{line}:{col}: error [yaml-type] {shown} is not a finite number; quote it if it is text"
                     for line, col in ((6, 15), (10, 26), (11, 36))]
    assert sorted(found) == sorted(expected)


def test_non_string_names_are_refused(tmp_path: Path) -> None:
    files = {f"workloads/n{i}.yaml": wl(name=raw) for i, raw in enumerate(["0777", "1e3", "true", "~"])}
    found = problem_lines(run_i4qew("validate", "-C", str(write_repo(tmp_path, files))), "validate")
    assert [line.split("] ", 1)[1] for line in found] == [
        'metadata.name: expected string, got integer; quote it: "0777"',
        'metadata.name: expected string, got number; quote it: "1e3"',
        'metadata.name: expected string, got boolean; quote it: "true"',
        'metadata.name: expected string, got null; quote it: "~"',
    ]


# --- the strings, end to end ---------------------------------------------------------------------

def _accepted_repo(root: Path) -> Path:
    files: dict[str, str] = {}
    # unquoted too: the Model's list reads them the same way. "1:30" is no version name
    # (the gate and the stager read ROOT/MODEL/VERSION): it stays in the env values.
    usable = [raw for raw in STRINGS if VERSION_NAME.fullmatch(raw)]
    versions = ", ".join(usable)
    files["models/detector.yaml"] = MODEL.replace('versions: ["1.0"]', f"versions: [{versions}]")
    selector = ", ".join(LABEL_VALUES)
    files["policies/edge.yaml"] = (POLICY.replace('selector: "env=edge"', f'selector: "tier in ({selector}), ON"')
                                   + "  matchLabels: {site: no, rack: y, power: on}\n")
    for i, raw in enumerate(STRINGS):
        label = raw if raw in LABEL_VALUES else "x"
        files[f"workloads/s{i:02d}.yaml"] = wl(
            f"  env: [{{name: A, value: {raw}}}]\n"
            f"  model: {{name: detector, version: {raw if raw in usable else usable[0]}}}\n",
            name=f"s{i:02d}", meta=f"  labels: {{t: {label}}}\n",
            image=f"registry.example.com/plant/app:{TAGS[i % len(TAGS)]}")
    for raw in NAMES:
        files[f"workloads/{raw}.yaml"] = wl(name=raw)
    return write_repo(root, files)


def _plain_scalars(text: str) -> list[str]:
    """Every plain (unquoted) scalar value of a YAML stream, as a YAML 1.1 reader composes it."""
    out: list[str] = []

    def walk(node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            if node.style is None:
                out.append(node.value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(k)
                walk(v)

    for doc in yaml.compose_all(text):
        if doc is not None:
            walk(doc)
    return out


TRAP_WORDS = set(STRINGS) | set(NAMES)


@pytest.mark.slow
def test_strings_that_yaml_1_1_reads_otherwise_are_quoted_everywhere(tmp_path: Path) -> None:
    root = _accepted_repo(tmp_path / "repo")
    found, _ = validate_and_render(root, tmp_path / "out")
    assert found is None
    out = tmp_path / "out"
    for f in sorted([*out.rglob("*.yaml")]):
        if "templates" in f.parts:
            continue
        plain = [v for v in _plain_scalars(f.read_text("utf-8")) if v in TRAP_WORDS]
        assert plain == [], f"{f.relative_to(out)} leaves {plain} to a YAML 1.1 reader"


def _by_kind(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in objs}


@pytest.mark.slow
def test_go_reads_the_strings_back_unchanged(tmp_path: Path) -> None:
    """What Helm (Go YAML) made of values.yaml and Chart.yaml, and the hub Placement."""
    root = _accepted_repo(tmp_path / "repo")
    out = tmp_path / "out"
    assert validate_and_render(root, out) == (None, None)
    charts = sorted((out / "charts").iterdir())
    helm_lint(charts)
    for i, raw in enumerate(STRINGS):
        objs = _by_kind(helm_template(out / "charts" / f"s{i:02d}"))
        pod = objs["Deployment"]["spec"]["template"]
        container = pod["spec"]["containers"][0]
        env = {e["name"]: e["value"] for e in container["env"]}
        tag = TAGS[i % len(TAGS)]
        assert env["A"] == raw
        assert env["MODEL_VERSION"] == (raw if VERSION_NAME.fullmatch(raw) else "on")
        assert pod["metadata"]["labels"]["t"] == (raw if raw in LABEL_VALUES else "x")
        assert pod["metadata"]["labels"]["app.kubernetes.io/version"] == tag
        assert container["image"].endswith(f":{tag}")
        meta = yaml.safe_load((out / "charts" / f"s{i:02d}" / "Chart.yaml").read_text("utf-8"))
        assert meta["appVersion"] == tag
    for raw in NAMES:
        assert _by_kind(helm_template(out / "charts" / raw))["Deployment"]["metadata"]["name"] == raw
    placement = next(d for d in yaml.safe_load_all((out / "hub/apps/plant/workloads/s00.yaml").read_text("utf-8"))
                     if d["kind"] == "Placement")
    selector = placement["spec"]["predicates"][0]["requiredClusterSelector"]["labelSelector"]
    assert selector["matchLabels"] == {"site": "no", "rack": "y", "power": "on"}
    (tier,) = [e for e in selector["matchExpressions"] if e["key"] == "tier"]
    assert tier["values"] == sorted(LABEL_VALUES)
    assert {"key": "ON", "operator": "Exists"} in selector["matchExpressions"]


def test_the_table_is_what_the_loader_does() -> None:
    """The decision table above, against the loader itself (so the docs cannot drift)."""
    from i4qew.load.yamlio import Parsed, parse

    names = {bool: "boolean", type(None): "null", int: "integer", float: "number", str: "string"}
    for raw in [*STRINGS, *NOT_STRINGS]:
        parsed = parse("t.yaml", f"v: {raw}\n")
        assert isinstance(parsed, Parsed)
        assert names[type(parsed.docs[0]["v"])] == NOT_STRINGS.get(raw, "string"), raw
