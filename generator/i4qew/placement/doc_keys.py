"""The identity of a declaration between runs, for the caches that key a workload's
answers by its document: the file's path, the document's position in it and the bytes
the file was read from."""

from __future__ import annotations

import hashlib

from i4qew import memo
from i4qew.load.documents import Document, SourceFile
from i4qew.model.repo import Repo

Ident = tuple[str, int, str]  # a document: path, position, its file's bytes key
Files = dict[int, tuple[SourceFile, str]]  # by id, each file (kept alive) with its bytes key


def file_key(source: SourceFile, files: Files) -> str:
    """The documents cache's key of the file's bytes, else a digest of its text."""
    got = files.get(id(source))
    if got is None or got[0] is not source:
        key = f"b{source.key}" if source.key else "t" + hashlib.blake2b(source.text.encode(), digest_size=20).hexdigest()
        got = files[id(source)] = (source, key)
    return got[1]


# by id, each document (kept alive) with its identity: the caches of one run share them
_idents: dict[int, tuple[Document, Ident]] = memo.held("placement.doc_keys.idents", {})


def ident(doc: Document, files: Files) -> Ident:
    got = _idents.get(id(doc))
    if got is None or got[0] is not doc:
        if len(_idents) >= 200_000:
            _idents.clear()
        got = _idents[id(doc)] = (doc, (doc.path, doc.index, file_key(doc.source, files)))
    return got[1]


def shared_declarations(repo: Repo, files: Files) -> tuple[object, ...]:
    """What every workload's placement may read beside its own document: i4qew.yaml's
    document, and every policy's and model's (by name, as the model holds them)."""
    doc = repo.repository.doc
    return (ident(doc, files) if doc is not None else None,
            [(n, *ident(p.doc, files)) for n, p in repo.policies.items()],
            [(n, *ident(m.doc, files)) for n, m in repo.models.items()])
