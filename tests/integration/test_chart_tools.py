"""Every generated chart against the real tools: Helm 3 and 4, kubernetes-validate, yamllint.

Charts come from this repository's own workloads and from the extra workloads of
tests/support/charts.py (GPU, PVC model, config files, ingress with host and TLS,
arm64 only, environment overrides), in every environment; with them the model-staging
charts of both repositories (a DaemonSet per hostPath model, Jobs per PVC model).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from i4qew.compile.chart.charts import compile_charts
from i4qew.compile.staging.chart import compile_staging_charts
from tests.support.charts import example_repo, run, template, valid_repo, write
from tests.support.tools import ROOT, helm, require

ENVS = ("dev", "production")
# The oldest Kubernetes still common on k3s edge nodes, and a current one.
KUBERNETES = ("1.28.0", "1.34.0")


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("charts")
    extras_root = tmp_path_factory.mktemp("extras")
    found: list[Path] = []
    for label, repo in (("self", valid_repo(ROOT)), ("extras", example_repo(extras_root))):
        for env in ENVS:
            out = write({**compile_charts(repo, env), **compile_staging_charts(repo, env)}, base / label / env)
            found.extend(sorted(p for p in (out / "charts").iterdir()))
            found.extend(sorted(p for p in (out / "staging").glob("*/*")))
    assert len(found) >= 21
    return found


@pytest.mark.parametrize("major", [3, 4])
def test_every_chart_passes_helm_lint_strict(charts: list[Path], major: int) -> None:
    out = run(helm(major), "lint", "--strict", *map(str, charts))
    assert f"{len(charts)} chart(s) linted, 0 chart(s) failed" in out
    assert "[WARNING]" not in out and "[ERROR]" not in out


@pytest.mark.slow
@pytest.mark.parametrize("major", [3, 4])
def test_rendered_manifests_are_valid_kubernetes(charts: list[Path], major: int, tmp_path: Path) -> None:
    validator = require("kubernetes-validate")
    files = []
    for i, chart in enumerate(charts):
        f = tmp_path / f"{i:02d}-{chart.name}.yaml"
        f.write_text(template(chart, major, release=f"{chart.name}-x", namespace="i4q-test"))
        files.append(str(f))
    for version in KUBERNETES:
        run(validator, "--strict", "--quiet", "-k", version, *files)


def test_chart_files_pass_yamllint(charts: list[Path]) -> None:
    linter = require("yamllint")
    config = ROOT / "tests" / "support" / "yamllint-generated.yaml"
    files = [str(c / name) for c in charts for name in ("Chart.yaml", "values.yaml")]
    run(linter, "--strict", "-c", str(config), *files)


def test_helm_reads_chart_metadata(charts: list[Path]) -> None:
    """Chart.yaml as Helm sees it: name, SemVer version, quoted appVersion."""
    by_name = {(c.parent.parent.parent.name, c.parent.parent.name, c.name): c for c in charts}
    shown = run(helm(3), "show", "chart", str(by_name[("self", "production", "defect-detector")]))
    assert "name: defect-detector" in shown
    assert "appVersion: sha256:3b1c6f2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c" in shown
    shown = run(helm(4), "show", "chart", str(by_name[("self", "dev", "defect-detector")]))
    assert "appVersion: 0.9.3" in shown
