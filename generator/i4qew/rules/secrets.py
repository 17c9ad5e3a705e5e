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
from i4qew.model.repo import Repo
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


# Every pattern above needs one of these: `in` is ~100x faster than the alternation,
# which matters for a 1 MB config file (and keeps a 1 MB hostile string cheap).
_MARKERS = ("-----BEGIN", "AKIA", "ASIA", "gl", "gh", "github_pat_", "hf_", "xox", "eyJ", "://")


def _may_hold_credential(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


def find_credential(text: str) -> tuple[str, int] | None:
    """(what it looks like, offset) of the leftmost credential-looking part of `text`."""
    if not _may_hold_credential(text):
        return None
    m = _ANY_CREDENTIAL.search(text)
    if m is None or m.lastgroup is None:
        return None
    return CREDENTIAL_PATTERNS[int(m.lastgroup[1:])][0], m.start()


# What a message may quote that hides a credential the patterns above miss: a
# `user:password@` or `token@` in front of a host without a scheme (an image reference);
# not a digest (`app@sha256:...`) nor the path before one (`registry/app@`), nor ssh's git@.
_USERINFO = re.compile(r"(?<![\w@/.:-])(?!git@)[^\s/:@'\"]+(?::[^\s/@'\"]+)?@(?!sha\d+:)(?=[A-Za-z0-9.-]+[/:])")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*-----")
_VALUE_END = re.compile("['\"…]|$")
REDACTED = "[redacted]"


def mask_credentials(text: str) -> str:
    """`text` with every credential-looking part replaced by [redacted]: problem
    messages quote user values (names, paths, references) and end up in CI logs.
    A private key is masked up to its END line, or to the end of the quoted value."""
    if not _may_hold_credential(text) and "@" not in text:
        return text
    if _ANY_CREDENTIAL.search(text) is None and _USERINFO.search(text) is None:
        return text
    out: list[str] = []
    pos = 0
    for m in _ANY_CREDENTIAL.finditer(text):
        if m.start() < pos:
            continue
        end = m.end()
        if m.lastgroup == "p0":  # a private key: its body follows the BEGIN line
            tail = _KEY_END.search(text, end)
            stop = _VALUE_END.search(text, end)
            end = tail.end() if tail and (stop is None or tail.start() < stop.start() or stop.group() == "") else (
                stop.start() if stop else len(text))
        out.append(text[pos:m.start()])
        out.append(REDACTED)
        pos = end
    out.append(text[pos:])
    return _USERINFO.sub(REDACTED + "@", "".join(out))


def _image_userinfo(image: str) -> bool:
    """`user:password@registry/repo:tag` or `token@registry/repo`: credentials in front
    of the registry (a digest's `@` comes after the repository's `/`)."""
    head, at, rest = image.partition("@")
    return bool(at) and "/" not in head and "/" in rest


def _url_userinfo(url: str) -> bool:
    """An http(s) URL with a user part: `https://TOKEN@host/...` sends it as a credential
    (ssh's `git@host` is a login name, not a secret)."""
    return re.match(r"(?i)https?://[^/?#]*@", url) is not None


_IMAGE_FIELDS = {("spec", "image")}


def _is_image(path: tuple[str | int, ...]) -> bool:
    return path in _IMAGE_FIELDS or (len(path) == 4 and path[:2] == ("spec", "environments") and path[3] == "image")


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """(path, text, is it the key at path?) of every string, mapping keys included:
    a token pasted as an annotation or a config file name is as leaked as a value."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, str):
            yield p, v, False
        elif isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str):
                    yield (*p, k), k, True
                stack.append((x, (*p, k)))
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
        strings = list(_strings(doc.data, ()))
        # One scan of the document's strings joined: a match inside any one string
        # is a match in the join, so a document without one (nearly all of them)
        # skips the per-string scans. A match across a separator only costs them.
        scan = find_credential("\x00".join(text for _, text, _ in strings)) is not None
        for path, text, is_key in strings:
            if path in named and not is_key:
                continue
            advice = GIT_ADVICE if path == ("spec", "git", "url") else DATA_ADVICE
            found = find_credential(text) if scan else None
            if found is not None:
                looks = f"looks like {found[0]}"
            elif is_key:
                continue
            elif (path == ("spec", "git", "url") and _url_userinfo(text)) or (_is_image(path) and _image_userinfo(text)):
                looks, found = "carries credentials in front of the host ('user:password@' or 'token@')", ("", 0)
            else:
                continue
            if is_key:
                yield doc.problem(path, "plaintext-secret", f"a key of {dotted(path[:-1]) or 'the document'} {looks}; "
                                  f"{advice}", key=True)
                continue
            line, col = doc.at_inside(path, text, found[1])
            yield Problem(doc.path, line, col, Severity.ERROR, "plaintext-secret", f"{_where(path)} {looks}; {advice}")
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
