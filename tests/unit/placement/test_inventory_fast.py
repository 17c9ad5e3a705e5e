"""The regular inventory file read without the YAML parser gives what the parser and
parse_cluster give: whenever read_regular takes a file, its clusters (with their origins)
are those of the general path, which reports no problem about it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.load.files import SourceText
from i4qew.placement import inventory_fast, inventory_load
from i4qew.placement.inventory_fast import read_regular
from i4qew.placement.inventory_parse import Entries
from tests.support.tools import ROOT

# kubectl's shape (keys sorted, sequences not indented under their key), every optional
# part there once: annotations, finalizers, client configs, taints with and without a
# time and a value, claims without a value, several conditions.
REGULAR = '''# kubectl get managedclusters -o yaml
apiVersion: v1
items:
- apiVersion: cluster.open-cluster-management.io/v1
  kind: ManagedCluster
  metadata:
    annotations:
      open-cluster-management/created-via: other
    creationTimestamp: "2026-03-02T09:15:00Z"
    finalizers:
    - cluster.open-cluster-management.io/api-resource-cleanup
    generation: 3
    labels:
      arch.edge.i4q.eu/amd64: "true"
      cluster.open-cluster-management.io/clusterset: edge
      name: plant-a
      site: plant-a
      stage: dev
    name: plant-a
    resourceVersion: "48213"
    uid: 7c1d2f3e-5a4b-4c6d-9e8f-0a1b2c3d4e5f
  spec:
    hubAcceptsClient: true
    leaseDurationSeconds: 60
    managedClusterClientConfigs:
    - caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIy==
      url: https://plant-a.edge.example:6443
    taints:
    - effect: NoSelect
      key: cluster.open-cluster-management.io/unreachable
      timeAdded: "2026-03-02T09:15:00Z"
    - effect: PreferNoSelect
      key: gpu
      value: busy
  status:
    allocatable:
      cpu: "4"
      memory: 130816Mi
      nvidia.com/gpu: 1
    capacity:
      cpu: 4500m
      ephemeral-storage: 1.5Gi
      memory: 128Gi
    clusterClaims:
    - name: id.k8s.io
      value: 0d3c2b1a-1f2e-4d5c-8b7a-6f5e4d3c2b1a
    - name: product.open-cluster-management.io
      value: K3s
    - name: empty.example.com
    conditions:
    - lastTransitionTime: "2026-03-02T09:15:00Z"
      message: Accepted by hub cluster admin
      reason: HubClusterAdminAccepted
      status: "True"
      type: HubAcceptedManagedCluster
    - lastTransitionTime: "2026-03-02T09:15:00Z"
      message: Managed cluster is available
      observedGeneration: 3
      reason: ManagedClusterAvailable
      status: "False"
      type: ManagedClusterConditionAvailable
    version:
      kubernetes: v1.30.5+k3s1
- apiVersion: cluster.open-cluster-management.io/v1
  kind: ManagedCluster
  metadata:
    labels:
      env: 'x'
      stage: production
    name: "plant-b"
  spec:
    hubAcceptsClient: true
  status:
    allocatable:
      cpu: '2'
    conditions:
    - lastTransitionTime: "2026-03-02T09:15:00Z"
      message: ""
      reason: ManagedClusterAvailable
      status: "True"
      type: ManagedClusterConditionAvailable
- apiVersion: cluster.open-cluster-management.io/v1
  kind: ManagedCluster
  metadata:
    name: 'plant-c'
  spec:
  status:
kind: List
metadata:
  resourceVersion: ""
'''

# Values YAML reads as something else than the text, or refuses, or reads the same.
TOKENS = ("true", "True", "TRUE", "false", "yes", "No", "on", "OFF", "y", "n", "null", "Null", "~", "", "1", "0",
          "01", "08", "0x1F", "0o17", "0b11", "1e3", "1E3", "1.5", ".5", "5.", ".inf", "-.inf", ".nan", "+1", "-1",
          "1_000", "12:30", "2024-01-01", "2024-1-1 10:00", "0d3c2b1a-1f2e", "v1.2", "a b", "a  b", "a: b", "a:b",
          "a:", "a #b", "a#b", "-a", "- a", "?a", "? a", "*a", "&a", "!a", "!!str a", "%a", "@a", "`a", "|", ">",
          "a,b", "[a]", "{a}", "{}", "[]", "'a'", "'a''b'", "a'", "(a)", "...", "---", 'a"', '"a"', '"true"', '""',
          "''", '"a\\"b"', '"\\x41"', "é", "a\tb", " a", "a ", "128Gi", "1.5Gi", "500m", "64", '"64"', "64x", "1E",
          "1e", "0.5", "NoSelect", "NoSchedule", "ManagedClusterConditionAvailable", '"True"', "'2026-03-02T09:15:00'",
          '"2026-03-02T09:15:00Z"', "name", "stage", "cpu", "a/b", "x.io/y", "<<")


def _general(src: SourceText) -> Entries:
    entries = Entries([])
    docs = inventory_load._documents(src, entries.problems)
    if docs is not None:
        inventory_load._collect(src, docs, entries)
    return entries


def _agrees(text: str) -> bool:
    """Whether read_regular took the text; when it did, it must equal the general path."""
    src = SourceText("clusters/managedclusters.yaml", text)
    fast = Entries([])
    if not read_regular(src, fast):
        assert fast.clusters == {} and fast.sources == {} and fast.problems == []
        return False
    general = _general(src)
    assert general.problems == [] and fast.problems == []
    assert list(fast.clusters.items()) == list(general.clusters.items())
    assert [c.origin for c in fast.clusters.values()] == [c.origin for c in general.clusters.values()]
    assert list(fast.sources) == list(general.sources) and general.sets == {}
    return True


def test_the_regular_shape_is_taken() -> None:
    assert _agrees(REGULAR)
    fast = Entries([])
    read_regular(SourceText("clusters/m.yaml", REGULAR), fast)
    a, b, c = fast.clusters.values()
    assert [t.effect for t in a.taints] == ["NoSelect", "PreferNoSelect"] and a.taints[1].value == "busy"
    assert a.available is False and b.available is True and c.available is None
    assert (b.name, c.name) == ("plant-b", "plant-c")
    assert a.claims["empty.example.com"] == "" and b.labels["env"] == "x"
    assert a.allocatable["nvidia.com/gpu"] == 1 and a.allocatable["ephemeral-storage"] == 3 * 2**29


def test_repeated_strings_are_one_object() -> None:
    """Thousands of clusters repeat their label keys and values: each is one object, so the
    persistent cache pickles it once (a 5x fleet's inventories: 20.8 -> 7.7 MB)."""
    fast = Entries([])
    read_regular(SourceText("clusters/m.yaml", REGULAR.replace("stage: production", "stage: dev")), fast)
    a, b, _ = fast.clusters.values()
    assert next(k for k in a.labels if k == "stage") is next(k for k in b.labels if k == "stage")
    assert a.labels["stage"] is b.labels["stage"] and a.labels["name"] is a.name
    again = Entries([])
    read_regular(SourceText("clusters/n.yaml", REGULAR), again)  # across files too
    assert next(iter(again.clusters.values())).labels["site"] is a.labels["site"]


@pytest.mark.parametrize("path", [ROOT / "clusters" / "managedclusters.yaml",
                                  ROOT / "tests/corpus/positive/kubectl-inventory/clusters/managedclusters.yaml"])
def test_kubectl_and_pyyaml_files_are_taken(path: Path) -> None:
    assert _agrees(path.read_text())


def test_a_cluster_declared_twice_goes_the_general_way() -> None:
    twice = REGULAR.replace("    name: 'plant-c'\n", "    name: plant-a\n")
    assert not _agrees(twice)
    entries = Entries([])
    entries.clusters["plant-b"] = _general(SourceText("x.yaml", REGULAR)).clusters["plant-b"]
    assert not read_regular(SourceText("clusters/m.yaml", REGULAR), entries)  # named in an earlier file


# (text, replacement): each makes the YAML parser refuse the file, or parse_cluster report
# it, or read a value otherwise than as text.
IRREGULAR = [
    ("      site: plant-a\n", "      site: plant-a\n      site: plant-b\n"),  # duplicate key
    ("      open-cluster-management/created-via: other\n",
     '      a: "q      b: z"\n      a: x\n'),  # duplicate key, another hidden in a value
    ('      cpu: "4"\n', '      cpu: "4"\n      cpu: "5"\n'),
    ("effect: NoSelect", "effect: NoSchedule"),
    ('timeAdded: "2026-03-02T09:15:00Z"', 'timeAdded: "2026-03-02T09:15:00"'),  # no zone
    ('timeAdded: "2026-03-02T09:15:00Z"', 'timeAdded: "yesterday"'),
    ('      cpu: "4"\n', '      cpu: "4x"\n'),
    ("      stage: dev\n", "      stage: true\n"),
    ("      stage: dev\n", "      stage: 1.5\n"),
    ("    name: 'plant-c'\n", "    name: plant-a\n"),
    ("    - name: id.k8s.io\n", "    - name: 1\n"),
    ("      value: K3s\n", "      value: no\n"),  # a claim's value line (checked apart from the item)
    ("      memory: 128Gi\n", "      memory: 128 Gi\n"),  # a quantities block (checked apart too)
    ('      status: "True"\n      type: ManagedClusterConditionAvailable', "      status: True\n"
     "      type: ManagedClusterConditionAvailable"),
    ("    name: 'plant-c'\n", "    name: 'plant-c' # c\n"),
    # the name quoted as a number would need, repeated unquoted as OCM's label and id claim: numbers to YAML
    ("      env: 'x'\n      stage: production\n    name: \"plant-b\"\n",
     "      env: 'x'\n      name: 1234\n      stage: production\n    name: \"1234\"\n"),
    ("    name: 'plant-c'\n  spec:\n  status:\n",
     "    name: '1234'\n  spec:\n  status:\n    clusterClaims:\n    - name: id.k8s.io\n      value: 1234\n"),
    ("  status:\nkind", "  status:\n---\nkind"),
]


@pytest.mark.parametrize(("old", "new"), IRREGULAR)
def test_irregular_files_go_the_general_way(old: str, new: str) -> None:
    assert old in REGULAR
    assert not _agrees(REGULAR.replace(old, new, 1))


@pytest.mark.parametrize(("label", "claim"), [("plant-b", "plant-b"), ('"plant-b"', "'plant-b'"),
                                              ("'plant-b'", '"plant-b"')])
def test_the_name_repeated_as_a_label_and_a_claim_is_read_alike(label: str, claim: str) -> None:
    """OCM repeats a cluster's name as its `name` label and its `id.k8s.io` claim (lines no
    other cluster holds, taken from the name the item's pattern checked), quoted alike or not."""
    text = REGULAR.replace("      env: 'x'\n", f"      env: 'x'\n      name: {label}\n").replace(
        "  status:\n    allocatable:\n      cpu: '2'\n",
        f"  status:\n    allocatable:\n      cpu: '2'\n    clusterClaims:\n    - name: id.k8s.io\n      value: {claim}\n")
    assert _agrees(text)
    fast = Entries([])
    read_regular(SourceText("clusters/m.yaml", text), fast)
    b = fast.clusters["plant-b"]
    assert b.labels["name"] == b.claims["id.k8s.io"] == "plant-b"
    assert b.labels["name"] is b.name and b.claims["id.k8s.io"] is b.name


_LINES = REGULAR.splitlines(keepends=True)


@st.composite
def _edited(draw: st.DrawFn) -> str:
    lines = list(_LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i].rstrip("\n")
        how = draw(st.sampled_from(["value", "value", "value", "key", "drop", "twice", "swap", "indent", "outdent",
                                    "comment", "marker", "space"]))
        token = draw(st.sampled_from(TOKENS))
        head, sep, _ = line.partition(": ")
        if how == "value" and sep:
            lines[i] = f"{head}: {token}\n"
        elif how == "key" and sep:
            lead = head[: len(head) - len(head.lstrip(" -"))]
            lines[i] = f"{lead}{token}: {line.partition(': ')[2]}\n"
        elif how == "drop":
            del lines[i]
        elif how == "twice":
            lines.insert(i, lines[i])
        elif how == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif how in ("indent", "outdent"):
            lines[i] = (" " + line if how == "indent" else line[1:]) + "\n"
        elif how == "comment":
            lines[i] = line + " # c\n" if draw(st.booleans()) else line + "\n    # c\n"
        elif how == "marker":
            lines.insert(i, "---\n")
        elif how == "space":
            lines[i] = line + " \n"
    return "".join(lines)


@settings(max_examples=400, deadline=None)
@given(_edited())
def test_edited_files_agree(text: str) -> None:
    _agrees(text)


def test_the_edits_reach_both_paths() -> None:
    """Guard on the property above: its edits keep the regular shape often (values the
    fast path must read right) and leave it often."""
    taken = [_agrees(f"{head}: {token}\n".join(REGULAR.split(f"{head}: {value}\n", 1)))
             for head, value in (("      site", "plant-a"), ("      cpu", '"4"'), ("      status", '"False"'),
                                 ("      value", "K3s"), ("      key", "gpu"))
             for token in TOKENS]
    assert 0.2 < sum(taken) / len(taken) < 0.8


_ALPHABETS = ("0123456789_.-+eExXoObBaAfFnNiItTyY:~ ()/,@=;<>$%*", "tTrRuUeEfFaAlLsSnNyYoO~0.1_",
              "iInNfFaA.+-_0x1eE", "0123456789_.-+eExXoObBaAfF:")


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(_ALPHABETS).flatmap(lambda a: st.text(alphabet=a, min_size=1, max_size=7)))
def test_what_is_taken_as_text_is_text_to_yaml_rs(token: str) -> None:
    """The value classes of the item pattern against the parser itself (yaml-rs reads more
    plain scalars as numbers than YAML 1.2 does: 0X1F, _1)."""
    if re.fullmatch(inventory_fast._TEXT + r"\n", token + "\n"):
        assert yaml_rs.loads(f"k: {token}\n", parse_datetime=False) == {"k": token}
    if re.fullmatch(inventory_fast._KEY + ": x\n", token + ": x\n"):
        assert yaml_rs.loads(f"{token}: x\n", parse_datetime=False) == {token: "x"}
    if re.fullmatch(inventory_fast._QUANTITY + r"\n", token + "\n"):
        value = yaml_rs.loads(f"k: {token}\n", parse_datetime=False)["k"]
        assert (type(value), value) == ((int, int(token)) if token.isdigit() else (str, token))


@pytest.mark.parametrize("token", ["1" * 100_000 + "a", "_" * 100_000 + "a", "-_" * 50_000 + "a",
                                   "1" + "e_" * 50_000 + "a", "1:" * 50_000 + "a", "1." + "_" * 100_000 + "a"])
def test_a_hostile_value_costs_one_pass(token: str) -> None:
    """Runs of what a number is made of, then not a number: every repetition of the value
    patterns is possessive, so no split of the run is tried (2,000 underscores took minutes
    with backtracking; 100,000 are read in milliseconds). The bound is a hang guard."""
    for old, new in (("      stage: dev\n", f"      stage: {token}\n"), ("      stage: dev\n", f"      {token}: x\n")):
        start = time.perf_counter()
        _agrees(REGULAR.replace(old, new, 1))
        assert time.perf_counter() - start < 5.0
