"""Plaintext secrets: credentials belong in Kubernetes Secrets, never in Git.

Two signals. An env var whose *name* says it holds a credential (PASSWORD,
TOKEN, SECRET, KEY, ...) must not have a literal `value`; and any string
anywhere in a declaration or a mounted config file that *looks* like a
credential (provider token formats, private keys, JWTs, `user:pass@` URLs) is
reported wherever it is. Messages name the kind of credential, never its text:
the report ends up in CI logs and MR widgets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from i4qew.load.documents import Document
from i4qew.model import Repo
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import rule
from i4qew.rules.walk import dotted

# (what it looks like, pattern)
CREDENTIAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitLab token", re.compile(r"\bgl(?:pat|dt|rt|ptt|oas|soat|ft|imt|cbt)-[0-9A-Za-z_-]{20,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    # user:password@host; a `$(VAR)`, `${VAR}`, `{{ }}`, `<pw>` or `%s` placeholder is no secret
    ("a password in a URL", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]+:(?![$<{%*])[^\s/@]+@")),
)

# Words of an env var name that say "credential". Long words count inside a
# word too (DBPASSWORD); TOKEN and KEY only as whole words or after a prefix
# that makes them one (APIKEY, AUTHTOKEN), so MAX_TOKENS and MONKEY pass.
_ANYWHERE = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "CREDENTIAL", "APIKEY")
_WHOLE = {"TOKEN", "KEY"}
_COMPOUND_PREFIXES = ("API", "AUTH", "ACCESS", "SECRET", "PRIVATE", "BEARER", "REFRESH", "SESSION", "CLIENT",
                      "SIGNING", "ENCRYPTION", "MASTER", "LICENSE", "SSH", "ID")
# A last word that makes the variable *about* a credential, not one: a file
# path, a name of a Secret, an id, a size, a duration.
_NOT_THE_SECRET = {"FILE", "PATH", "DIR", "NAME", "ID", "URL", "URI", "ENDPOINT", "HEADER", "TYPE", "LENGTH",
                   "SIZE", "TTL", "EXPIRY", "TIMEOUT", "SECONDS", "FIELD", "REF", "ALGORITHM", "LIMIT", "VERSION",
                   "ENABLED", "REQUIRED", "COUNT", "KIND", "FORMAT", "LOCATION", "MOUNT", "COLUMN",
                   "PREFIX", "SUFFIX"}
_HARMLESS_VALUES = {"", "true", "false", "yes", "no", "on", "off", "none", "null"}
_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

ENV_ADVICE = "put it in a Secret and use valueFrom.secretKeyRef"
GIT_ADVICE = ("remove the credentials from the URL and name the hub Secret that holds them in "
              "spec.git.secretRef; rotate this one")
DATA_ADVICE = ("put it in a Secret and pass it with env valueFrom.secretKeyRef; "
               "never commit credentials, and rotate this one")


def credential_name(name: str) -> bool:
    """True when an env var name says it holds a credential."""
    words = [w.upper() for w in _WORDS.findall(name)]
    if not words or words[-1] in _NOT_THE_SECRET:
        return False
    for w in words:
        if w in _WHOLE or any(s in w for s in _ANYWHERE):
            return True
        if any(w.endswith(end) and w[: -len(end)] in _COMPOUND_PREFIXES for end in ("KEY", "TOKEN")):
            return True
    return False


# All patterns in one alternation: one scan per string instead of one per pattern.
_ANY_CREDENTIAL = re.compile("|".join(f"(?P<p{i}>{p.pattern})" for i, (_, p) in enumerate(CREDENTIAL_PATTERNS)))


def find_credential(text: str) -> tuple[str, int] | None:
    """(what it looks like, offset) of the leftmost credential-looking part of `text`."""
    m = _ANY_CREDENTIAL.search(text)
    if m is None or m.lastgroup is None:
        return None
    return CREDENTIAL_PATTERNS[int(m.lastgroup[1:])][0], m.start()


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, str):
            yield p, v
        elif isinstance(v, dict):
            stack.extend((x, (*p, k)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, (*p, i)) for i, x in enumerate(v))


def _documents(repo: Repo) -> Iterator[Document]:
    if repo.repository.doc is not None:
        yield repo.repository.doc
    yield from (w.doc for w in repo.workloads)
    yield from (p.doc for p in repo.policies.values())
    yield from (m.doc for m in repo.models.values())


def _env_lists(doc: Document) -> Iterator[tuple[tuple[str | int, ...], list[Any]]]:
    spec = doc.data.get("spec") or {}
    if doc.kind != "Workload":
        return
    yield ("spec", "env"), spec.get("env") or []
    for env, over in sorted((spec.get("environments") or {}).items()):
        yield ("spec", "environments", env, "env"), (over or {}).get("env") or []


@rule(
    "plaintext-secret",
    "no credential in plain text: an env var named like PASSWORD/TOKEN/SECRET/KEY/CREDENTIAL has no literal "
    "value, and no value, argument or config file looks like a token, private key, JWT or user:pass@ URL",
    passing="env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef: {name: db, key: password}",
    failing="env:\n  - name: DB_PASSWORD\n    value: hunter2",
)
def check_secrets(repo: Repo) -> Iterator[Problem]:
    for doc in _documents(repo):
        named: set[tuple[str | int, ...]] = set()
        for prefix, items in _env_lists(doc):
            for i, item in enumerate(items):
                value = item.get("value")
                if isinstance(value, str) and credential_name(item["name"]) and not _harmless(value):
                    named.add((*prefix, i, "value"))
                    yield doc.problem((*prefix, i, "value"), "plaintext-secret",
                                      f"env {item['name']} holds a credential in plain text; {ENV_ADVICE}")
        for path, text in _strings(doc.data, ()):
            if path in named:
                continue
            found = find_credential(text)
            if found:
                line, col = doc.at_inside(path, text, found[1])
                advice = GIT_ADVICE if path == ("spec", "git", "url") else DATA_ADVICE
                yield Problem(doc.path, line, col, Severity.ERROR, "plaintext-secret",
                              f"{_where(path)} looks like {found[0]}; {advice}")
    for rel, text in sorted(repo.files.items()):
        found = find_credential(text)
        if found:
            line = text.count("\n", 0, found[1]) + 1
            col = found[1] - (text.rfind("\n", 0, found[1]) + 1) + 1
            yield Problem(rel, line, col, Severity.ERROR, "plaintext-secret",
                          f"this config file looks like it holds {found[0]}; mount credentials from a Secret, "
                          "never commit them, and rotate this one")


def _harmless(value: str) -> bool:
    return value.strip().lower() in _HARMLESS_VALUES or bool(_REFERENCE.fullmatch(value.strip()))


def _where(path: tuple[str | int, ...]) -> str:
    return f"the value of {dotted(path)}" if path else "the value"
