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

from i4qew import memo
from i4qew.load.documents import Document
from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity
from i4qew.rules.registry import local, rule
from i4qew.text import dotted, find_credential, may_hold_credential

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


@memo.lru(4096)
def credential_name(name: str) -> bool:
    """True when an env var name says it holds a credential. (Cached: 10,000 workloads
    repeat a few hundred names.)"""
    words = [w.upper() for w in _WORDS.findall(name)]
    if not words or words[-1] in _NOT_THE_SECRET:
        return False
    for w in words:
        if w in _WHOLE or any(s in w for s in _ANYWHERE):
            return True
        if any(w.endswith(end) and w[: -len(end)] in _COMPOUND_PREFIXES for end in ("KEY", "TOKEN")):
            return True
    return False


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


def _texts(value: Any) -> list[str]:
    """Every string of `value`, mapping keys included, in no particular order (what
    `_strings` yields without the paths: the scan of a document's strings joined needs
    only them, and nearly every document stops there)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str):
                    out.append(k)
                if isinstance(x, str):
                    out.append(x)
                elif isinstance(x, (dict, list)):
                    stack.append(x)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, str):
                    out.append(x)
                elif isinstance(x, (dict, list)):
                    stack.append(x)
        elif isinstance(v, str):
            out.append(v)
    return out


# A backslash and what follows it, unless that is an escape whose character is in no
# credential marker (text.py _MARKERS): a line break, a tab, a quote, a backslash, ...
# (`\/`, `\x..`, `\u....`, `\U........` and a backslash ending a line are not among them).
_OPAQUE_ESCAPE = re.compile(r'\\[^ntr"\\0abefvN_LP \t]|\\$', re.MULTILINE)


def _may_hide_one(doc: Document) -> bool:
    return may_hide(doc.source.text)


def may_hide(text: str) -> bool:
    """False when no string YAML reads from `text` can hold a credential: the text has no
    marker of one and no backslash but those of escapes whose character is in no marker.
    Every string YAML reads is made of pieces of the text, joined by a space or a line
    break (folding), an alias's copy, or the characters of such escapes (a backslash in a
    plain or single-quoted scalar is itself), and no marker holds any of these, so a
    marker in a string is a marker in the text."""
    return may_hold_credential(text) or _OPAQUE_ESCAPE.search(text) is not None


def _userinfo_fields(data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The strings a credential can hide in without looking like one: the git URL and
    the images (`_is_image`), with their paths."""
    spec = data.get("spec") if isinstance(data, dict) else None
    if not isinstance(spec, dict):
        return
    git = spec.get("git")
    if isinstance(git, dict) and isinstance(git.get("url"), str):
        yield ("spec", "git", "url"), git["url"]
    if isinstance(spec.get("image"), str):
        yield ("spec", "image"), spec["image"]
    envs = spec.get("environments")
    pairs = envs.items() if isinstance(envs, dict) else enumerate(envs) if isinstance(envs, list) else ()
    for env, over in pairs:
        if isinstance(over, dict) and isinstance(over.get("image"), str):
            yield ("spec", "environments", env, "image"), over["image"]


def _env_lists(doc: Document) -> Iterator[tuple[tuple[str | int, ...], list[Any]]]:
    spec = doc.data.get("spec") or {}
    if doc.kind != "Workload":
        return
    yield ("spec", "env"), spec.get("env") or []
    for env, over in sorted((spec.get("environments") or {}).items()):
        yield ("spec", "environments", env, "env"), (over or {}).get("env") or []


@local
@rule(
    "plaintext-secret",
    "no credential in plain text: an env var named like PASSWORD/TOKEN/SECRET/KEY/CREDENTIAL has no literal "
    "value, and no value, argument or config file looks like a token, private key, JWT or user:pass@ URL",
    passing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  env:\n"
        "    - name: DB_PASSWORD\n"
        "      valueFrom:\n"
        "        secretKeyRef: {name: db, key: password}"
    ),
    failing=(
        "# workloads/app.yaml\n"
        "spec:\n"
        "  env:\n"
        "    - name: DB_PASSWORD\n"
        "      value: hunter2"
    ),
)
def check_secrets(repo: Repo) -> Iterator[Problem]:
    for doc in repo.documents():
        named: set[tuple[str | int, ...]] = set()
        for prefix, items in _env_lists(doc):
            for i, item in enumerate(items):
                value = item.get("value")
                if isinstance(value, str) and credential_name(item["name"]) and not _harmless(value):
                    named.add((*prefix, i, "value"))
                    yield doc.problem((*prefix, i, "value"), "plaintext-secret",
                                      f"env {item['name']} holds a credential in plain text; {ENV_ADVICE}")
        # One scan of the document's strings joined: a match inside any one string
        # is a match in the join, so a document without one (nearly all of them)
        # skips the per-string scans. A match across a separator only costs them.
        scan = _may_hide_one(doc) and find_credential("\x00".join(_texts(doc.data))) is not None
        # Without a match only a credential in front of a host is left to find, in the
        # fields that name hosts.
        strings = _strings(doc.data, ()) if scan else ((p, t, False) for p, t in _userinfo_fields(doc.data))
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
