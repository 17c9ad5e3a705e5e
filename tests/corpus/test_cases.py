"""The validation corpus: every bad repo gives exactly its expected problem lines and exit 1,
every good repo validates clean, and every rule id is exercised by at least one bad repo.

Folder cases live in tests/corpus/{negative,positive}/<case>/, each a complete workload repo
with (negative) an `expected.txt` of the problem lines exactly as `i4qew validate` prints them.
Hostile inputs that cannot or should not be committed (NUL bytes, invalid UTF-8, symlinks,
FIFOs, huge files) are built at runtime from the `minimal` positive case.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.load.files import MAX_DECLARATION_BYTES
from i4qew.rules.catalog import all_rules
from tests.support.git_remote import git
from tests.support.tools import ROOT

CASES = ROOT / "tests" / "corpus"
NEGATIVE = sorted(p for p in (CASES / "negative").iterdir() if p.is_dir() and not (p / "base").is_dir())
# Cases of `plan --base`: base/ holds the files as they are at the base revision.
PLAN_BASE = sorted(p for p in (CASES / "negative").iterdir() if (p / "base").is_dir())
POSITIVE = sorted(p for p in (CASES / "positive").iterdir() if p.is_dir())
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info) \[(?P<rule>[a-z0-9-]+)\] .+$")


def validate(root: Path) -> tuple[int, list[str]]:
    """Exit code and problem lines (the summary line dropped) of `i4qew validate -C root`."""
    result = CliRunner().invoke(cli, ["validate", "-C", str(root)])
    # SystemExit is how click reports the exit code; anything else is a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    lines = result.output.splitlines()
    assert lines and re.fullmatch(r"\d+ files checked: \d+ errors?, \d+ warnings?", lines[-1]), result.output
    return result.exit_code, lines[:-1]


def expected_lines(case: Path) -> list[str]:
    return [line for line in (case / "expected.txt").read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", NEGATIVE, ids=[p.name for p in NEGATIVE])
def test_negative_case(case: Path) -> None:
    expected = expected_lines(case)
    assert expected, f"{case.name}/expected.txt lists no problem"
    assert all(LINE.match(line) for line in expected), "expected.txt lines must be PATH:LINE:COL: severity [rule] message"
    assert any(" error [" in line for line in expected), "a negative case must contain at least one error"
    code, lines = validate(case)
    assert lines == expected
    assert code == 1


@pytest.mark.parametrize("case", POSITIVE, ids=[p.name for p in POSITIVE])
def test_positive_case(case: Path) -> None:
    code, lines = validate(case)
    assert lines == []
    assert code == 0


@pytest.mark.parametrize("case", PLAN_BASE, ids=[p.name for p in PLAN_BASE])
def test_plan_base_case(case: Path, tmp_path: Path) -> None:
    """The base revision is the case overlaid with base/; the head is the case."""
    root = tmp_path / "repo"
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("base", "expected.txt"))
    head = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    shutil.copytree(case / "base", root, dirs_exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    for rel, data in head.items():
        (root / rel).write_bytes(data)
    git(root, "commit", "-qam", "head")
    result = CliRunner().invoke(cli, ["plan", "--env", "dev", "--base", "HEAD~1", "-C", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.output.splitlines() if LINE.match(line)]
    assert lines == expected_lines(case)
    assert any(" warning [" in line or " error [" in line for line in lines)
    assert result.exit_code == (1 if any(" error [" in line for line in lines) else 0)


# --- hostile inputs built at runtime -------------------------------------------------------

Build = Callable[[Path], None]


def _write(root: Path, rel: str, data: bytes) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(data)


def _symlink_outside(root: Path) -> None:
    outside = root.parent / "outside.yaml"
    outside.write_text((root / "workloads/app.yaml").read_text())
    (root / "workloads/link.yaml").symlink_to(outside)


def _symlink_inside(root: Path) -> None:
    (root / "workloads/alias.yaml").symlink_to("app.yaml")


def _symlink_folder(root: Path) -> None:
    (root.parent / "shared").mkdir()
    (root / "workloads/shared").symlink_to(root.parent / "shared", target_is_directory=True)


def _symlink_repository_file(root: Path) -> None:
    real = root.parent / "real-i4qew.yaml"
    (root / "i4qew.yaml").rename(real)
    (root / "i4qew.yaml").symlink_to(real)


def _symlinked_config_file(root: Path) -> None:
    (root / "workloads/files").mkdir()
    (root / "workloads/files/app.conf").symlink_to("/etc/hostname")
    with (root / "workloads/app.yaml").open("a") as f:
        f.write("  config:\n    mountPath: /etc/app\n    files:\n      app.conf: workloads/files/app.conf\n")


def _huge(root: Path) -> None:
    with (root / "workloads/huge.yaml").open("wb") as f:
        f.truncate(MAX_DECLARATION_BYTES + 1)  # sparse: the size guard must refuse it unread


def _fifo(root: Path) -> None:
    os.mkfifo(root / "workloads/pipe.yaml")  # reading it would block forever


GENERATED: dict[str, tuple[Build, list[str]]] = {
    "nul-byte": (
        lambda r: _write(r, "workloads/nul.yaml", b"apiVersion: edge.i4q.eu/v1alpha1\nkind: Work\x00load\n"),
        ["workloads/nul.yaml:2:11: error [encoding] NUL byte: this is not a text file"],
    ),
    "invalid-utf8": (
        lambda r: _write(r, "workloads/latin1.yaml", "# café\n".encode() + "# caffè\n".encode("latin-1")),
        ["workloads/latin1.yaml:2:7: error [encoding] invalid UTF-8 (byte 0xe8); save the file as UTF-8"],
    ),
    "utf16": (
        lambda r: _write(r, "workloads/wide.yaml", "kind: Workload\n".encode("utf-16")),
        ["workloads/wide.yaml:1:1: error [encoding] the file is UTF-16; save it as UTF-8"],
    ),
    "control-character": (
        lambda r: _write(r, "workloads/bell.yaml", b"# ok\nkind: Work\x07load\n"),
        ["workloads/bell.yaml:2:11: error [encoding] control character U+0007 is not allowed in YAML; "
         "remove it or write it as an escape in a double-quoted string"],
    ),
    "symlink-outside": (
        _symlink_outside,
        ["workloads/link.yaml:1:1: error [unsafe-path] symlink refused: declarations must be plain files inside "
         "the repository (this one points outside the repository)"],
    ),
    "symlink-inside": (
        _symlink_inside,
        ["workloads/alias.yaml:1:1: error [unsafe-path] symlink refused: declarations must be plain files inside "
         "the repository"],
    ),
    "symlink-folder": (
        _symlink_folder,
        ["workloads/shared:1:1: error [unsafe-path] symlinked folder refused: declarations must be plain files "
         "inside the repository"],
    ),
    "symlink-repository-file": (
        _symlink_repository_file,
        ["i4qew.yaml:1:1: error [unsafe-path] i4qew.yaml is a symlink; i4qew reads no symlinks"],
    ),
    "symlinked-config-file": (
        _symlinked_config_file,
        ["workloads/app.yaml:12:17: error [config-file] 'workloads/files/app.conf' is or passes through a symlink; "
         "i4qew reads no symlinks"],
    ),
    "huge-file": (
        _huge,
        [f"workloads/huge.yaml:1:1: error [file-too-large] file is {MAX_DECLARATION_BYTES + 1:,} bytes; "
         f"the limit is {MAX_DECLARATION_BYTES:,} bytes"],
    ),
    "fifo": (
        _fifo,
        ["workloads/pipe.yaml:1:1: error [unreadable] not a regular file"],
    ),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_negative_case(name: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(CASES / "positive" / "minimal", root)
    build, expected = GENERATED[name]
    build(root)
    code, lines = validate(root)
    assert lines == expected
    assert code == 1


# --- the corpus covers the registry ---------------------------------------------------------

def _rules_in(lines: list[str]) -> set[str]:
    return {m.group("rule") for m in map(LINE.match, lines) if m}


def test_every_registered_rule_has_a_negative_case() -> None:
    exercised = set().union(*(_rules_in(expected_lines(c)) for c in (*NEGATIVE, *PLAN_BASE)),
                            *(_rules_in(expected) for _, expected in GENERATED.values()))
    missing = sorted(set(all_rules()) - exercised)
    assert not missing, f"rules without a negative case in tests/corpus/negative: {missing}"


def test_every_reported_rule_is_registered() -> None:
    # an id that appears in output but not in the registry would be undocumented
    reported = set().union(*(_rules_in(expected_lines(c)) for c in (*NEGATIVE, *PLAN_BASE)))
    assert reported <= set(all_rules())


def test_the_corpus_is_large_enough() -> None:
    assert len(NEGATIVE) + len(GENERATED) >= 45
    assert len(POSITIVE) >= 3
