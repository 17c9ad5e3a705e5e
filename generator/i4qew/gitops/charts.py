"""Promotion's guarantee: the charts shipped are the ones tested, except environment values.

"Environment values" are exactly what an environment may change in a chart:
  charts/<w>/values.yaml            everything workload-specific, overrides applied
  charts/<w>/Chart.yaml: appVersion the image tag (an environment may pin its own image)
  charts/<w>/Chart.yaml: version    a hash of the chart's content, values included
Every other byte (templates, the rest of Chart.yaml, the set of files) must be
identical to the source branch's, and a chart may only be missing on one side
when its workload is disabled in that environment. Anything else means the
source branch was built by another i4qew, or edited: the promotion is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from i4qew.gitops.objects import BuiltTree
from i4qew.load.yamlio import parse
from i4qew.problems import Problem

CHARTS = "charts/"
ENV_VALUES_FILE = "values.yaml"
CHART_FILE = "Chart.yaml"
ENV_CHART_FIELDS = ("appVersion", "version")


def _charts(ids: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """workload -> {file path inside the chart: oid}; `ids` lists files and folders."""
    folders = {path.rsplit("/", 1)[0] for path in ids if "/" in path}
    out: dict[str, dict[str, str]] = {}
    for path, oid in ids.items():
        if not path.startswith(CHARTS):
            continue
        name, _, rest = path[len(CHARTS):].partition("/")
        chart = out.setdefault(name, {})
        if rest and path not in folders:
            chart[rest] = oid
    return out


def _chart_yaml(data: bytes) -> Any:
    """Chart.yaml without the environment fields, read as every declaration is (YAML 1.2,
    bounded); None when it is not one readable mapping (then the bytes decide)."""
    try:
        parsed = parse(CHART_FILE, data.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if isinstance(parsed, Problem) or len(parsed.docs) != 1 or not isinstance(parsed.docs[0], dict):
        return None
    return {k: v for k, v in parsed.docs[0].items() if k not in ENV_CHART_FIELDS}


def chart_differences(
    source_ids: Mapping[str, str],
    read_source: Callable[[str], bytes],
    target: BuiltTree,
    *,
    source_branch: str,
    disabled_in_source: Collection[str] = (),
    disabled_in_target: Collection[str] = (),
) -> list[str]:
    """What differs beyond environment values between the source branch's charts
    (`source_ids`: path -> oid of its tree) and the promoted tree."""
    ours, theirs = _charts(dict(target.ids)), _charts(source_ids)
    found: list[str] = []
    for name in sorted(set(ours) | set(theirs)):
        if name not in ours:
            if name not in disabled_in_target:
                found.append(f"{CHARTS}{name}/ is on {source_branch} but would not be promoted")
            continue
        if name not in theirs:
            if name not in disabled_in_source:
                found.append(f"{CHARTS}{name}/ would be promoted but is not on {source_branch}")
            continue
        a, b = theirs[name], ours[name]
        for rel in sorted(set(a) | set(b)):
            path = f"{CHARTS}{name}/{rel}"
            if a.get(rel) == b.get(rel) or rel == ENV_VALUES_FILE:
                continue
            if rel in a and rel in b and rel == CHART_FILE:
                before = _chart_yaml(read_source(a[rel]))
                after = _chart_yaml(bytes(target.blobs[b[rel]]))
                if before is not None and before == after:
                    continue
            state = "missing" if rel not in b else "not on the source branch" if rel not in a else "differs"
            found.append(f"{path} {state}" + (f" from {source_branch}'s" if state == "differs" else ""))
    return found
