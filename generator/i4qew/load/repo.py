"""Load every declaration of a workload repository into documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from i4qew.load.documents import Document, SourceFile
from i4qew.load.files import (
    DECLARATION_DIRS,
    MAX_DECLARATION_BYTES,
    REPOSITORY_FILE,
    SourceText,
    discover_files,
    read_found,
)
from i4qew.load.parsed_cache import ParsedCache, parsed_cache
from i4qew.load.yamlio import parse
from i4qew.problems import Problem, error


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def load_file(root: Path, path: Path, limit: int, out: Loaded, cache: ParsedCache | None = None) -> None:
    load_found(path.relative_to(root).as_posix(), str(path), limit, out, cache)


def load_found(rel: str, path: str, limit: int, out: Loaded, cache: ParsedCache | None = None) -> None:
    """A file `discover_files` found (it cannot leave the repository)."""
    out.files.append(rel)
    got = read_found(rel, path, limit)
    if isinstance(got, Problem):
        out.problems.append(got)
        return
    load_text(got, out, cache)


def load_text(src: SourceText, out: Loaded, cache: ParsedCache | None = None) -> None:
    """The file's documents into `out`; parsed through `cache` (the persistent one) when given."""
    parsed = parse(src.path, src.text) if cache is None else cache.parse(src.path, src.text)
    if isinstance(parsed, Problem):
        out.problems.append(parsed)
        return
    source = SourceFile(src.path, src.text)
    for index, data in enumerate(parsed.docs):
        if data is None:
            continue  # an empty document (a trailing `---`) is no declaration
        doc = Document(source, index, data)
        if not isinstance(data, dict):
            out.problems.append(doc.problem((), "document-type", "a declaration must be a mapping with apiVersion, kind, metadata and spec"))
            continue
        unusable = parsed.issues[index]
        for path, at_key, message in unusable:
            out.problems.append(doc.problem(path, "yaml-type", message, key=at_key))
        if not unusable:
            out.documents.append(doc)


def load_declarations(root: Path) -> Loaded:
    """i4qew.yaml plus everything under workloads/, policies/ and models/."""
    out = Loaded()
    cache = parsed_cache()
    repo_file = root / REPOSITORY_FILE
    if repo_file.is_symlink():
        out.problems.append(error(REPOSITORY_FILE, 1, 1, "unsafe-path", "i4qew.yaml is a symlink; i4qew reads no symlinks"))
    elif repo_file.is_file():
        load_file(root, repo_file, MAX_DECLARATION_BYTES, out, cache)
    else:
        out.problems.append(error(REPOSITORY_FILE, 1, 1, "repository-missing",
                                  "no i4qew.yaml at the repository root (run `i4qew init` to create one)"))
    found, problems = discover_files(root, DECLARATION_DIRS)
    out.problems.extend(problems)
    for rel, path in found:
        load_found(rel, path, MAX_DECLARATION_BYTES, out, cache)
    cache.save()
    return out
