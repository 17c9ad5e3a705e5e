"""compile/incremental.py: rendering only what changed gives, byte for byte, the full render,
on random sequences of workload edits (image, environment variables, replicas, namespace,
placement, enabled, model, added, removed), for one hub and for two, and for one hub whose
models i4qew stages (a hostPath model's stagings in the models' namespace, a PVC model's in
workload namespaces). An edit of chart-only fields keeps the previous placement files when
publish would (gitops/publish_render.py placement_settled), emulated here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i4qew.compile import Changed, capacity_fields, hub_fields, placement_fields
from i4qew.compile.incremental import apply, image_volumes_in, render_changed, whole_folders
from i4qew.compile.render import render_tree, waves_in
from i4qew.gitops.publish_render import previous_decisions
from i4qew.gitops.requests import is_snapshot
from i4qew.model.repo import Repo, Workload
from i4qew.placement.fleet import load_inventories
from i4qew.placement.inventory import Inventory
from i4qew.validation import validate_repo
from tests.support.hubs import TWO_HUBS
from tests.support.tools import ROOT

pytestmark = pytest.mark.slow  # renders two repositories a few hundred times

COMMIT = "0" * 40


def partial(repo: Repo, env: str) -> bool:
    """Whether render_changed renders a part: not with waves, not with Argo CD delivery, not
    where models may be mounted as image volumes."""
    return (not waves_in(repo, env) and repo.repository.delivery_of(env) == "subscription"
            and not image_volumes_in(repo, env))


def subscription_only(repo: Repo) -> Repo:
    return dataclasses.replace(repo, repository=dataclasses.replace(
        repo.repository, environments=tuple(dataclasses.replace(e, delivery="subscription", waves=())
                                            for e in repo.repository.environments)))

Loaded = tuple[Repo, Inventory | None, dict[str, Inventory | None] | None]


def _load(root: Path) -> Loaded:
    repo = validate_repo(root).repo
    assert repo is not None
    inventory, hubs, problems = load_inventories(root, repo)
    assert problems == []
    return repo, inventory, hubs


REPOS = {"one hub": _load(ROOT), "two hubs": _load(TWO_HUBS)}
# the repository's own dev is delivered by Argo CD and its production rolls out in waves (both
# rendered whole): by Subscription, without waves, its staged models are rendered in parts
REPOS["one hub, models staged"] = (subscription_only(REPOS["one hub"][0]), *REPOS["one hub"][1:])

# (kind, workload index, a choice) — the index and the choice are taken modulo what exists
EDIT = st.tuples(st.sampled_from(["image", "env", "replicas", "resources", "namespace", "placement", "disable",
                                  "model", "remove", "copy", "security", "pull"]),
                 st.integers(0, 50), st.integers(0, 50))


def _edit(repo: Repo, kind: str, i: int, choice: int) -> tuple[Repo, list[Workload]]:
    """The repository after one edit, and the workloads before and after it that it touched."""
    ws = list(repo.workloads)
    if not ws:
        return repo, []
    w = ws[i % len(ws)]
    spec: dict[str, Any] = dict(w.spec)
    overrides = dict(w.overrides)
    namespace = w.namespace
    name = w.name
    if kind == "image":
        spec["image"] = f"{str(spec['image']).rsplit(':', 1)[0]}:9.{choice}.0"
    elif kind == "env":
        spec["env"] = [{"name": "LEVEL", "value": str(choice)}]
    elif kind == "security":  # the namespace's Pod Security level follows it
        spec["securityContext"] = [{"privileged": True}, {"runAsUser": 0, "runAsNonRoot": False}, {}][choice % 3]
    elif kind == "pull":  # the namespace's pull-secret Policies follow it
        spec["imagePullSecrets"] = [f"registry-{choice % 3}"] if choice % 4 else []
    elif kind == "replicas":
        spec["replicas"] = 1 + choice % 4
    elif kind == "resources":  # a GPU asked for or not is the placement's
        gpu = {"nvidia.com/gpu": "1"} if choice % 5 == 0 else {}
        spec["resources"] = {"requests": {"cpu": f"{100 + 50 * choice}m", **gpu}, "limits": gpu}
    elif kind == "namespace":
        pool = sorted({x.namespace for x in ws} | {"extra"})
        namespace = pool[choice % len(pool)]
    elif kind == "placement":
        spec["placement"] = sorted(repo.policies)[choice % len(repo.policies)]
    elif kind == "model":  # another model or version, or none
        refs = [None, *((m.name, v) for m in sorted(repo.models.values(), key=lambda m: m.name) for v in m.versions)]
        ref = refs[choice % len(refs)]
        if ref is None:
            spec.pop("model", None)
        else:
            spec["model"] = {"name": ref[0], "version": ref[1], "mountPath": f"/models/{ref[0]}"}
    elif kind == "disable":
        env = sorted(e.name for e in repo.repository.environments)[choice % len(repo.repository.environments)]
        overrides[env] = {**overrides.get(env, {}), "enabled": choice % 3 == 0}
    elif kind == "remove":
        ws.remove(w)
        return dataclasses.replace(repo, workloads=tuple(ws)), [w]
    elif kind == "copy":
        name = f"{w.name[:20]}-c{choice}"
        if any(x.name == name for x in ws):
            return repo, []
    new = dataclasses.replace(w, name=name, namespace=namespace, spec=spec, overrides=overrides)
    if kind != "copy":
        ws.remove(w)
    ws.append(new)
    ws.sort(key=lambda x: (x.name, x.namespace))
    return dataclasses.replace(repo, workloads=tuple(ws)), [w, new]


def _placed(w: Workload) -> tuple[Any, ...]:
    return (w.name, w.namespace, placement_fields(w.spec), {e: placement_fields(o) for e, o in w.overrides.items()})


def _hub(w: Workload) -> tuple[Any, ...]:
    return (w.name, w.namespace, hub_fields(w.spec), {e: hub_fields(o) for e, o in w.overrides.items()})


def _capacity(w: Workload) -> tuple[Any, ...]:
    return capacity_fields(w.spec), {e: capacity_fields(o) for e, o in w.overrides.items()}


def changed_by(touched: list[Workload], readme: bytes | None = None) -> Changed:
    """What gitops/incremental.py reads from the declarations before and after the edit;
    `readme`: the previous README, which publish passes when the previous placement files stay."""
    placement = len(touched) != 2 or _placed(touched[0]) != _placed(touched[1])
    capacity = len(touched) == 2 and _capacity(touched[0]) != _capacity(touched[1])
    hub = len(touched) != 2 or _hub(touched[0]) != _hub(touched[1])
    return Changed(frozenset(w.name for w in touched), frozenset(w.namespace for w in touched),
                   frozenset(w.model.name for w in touched if w.model is not None), placement, capacity, hub,
                   None if placement else readme)


def collapsed(tree: dict[str, bytes], whole: Callable[[str], bool]) -> tuple[str, ...]:
    """The paths of `tree` with each folder `whole` accepts as one entry "<folder>/", as
    gitops/objects.py walk lists them (the outermost such folder)."""
    out: set[str] = set()
    for path in tree:
        parts = path.split("/")
        folder = next((i for i in range(1, len(parts)) if whole("/".join(parts[:i]))), None)
        out.add(path if folder is None else "/".join(parts[:folder]) + "/")
    return tuple(sorted(out))


def snapshots(tree: dict[str, bytes]) -> tuple[bytes, ...]:
    return tuple(data for path, data in sorted(tree.items()) if is_snapshot(path))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(sorted(REPOS)), edits=st.lists(EDIT, min_size=1, max_size=4))
def test_a_partial_render_equals_the_full_render(which: str, edits: list[tuple[str, int, int]]) -> None:
    repo, inventory, hubs = REPOS[which]
    for env in ("dev", "production"):
        current = repo
        previous = render_tree(current, env, inventory=inventory, hubs=hubs, source_commit=COMMIT)
        parent: tuple[bytes, ...] | None = None  # the snapshots `previous` was rendered over (None: none)
        for step, (kind, i, choice) in enumerate(edits, 1):
            commit = f"{step:040x}"  # each edit a commit of its own: the README names it
            current, touched = _edit(current, kind, i, choice)
            # as publish does: the previous placement files stay when the previous render was
            # made over its own snapshots or none, and only chart fields changed
            settled = parent is None or parent == snapshots(previous)
            changed = changed_by(touched, previous["README.md"] if settled else None)
            # the previous snapshots keep numberOfClusters choices where they were
            base = previous_decisions(snapshots(previous))
            # as publish gives the previous render: the folders a workload, model or namespace owns whole
            entries = collapsed(previous, whole_folders(current))
            written, kept = render_changed(current, env, changed, entries, inventory=inventory, hubs=hubs,
                                           source_commit=commit, base=base)
            full = render_tree(current, env, inventory=inventory, hubs=hubs, source_commit=commit, base=base)
            assert apply(previous, written, kept) == full
            if partial(current, env):  # waves or Argo CD delivery: rendered whole
                assert len(written) < len(full)  # it did not just render everything
                if changed.readme is not None:  # the environment's files: the README (and pictures) alone
                    again = {p for p in written if not p.startswith(("charts/", "hub/", "staging/"))}
                    assert "README.md" in again and all(p.endswith(("plan.html", "plan.svg")) for p in again - {
                        "README.md"}) and (changed.capacity or len(again) == 1)
            parent, previous = snapshots(previous), full


def test_a_model_change_renders_its_stagings_and_the_models_namespace() -> None:
    """A staging follows every workload of its model (its versions, its placement, its namespace
    for a PVC model): a workload that stops mounting a model renders that model's staging charts
    again, and the models' namespace, and keeps every other model's."""
    repo, inventory, hubs = REPOS["one hub, models staged"]
    assert partial(repo, "dev")
    previous = render_tree(repo, "dev", inventory=inventory, hubs=hubs, source_commit=COMMIT)
    (i,) = [i for i, w in enumerate(repo.workloads) if w.name == "sktime"]  # lrt-forecaster's only user
    edited, touched = _edit(repo, "disable", i, 2)  # not enabled in dev
    changed = changed_by(touched)
    assert changed.models == {"lrt-forecaster"}
    written, kept = render_changed(edited, "dev", changed, previous, inventory=inventory, source_commit=COMMIT)
    full = render_tree(edited, "dev", inventory=inventory, hubs=hubs, source_commit=COMMIT)
    assert apply(previous, written, kept) == full
    assert any(p.startswith("staging/i4qew-models/lrt-forecaster/") for p in previous)
    assert not any(p.startswith("staging/i4qew-models/lrt-forecaster/") for p in (*written, *kept))
    others = {p for p in previous if p.startswith("staging/") and "/lrt-forecaster/" not in p}
    assert others and others <= kept  # the other models' staging charts stay as they are
    assert {p.split("/")[2] for p in written if p.startswith("hub/apps/")} <= {"i4q-lrt", "i4qew-models"}


def test_an_image_change_renders_one_chart_and_its_namespace() -> None:
    repo, inventory, hubs = REPOS["one hub, models staged"]
    # models distributed by someone else: no staging at all
    repo = dataclasses.replace(repo, models={n: dataclasses.replace(m, distribution="external")
                                             for n, m in repo.models.items()})
    assert partial(repo, "dev")
    previous = render_tree(repo, "dev", inventory=inventory, hubs=hubs, source_commit=COMMIT)
    edited, touched = _edit(repo, "image", 0, 7)
    (w,) = {x.name for x in touched}
    changed = Changed(frozenset({w}), frozenset(x.namespace for x in touched))
    written, kept = render_changed(edited, "dev", changed, previous, inventory=inventory, source_commit=COMMIT)
    assert len(kept) > 0.6 * len(previous)
    charts = {p.split("/")[1] for p in written if p.startswith("charts/")}
    assert charts == {w}
    assert {p.split("/")[2] for p in written if p.startswith("hub/apps/")} == {x.namespace for x in touched}
    assert not any(p.startswith("charts/") and p.split("/")[1] == w for p in kept)


def test_the_placement_reads_of_resources_only_a_gpu() -> None:
    cpu = {"image": "a:1", "replicas": 2, "placement": "p", "resources": {"requests": {"cpu": "100m"}}}
    assert placement_fields(cpu) == placement_fields({**cpu, "image": "a:2", "replicas": 3,
                                                      "resources": {"requests": {"cpu": "1"}, "limits": {}}})
    gpu = {**cpu, "resources": {"requests": {"cpu": "100m"}, "limits": {"nvidia.com/gpu": "1"}}}
    assert placement_fields(gpu) != placement_fields(cpu)
    assert placement_fields(cpu) != placement_fields({**cpu, "placement": "q"})
    assert placement_fields({"image": "a:1"}) != placement_fields({"image": "a:1", "resources": {}})
    assert capacity_fields(gpu) == {"replicas": 2, "resources": gpu["resources"]}


def test_a_change_no_hub_object_reads_keeps_its_namespace_hub_objects() -> None:
    """An image (a chart field no hub object reads) renders the chart alone, and the
    namespace's hub objects stay; a securityContext (its Pod Security Policy reads it) renders
    the namespace's hub objects again."""
    repo, inventory, hubs = REPOS["two hubs"]
    previous = render_tree(repo, "dev", inventory=inventory, hubs=hubs, source_commit=COMMIT)
    for kind, hub in (("image", False), ("security", True)):
        edited, touched = _edit(repo, kind, 0, 3)
        changed = changed_by(touched, previous["README.md"])
        assert changed.hub is hub and not changed.placement
        entries = collapsed(previous, whole_folders(edited))
        written, kept = render_changed(edited, "dev", changed, entries, inventory=inventory, hubs=hubs,
                                       source_commit=COMMIT, base=previous_decisions(snapshots(previous)))
        full = render_tree(edited, "dev", inventory=inventory, hubs=hubs, source_commit=COMMIT,
                           base=previous_decisions(snapshots(previous)))
        assert apply(previous, written, kept) == full
        namespace = touched[0].namespace
        assert any(f"/apps/{namespace}/" in p for p in written) is hub
