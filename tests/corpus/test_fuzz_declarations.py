"""Fuzzing the whole validate → render path with schema-shaped Workloads.

Each example is a repository of a few Workloads drawn from workload.json
(tests/support/hostile/schema_strategy.py). `i4qew validate` either refuses it with problem
lines (exit 1, no crash) or accepts it; then `i4qew render --env dev` writes a tree.
Refused workloads are dropped and the rest rendered too, so every example reaches the
charts. After all examples, the collected charts go through one `helm lint --strict`
(Helm 4) and every hub resource through the ACM/OCM CRD schemas.

The CLI runs in-process (click's CliRunner: exit codes, output and any exception are
those of the command) to keep hundreds of runs in seconds; the hostile corpus runs
the real executable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i4qew.cli.main import cli
from tests.support.crds import CRDS, crd_errors
from tests.support.hostile.repo import SCHEMA, write_repo
from tests.support.hostile.runner import LINE, helm_lint
from tests.support.hostile.schema_strategy import NETWORK, from_schema

pytestmark = pytest.mark.slow  # a few seconds per test (subprocesses, remotes, big inputs)

SPEC = st.one_of(from_schema(SCHEMA["properties"]["spec"], "spec", wild=True),
                 from_schema(SCHEMA["properties"]["spec"], "spec", wild=False))
METADATA = st.one_of(from_schema(SCHEMA["properties"]["metadata"], "metadata", wild=True),
                     from_schema(SCHEMA["properties"]["metadata"], "metadata", wild=False))
EXAMPLES = 120


@st.composite
def workloads(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        meta = draw(METADATA)
        meta.update(name=f"w{i}", namespace="plant")
        spec = draw(SPEC)
        if draw(st.booleans()):
            spec.update(draw(NETWORK))
        out.append({"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "Workload", "metadata": meta, "spec": spec})
    return out


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    # SystemExit is how a click command ends; any other exception is a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"i4qew {' '.join(args)} crashed: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    return result


def refused_files(result: Result) -> set[str]:
    lines = result.output.splitlines()[:-1]  # the summary line
    assert lines, "exit 1 without a problem line"
    bad = [line for line in lines if not LINE.match(line)]
    assert not bad, bad
    assert "[internal-error]" not in result.output, result.output
    return {line.split(":", 1)[0] for line in lines if ": error [" in line}


def test_schema_shaped_workloads_are_refused_or_render_safely(tmp_path: Path) -> None:
    collected = tmp_path / "charts"
    collected.mkdir()
    hub_docs: list[dict[str, Any]] = []
    outcomes = {"refused": 0, "rendered": 0}
    counter = iter(range(10**6))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(workloads())
    def example(docs: list[dict[str, Any]]) -> None:
        n = next(counter)
        files = {f"workloads/w{i}.yaml": json.dumps(d, ensure_ascii=False, indent=1) + "\n" for i, d in enumerate(docs)}
        root = write_repo(tmp_path / f"r{n}", files)
        first = invoke("validate", "-C", str(root))
        if first.exit_code:
            assert first.exit_code == 1
            bad = refused_files(first)
            outcomes["refused"] += 1
            rendered = invoke("render", "-C", str(root), "--env", "dev", "-o", str(tmp_path / f"o{n}"))
            assert rendered.exit_code == 1 and not (tmp_path / f"o{n}").exists()
            if not bad <= set(files):
                return  # a problem beyond the workloads (a cluster-wide check): nothing to keep
            for rel in bad:
                (root / rel).unlink()
            if not any((root / "workloads").glob("*.yaml")):
                return
            again = invoke("validate", "-C", str(root))
            assert again.exit_code == 0, f"dropping the refused files left problems:\n{again.output}"
        out = tmp_path / f"o{n}"
        rendered = invoke("render", "-C", str(root), "--env", "dev", "-o", str(out))
        assert rendered.exit_code == 0, rendered.output
        outcomes["rendered"] += 1
        for chart in (out / "charts").iterdir():
            shutil.copytree(chart, collected / str(n) / chart.name)  # helm wants dir name = chart name
        for f in (out / "hub").rglob("*.yaml"):
            hub_docs.extend(d for d in yaml.safe_load_all(f.read_text("utf-8")) if d)
        shutil.rmtree(root)

    example()
    # both outcomes happen, or the fuzzing proves little
    assert outcomes["refused"] >= EXAMPLES // 10 and outcomes["rendered"] >= EXAMPLES // 10, outcomes
    charts = sorted(collected.glob("*/*"))
    helm_lint(charts)
    errors = [e for d in hub_docs if (d["apiVersion"], d["kind"]) in CRDS for e in crd_errors(d)]
    assert errors == []
