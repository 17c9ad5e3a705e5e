"""Load every declaration of a workload repository into documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from i4qew.load.documents import Document, SourceFile
from i4qew.load.files import (
    DECLARATION_DIRS,
    MAX_DECLARATION_BYTES,
    REPOSITORY_FILE,
    SourceText,
    check_text,
    discover_files,
    known_text,
    read_bytes,
)
from i4qew.load.parsed_cache import ParsedCache, parsed_cache
from i4qew.load.yamlio import Parsed, parse
from i4qew.problems import Problem, error


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def load_file(root: Path, path: Path, limit: int, out: Loaded, cache: ParsedCache | None = None,
              known: Mapping[str, bytes] | None = None) -> None:
    load_found(path.relative_to(root).as_posix(), str(path), limit, out, cache, known)


def load_found(rel: str, path: str, limit: int, out: Loaded, cache: ParsedCache | None = None,
               known: Mapping[str, bytes] | None = None) -> None:
    """A file `discover_files` found (it cannot leave the repository). Through the persistent
    cache, bytes parsed before are not checked nor parsed again. `known`: the bytes of
    files this run has read already (a regular file within the limit when it was read;
    load/journal.py), by repository path: not read again."""
    out.files.append(rel)
    held = known.get(rel) if known else None
    data = held if held is not None and len(held) <= limit else read_bytes(rel, path, limit)
    if isinstance(data, Problem):
        out.problems.append(data)
        return
    hit = cache.lookup(data) if cache is not None else None
    if hit is not None:
        text = known_text(rel, data).text
        _documents(SourceFile(rel, text, hit[0]), Parsed(rel, text, hit[1], hit[2]), out)
        return
    got = check_text(rel, data)
    if isinstance(got, Problem):
        out.problems.append(got)
        return
    parsed = parse(got.path, got.text) if cache is None else cache.parse(got.path, got.text, data)
    if isinstance(parsed, Problem):
        out.problems.append(parsed)
        return
    key = cache.key(data) if cache is not None and cache.store.on else ""
    _documents(SourceFile(got.path, got.text, key), parsed, out)


def load_text(src: SourceText, out: Loaded, cache: ParsedCache | None = None) -> None:
    """The file's documents into `out`; parsed through `cache` (the persistent one) when given."""
    data = src.text.encode("utf-8", "surrogatepass")
    parsed = parse(src.path, src.text) if cache is None else cache.parse(src.path, src.text, data)
    if isinstance(parsed, Problem):
        out.problems.append(parsed)
        return
    _documents(SourceFile(src.path, src.text), parsed, out)


def _documents(source: SourceFile, parsed: Parsed, out: Loaded) -> None:
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


def load_declarations(root: Path, known: Mapping[str, bytes] | None = None) -> Loaded:
    """i4qew.yaml plus everything under workloads/, policies/ and models/ (`known`: load_found)."""
    out = Loaded()
    cache = parsed_cache()
    repo_file = root / REPOSITORY_FILE
    if repo_file.is_symlink():
        out.problems.append(error(REPOSITORY_FILE, 1, 1, "unsafe-path", "i4qew.yaml is a symlink; i4qew reads no symlinks"))
    elif repo_file.is_file():
        load_file(root, repo_file, MAX_DECLARATION_BYTES, out, cache, known)
    else:
        out.problems.append(error(REPOSITORY_FILE, 1, 1, "repository-missing",
                                  "no i4qew.yaml at the repository root (run `i4qew init` to create one)"))
    found, problems = discover_files(root, DECLARATION_DIRS)
    out.problems.extend(problems)
    for rel, path in found:
        load_found(rel, path, MAX_DECLARATION_BYTES, out, cache, known)
    cache.save()
    return out
