"""The rules that judge each workload on its own given every policy and model (`@given`,
rules/local_cache.py): the contract on every corpus repository (a given rule's problems at
a workload-only file are those it reports when it sees that file's workloads alone with
all the policies and models), and the cache as a user meets it: after a workload change
only that file is judged; after a change to a policy, a model, a declared name, a setting
or a config file, a warm run answers as a cold one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from i4qew.load.files import REPOSITORY_FILE
from i4qew.model.repo import Repo
from i4qew.rules import local_cache
from i4qew.rules.catalog import all_rules
from tests.support.hubs import two_hubs
from tests.unit.cli.test_cache import invoke
from tests.unit.rules.test_local_cache import REPOS, cold_repo

GIVEN = [r for r in all_rules().values() if r.given]


def test_the_given_rules() -> None:
    assert {r.id for r in GIVEN} == {"unknown-policy", "unknown-model", "model-version-source", "host-path",
                                     "object-size"}
    assert not any(r.local for r in GIVEN)


@pytest.mark.parametrize("root", REPOS, ids=[p.name for p in REPOS])
def test_a_given_rule_judges_each_workload_file_alone(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = cold_repo(root, monkeypatch)
    if repo is None:
        return
    entries = local_cache._given_files(repo, {d.path: "" for d in repo.documents() if d.path != REPOSITORY_FILE})
    for rule in GIVEN:
        assert rule.check is not None
        whole = Counter(rule.check(repo))
        empty = Counter(rule.check(local_cache._with_workloads(repo, set(), entries)))
        for path in entries:
            alone = Counter(rule.check(local_cache._with_workloads(repo, {path}, entries)))
            at = Counter({p: n for p, n in alone.items() if p.path == path})
            assert at == Counter({p: n for p, n in whole.items() if p.path == path}), (rule.id, path)
            assert alone - at == empty, (rule.id, path)  # elsewhere: the same without this file
        assert Counter({p: n for p, n in whole.items() if p.path not in entries}) == empty, rule.id


def repo_with_model(root: Path) -> Path:
    two_hubs(root)
    (root / "models").mkdir()
    (root / "models" / "m.yaml").write_text(
        "apiVersion: edge.i4q.eu/v1alpha1\nkind: Model\nmetadata: {name: m}\nspec:\n  placement: lines\n"
        "  storage: {hostPath: /var/lib/i4q/models}\n  versions:\n    - version: \"1\"\n"
        "      source: oci://registry.example.com/m@sha256:" + "0" * 64 + "\n")
    (root / "config").mkdir()
    (root / "config" / "a.txt").write_text("a" * 524_000)
    (root / "config" / "b.txt").write_text("b" * 500_000)
    edit(root / "workloads" / "anomaly.yaml", "  placement: lines\n",
         "  placement: lines\n  model: {name: m, version: \"1\", mountPath: /models}\n")
    edit(root / "workloads" / "dashboard.yaml", "  placement: bologna\n",
         "  placement: bologna\n  config:\n    mountPath: /etc/app\n    data: {pad: " + "p" * 600 + "}\n"
         "    files: {a.txt: config/a.txt, b.txt: config/b.txt}\n")
    return root


def edit(path: Path, old: str, new: str) -> None:
    if not old:
        path.write_text(new, "utf-8")
        return
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


# (what changes, file, old, new, the rule whose finding it adds or removes)
EDITS = [
    ("a workload names a policy nobody declares", "workloads/anomaly.yaml", "placement: lines", "placement: ghost",
     "unknown-policy"),
    ("a policy declared broken under that name, in a file of its own", "policies/ghost.yaml", "",
     "apiVersion: edge.i4q.eu/v1alpha1\nkind: PlacementPolicy\nmetadata: {name: ghost}\nspec: {bogus: 1}\n",
     "unknown-policy"),
    ("the workload's policy renamed", "policies/edge.yaml", "name: bologna", "name: bologna2", "unknown-policy"),
    ("the model's host path", "models/m.yaml", "hostPath: /var/lib/i4q/models", "hostPath: /data/m", "host-path"),
    ("a setting granting it", "i4qew.yaml", "  hubs:\n",
     "  guardrails:\n    namespaces:\n      - {match: [plants], hostPaths: [/data]}\n  hubs:\n", "host-path"),
    ("the model version's source", "models/m.yaml", "      source: oci", "      # source: oci", "model-version-source"),
    ("the model version's name", "models/m.yaml", 'version: "1"', 'version: "2"', "unknown-model"),
    ("a config file", "config/b.txt", "b" * 10, "b" * 24_010, "object-size"),
]


def test_a_warm_run_answers_as_a_cold_one_after_each_edit(tmp_path: Path) -> None:
    root = repo_with_model(tmp_path / "r")
    cache = str(tmp_path / "cache")
    first = invoke(root, ("validate",), "")
    assert invoke(root, ("validate",), cache) == first
    for what, path, old, new, rule in EDITS:
        before = invoke(root, ("validate",), "")
        edit(root / path, old, new)
        cold = invoke(root, ("validate",), "")
        assert (f"[{rule}]" in before[1]) != (f"[{rule}]" in cold[1]), what  # the edit matters to the rule
        assert invoke(root, ("validate",), cache) == cold, what


def test_after_a_workload_change_only_its_file_is_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo_with_model(tmp_path / "r")
    cache = str(tmp_path / "cache")
    judged: list[list[str]] = []
    real = local_cache._with_workloads

    def recording(repo: Repo, paths: set[str], entries: dict[str, str]) -> Repo:
        got = real(repo, paths, entries)
        judged.append(sorted({w.doc.path for w in got.workloads}))
        return got

    monkeypatch.setattr(local_cache, "_with_workloads", recording)
    invoke(root, ("validate",), cache)
    assert judged[-1] == ["workloads/anomaly.yaml", "workloads/dashboard.yaml"]
    edit(root / "workloads" / "anomaly.yaml", "placement: lines", "placement: ghost")
    assert invoke(root, ("validate",), cache) == invoke(root, ("validate",), "")
    assert judged[-1] == ["workloads/anomaly.yaml"]  # (a cold run runs no cache code)
    edit(root / "models" / "m.yaml", "hostPath: /var/lib/i4q/models", "hostPath: /data/m")
    assert invoke(root, ("validate",), cache) == invoke(root, ("validate",), "")
    assert judged[-1] == ["workloads/anomaly.yaml", "workloads/dashboard.yaml"]
