"""Where a declaration belongs and which one counts: the checks over whole documents
that decide what the model is built from, before it exists.

i4qew.yaml holds exactly one Repository; Workloads, PlacementPolicies and Models
live in their folders; a PlacementPolicy or Model name is declared once (two
Workloads of one name are `duplicate-workload`, judged on the model).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from i4qew.load.documents import Document
from i4qew.load.files import REPOSITORY_FILE
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import describe

FOLDER_OF_KIND = {"Workload": "workloads/", "PlacementPolicy": "policies/", "Model": "models/"}

describe("kind-location", "i4qew.yaml holds one Repository; Workloads live in workloads/, policies in policies/, "
         "models in models/", stage="schema",
         passing=(
             "# workloads/app.yaml\n"
             "kind: Workload"
         ),
         failing=(
             "# policies/web.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: Workload   # in policies/\n"
             "metadata: {name: web, namespace: plant}\n"
             "spec: {image: registry.example.com/plant/web:1.0.0, placement: edge}"
         ))
describe("duplicate-name", "a PlacementPolicy or Model name is declared once; i4qew.yaml holds one document",
         stage="schema",
         passing=(
             "# policies/edge-copy.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: PlacementPolicy\n"
             "metadata: {name: edge-copy}\n"
             "spec: {selector: \"site=porto\"}"
         ),
         failing=(
             "# policies/edge-copy.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: PlacementPolicy\n"
             "metadata: {name: edge}   # policies/edge.yaml has it\n"
             "spec: {selector: \"site=porto\"}"
         ))


@dataclass
class Declarations:
    repository: Document | None = None  # the one valid Repository of i4qew.yaml
    valid: list[Document] = field(default_factory=list)  # the other documents the model is built from
    # (kind, name) of every declaration seen, valid or not
    declared: set[tuple[str, str]] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def sort_declarations(checked: Iterable[tuple[Document, list[Problem]]]) -> Declarations:
    """The documents, each with its schema problems, sorted into what the model is built
    from; every document's own problems are kept, in order, with the ones found here."""
    out = Declarations()
    seen: dict[tuple[str, str], Document] = {}
    for doc, doc_problems in checked:
        out.problems.extend(doc_problems)
        kind, name = doc.kind, doc.name
        if kind and name:
            out.declared.add((kind, name))
        if kind == "Repository":
            if doc.path != REPOSITORY_FILE:
                out.problems.append(doc.problem(("kind",), "kind-location",
                                                "kind Repository belongs in i4qew.yaml at the repository root"))
                continue
            if out.repository is not None:
                out.problems.append(doc.problem(("kind",), "duplicate-name",
                                                "i4qew.yaml must hold exactly one Repository document"))
                continue
            if not doc_problems:
                out.repository = doc
            continue
        if doc.path == REPOSITORY_FILE and kind is not None:
            out.problems.append(doc.problem(("kind",), "kind-location", f"i4qew.yaml holds only the Repository; move "
                                            f"this {kind} to {FOLDER_OF_KIND.get(kind, 'its folder')}"))
            continue
        folder = FOLDER_OF_KIND.get(kind or "")
        if folder and not doc.path.startswith(folder):
            out.problems.append(doc.problem(("kind",), "kind-location", f"a {kind} belongs under {folder}",
                                            Severity.WARNING))
        if kind and name and kind != "Workload":
            first = seen.setdefault((kind, name), doc)
            if first is not doc:
                out.problems.append(doc.problem(
                    ("metadata", "name"), "duplicate-name",
                    f"{kind} '{name}' is already declared at {first.path}:{first.at(('metadata', 'name'))[0]}"))
                continue
        if not doc_problems:
            out.valid.append(doc)
    return out
