"""The runnable form of every rule's examples, and the repository they are placed into.

An example is one or more files of a workload repository. Each file starts with a
line `# PATH` or `# PATH (HOW)` (PATH's last component has a dot: `i4qew.yaml`,
`workloads/app.yaml`, `.yamllint`); the lines up to the next such line are its content:

    # PATH                    YAML merged into PATH of EXAMPLE_REPOSITORY (mappings key by
                              key, anything else replaced); a new file when there is none
    # PATH (the whole file)   the content replaces the file
    # PATH (removed)          the file is deleted
    # PATH (a symlink to T)   PATH is a symbolic link to T
    # PATH (a FIFO)           PATH is a named pipe
    # PATH (Latin-1)          the whole file, encoded as Latin-1 instead of UTF-8
    # base/PATH               PATH as it is at the merge request's base: the example runs
                              through `i4qew plan --base` (guardrail-changed) instead of
                              `i4qew validate`

tests/unit/rules/test_examples.py runs every registered rule's examples: the failing
one reports that rule's id and no other, the passing one reports nothing. A rule whose
examples cannot be a repository says why in its `not_run`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

HEADER: Final = re.compile(r"# (?P<path>(?:[\w.-]+/)*[\w-]*\.[\w.-]+)(?: \((?P<how>[^()]+)\))?")
SYMLINK: Final = "a symlink to "
HOWS: Final = ("", "the whole file", "removed", "a FIFO", "Latin-1")
BASE_REVISION: Final = "base/"


@dataclass(frozen=True)
class Section:
    path: str
    how: str
    text: str


def sections(example: str) -> list[Section]:
    """The files of an example, in order; ValueError when it does not start with a file
    line or a file line says something unknown."""
    found: list[tuple[str, str, list[str]]] = []
    for line in example.split("\n"):
        m = HEADER.fullmatch(line)
        if m:
            how = m["how"] or ""
            if how not in HOWS and not how.startswith(SYMLINK):
                raise ValueError(f"{line!r}: unknown ({how}); one of {', '.join(h for h in HOWS if h)}, {SYMLINK}T")
            found.append((m["path"], how, []))
        elif not found:
            raise ValueError(f"an example starts with a `# PATH` line naming its file, not {line!r}")
        else:
            found[-1][2].append(line)
    return [Section(path, how, "\n".join(lines) + "\n" if lines else "") for path, how, lines in found]


# The repository every example is placed into: valid, and with nothing to report.
EXAMPLE_REPOSITORY: Final[dict[str, str]] = {
    "i4qew.yaml": """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Repository
metadata:
  name: plant
spec:
  git:
    url: https://gitlab.example.com/plant/edge.git
  environments:
    - {name: dev, selector: "stage=dev"}
    - {name: production, selector: "stage=production", promotesFrom: dev}
""",
    "policies/edge.yaml": """\
apiVersion: edge.i4q.eu/v1alpha1
kind: PlacementPolicy
metadata:
  name: edge
spec:
  selector: "site=bologna"
""",
    "models/detector.yaml": """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Model
metadata:
  name: detector
spec:
  versions: ["1"]
  distribution: external   # the plant's distributor places it: versions need no source
  placement: edge
  storage:
    hostPath: /var/lib/i4q/models
""",
    "workloads/app.yaml": """\
apiVersion: edge.i4q.eu/v1alpha1
kind: Workload
metadata:
  name: app
  namespace: plant
spec:
  image: registry.example.com/plant/app:1.0.0
  placement: edge
""",
}


def guardrail(namespace: str, *, path: str = "i4qew.yaml") -> str:
    """An example's i4qew.yaml (or base/i4qew.yaml) section with one namespace guardrail,
    `namespace` being its flow mapping (and a comment, if any)."""
    return f"# {path}\nspec:\n  guardrails:\n    namespaces:\n      - {namespace}\n"
