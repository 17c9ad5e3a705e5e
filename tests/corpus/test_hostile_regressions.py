"""Regression tests for the bugs the hostile corpus found (one test per fix, named for it).

Each input here once crashed i4qew, leaked a value, or produced output Kubernetes would
refuse; docs/hostile-input.md lists them with their commits.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from i4qew.problems import Problem
from i4qew.validation import validate_repo
from tests.support.hostile.repo import as_yaml, kitchen_sink, workload, write_repo
from tests.support.hostile.runner import LINE, run_i4qew


def problems(root: Path) -> list[Problem]:
    return validate_repo(root).problems


def lines(root: Path) -> list[str]:
    return [p.format() for p in problems(root)]


# --- config.files references the file system cannot take -----------------------------------------

@pytest.mark.parametrize(("ref", "says"), [
    ("x" * 300, "cannot be read: File name too long"),
    ("workloads/files/" + "y" * 5000, "cannot be read: File name too long"),
    ("workloads/files/a\0b", "holds a control, line-break or bidi character"),
    ("workloads/files/app.conf\n", "holds a control, line-break or bidi character"),
])
def test_config_file_reference_the_file_system_refuses(tmp_path: Path, ref: str, says: str) -> None:
    doc = kitchen_sink()
    doc["spec"]["config"]["files"]["app.conf"] = ref
    found = lines(write_repo(tmp_path, {"workloads/sink.yaml": as_yaml(doc)}))
    assert len(found) == 1 and "error [config-file]" in found[0] and says in found[0], found
    assert len(found[0]) < 400  # the reference is shortened, not echoed whole


# --- file and folder names that would forge report lines or break the writer ------------------------

MINIMAL = as_yaml(workload("app"))


def test_a_newline_in_a_file_name_cannot_forge_problem_lines(tmp_path: Path) -> None:
    forged = "x\napp.yaml:1:1: error [forged] hi\n#.yaml"
    root = write_repo(tmp_path / "repo", {f"workloads/{forged}": MINIMAL})
    done = run_i4qew("validate", "-C", str(root))
    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert not any(line.startswith("app.yaml") for line in out)
    assert out[0] == ("workloads/x\\x0aapp.yaml:1:1: error [forged] hi\\x0a#.yaml:1:1: error [unsafe-path] "
                      "the file name is not UTF-8 or holds a control, line-break or bidi character; rename it")


def test_a_newline_in_a_file_name_never_reaches_values_yaml(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {"workloads/x\nreplicas: 1000\n#.yaml": MINIMAL})
    done = run_i4qew("render", "-C", str(root), "--env", "dev", "-o", str(tmp_path / "out"))
    assert done.returncode == 1 and "[unsafe-path]" in done.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "shown"), [
    (b"workloads/\xff\xfe.yaml", "workloads/\\xff\\xfe.yaml"),
    (b"workloads/\xe2\x80\xaeevil.yaml", "workloads/\\u202eevil.yaml"),  # RIGHT-TO-LEFT OVERRIDE
    (b"workloads/d\x1b[31m/app.yaml", "workloads/d\\x1b[31m"),  # a terminal escape in a folder name
    (b"clusters/\xff.yaml", "clusters/\\xff.yaml"),
])
def test_unsafe_names_are_refused_and_shown_escaped(tmp_path: Path, name: bytes, shown: str) -> None:
    root = write_repo(tmp_path / "repo", {"workloads/app.yaml": MINIMAL})
    target = os.fsencode(root) + b"/" + name
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(MINIMAL.encode())
    for command in (["validate"], ["render", "--env", "dev", "-o", str(tmp_path / "out")]):
        done = run_i4qew(*command, "-C", str(root))
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{shown}:1:1: error [unsafe-path] " in done.stdout
        assert "Traceback" not in done.stdout + done.stderr and not done.stderr
        assert all(LINE.match(line) for line in done.stdout.splitlines()[:-1] if command == ["validate"])


# --- aliases that multiply text instead of nodes ---------------------------------------------------

def _amplified(copies: int, size: int = 100_000) -> str:
    text = "x" * size
    refs = ", ".join(["*a"] * copies)
    return (f"apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata: {{name: app, namespace: plant}}\n"
            f"spec:\n  image: registry.example.com/plant/app:1.0.0\n  placement: edge\n"
            f'  args: [&a "{text}", {refs}]\n')


def test_a_long_string_repeated_by_aliases_is_refused(tmp_path: Path) -> None:
    # 100 KB of file, 100 MB of values.yaml before the fix (and minutes of validation)
    root = write_repo(tmp_path, {"workloads/app.yaml": _amplified(1000)})
    assert lines(root) == ["workloads/app.yaml:1:1: error [yaml-alias-limit] aliases add more than 1 MiB of text "
                           "to the file (a long string repeated by aliases?); refused"]


def test_aliases_that_add_less_than_the_budget_are_fine(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"workloads/app.yaml": _amplified(9)})
    assert lines(root) == []


# --- objects the API server would refuse ------------------------------------------------------------

def test_a_configmap_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    doc = kitchen_sink()
    doc["spec"]["config"] = {"mountPath": "/etc/app", "data": {"inline.txt": "x" * 600_000},
                             "files": {"a.bin": "workloads/files/a.txt"}}
    root = write_repo(tmp_path, {"workloads/sink.yaml": as_yaml(doc), "workloads/files/a.txt": "y" * 500_000})
    assert [line for line in lines(root) if "[object-size]" in line] == [
        "workloads/sink.yaml:95:3: error [object-size] the ConfigMap would hold 1,100,015 bytes (config.data and "
        "config.files); Kubernetes allows at most 1,048,576: mount large files from the model volume or an image instead"]
    # 10 + 600,000 + 5 + 500,000 bytes of keys and values; 548,561 fit
    doc["spec"]["config"]["data"]["inline.txt"] = "x" * 548_561
    assert lines(write_repo(tmp_path, {"workloads/sink.yaml": as_yaml(doc)})) == []


@pytest.mark.parametrize(("spec", "says"), [
    ({"rollout": {"maxSurge": "1"}}, "rollout.maxSurge '1' must be a whole number or a percentage like 25%"),
    ({"rollout": {"maxSurge": "{{ fail \"boom\" }}"}}, "must be a whole number or a percentage"),
    ({"rollout": {"maxSurge": 2**31}}, "rollout.maxSurge '2147483648' must be at most 2147483647"),
    ({"rollout": {"maxUnavailable": "9" * 5000 + "%"}}, "must be a whole number or a percentage"),
    ({"resources": {"requests": {"cpu": "1" * 5000}}}, "is not a quantity: has more than 64 digits"),
    ({"image": "registry.example.com/plant/app:\uff11.0"}, "[image-reference]"),
    ({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "{{ .Release.Name }}"}}}]},
     "ConfigMap key '{{ .Release.Name }}' must consist of letters"),
    ({"ingress": {"path": "/a", "annotations": {"x" * 64: "v"}}, "service": {"port": 80}},
     "name part must be at most 63 characters (has 64)"),
])
def test_values_kubernetes_refuses_are_problems(tmp_path: Path, spec: dict[str, object], says: str) -> None:
    doc = workload("app", {"image": "registry.example.com/plant/app:1.0.0", "placement": "edge", **spec})
    found = lines(write_repo(tmp_path, {"workloads/app.yaml": as_yaml(doc)}))
    assert len(found) == 1 and says in found[0], found


# --- confusable names ---------------------------------------------------------------------------

def test_a_cyrillic_letter_is_named_where_it_hides(tmp_path: Path) -> None:
    doc = workload("\u0430pp", {"image": "registry.example.com/plant/app:1.0.0", "placement": "\u0435dge"})
    assert lines(write_repo(tmp_path, {"workloads/app.yaml": as_yaml(doc)})) == [
        "workloads/app.yaml:6:11: error [name-format] name '\u0430pp' must consist of lower case alphanumeric "
        "characters or '-', and must start and end with an alphanumeric character "
        "(character 1 is U+0430 CYRILLIC SMALL LETTER A, not ASCII)",
        "workloads/app.yaml:11:16: error [unknown-policy] unknown PlacementPolicy '\u0435dge' "
        "(character 1 is U+0435 CYRILLIC SMALL LETTER IE, not ASCII) (did you mean 'edge'?); known: edge",
    ]


def test_a_one_megabyte_reference_is_shortened_in_its_message(tmp_path: Path) -> None:
    doc = workload("app", {"image": "registry.example.com/plant/app:1.0.0", "placement": "p" * 1_000_000})
    (line,) = lines(write_repo(tmp_path, {"workloads/app.yaml": as_yaml(doc)}))
    assert "[unknown-policy]" in line and len(line) < 200


def test_messages_shorten_long_port_names(tmp_path: Path) -> None:
    doc = kitchen_sink()
    doc["spec"]["ports"][0]["name"] = "x" * 1_000_000
    found = lines(write_repo(tmp_path, {"workloads/sink.yaml": as_yaml(doc)}))
    assert found and all(len(line) < 1000 for line in found), max(map(len, found))


# --- positions stay exact when long runs are cut before the positional parse ------------------------

def test_positions_after_long_strings_are_exact() -> None:
    from i4qew.load.positions import Positions

    x = "a" * 1000
    text = f'k: {{a: "{x}", b: "{x}c", d: 1}}\nz:\n  - {x}\n  - y: {x}\n'
    rows = text.splitlines()
    where = {path: Positions(text).locate(0, path) for path in [("k", "a"), ("k", "b"), ("k", "d"), ("z", 0), ("z", 1, "y")]}
    assert where == {("k", "a"): (1, 8), ("k", "b"): (1, 8 + 1002 + 5), ("k", "d"): (1, 8 + 1002 + 5 + 1003 + 5),
                     ("z", 0): (3, 5), ("z", 1, "y"): (4, 8)}
    assert rows[0][where[("k", "d")][1] - 1] == "1"


def test_an_empty_value_is_reported_on_its_own_line(tmp_path: Path) -> None:
    """`t:` with nothing after it is null; ruamel puts it at the next token (the next
    key, a line below) and the hint once quoted that key's text."""
    text = wl_block("  labels:\n    t:\n    u: x\n")
    assert lines(write_repo(tmp_path, {"workloads/app.yaml": text})) == [
        "workloads/app.yaml:7:5: error [schema] metadata.labels.t: expected string, got null; "
        "give a value in quotes or leave the field out"]


def wl_block(meta: str) -> str:
    return ("apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata:\n  name: app\n  namespace: plant\n"
            f"{meta}spec:\n  image: registry.example.com/plant/app:1.0.0\n  placement: edge\n")


def test_line_separators_do_not_shift_line_numbers(tmp_path: Path) -> None:
    """U+2028/U+2029/NEL are ordinary characters in YAML 1.2 (and in editors);
    str.splitlines() broke lines there, and every later problem moved down."""
    text = "# note: a\u2028b\u2029c\x85d\n---\n- not a mapping\n"
    assert lines(write_repo(tmp_path, {"workloads/app.yaml": text})) == [
        "workloads/app.yaml:3:1: error [document-type] a declaration must be a mapping with apiVersion, kind, "
        "metadata and spec"]
