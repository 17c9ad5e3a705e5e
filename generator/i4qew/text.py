"""What i4qew prints of user text: quoting, key paths, hints, and the credentials it never prints.

The lowest layer with `problems.py`: the loader, the schema check, the model, the
rules and the git/GitLab edges all quote user values in messages that end up in CI
logs and MR widgets, so the helpers that keep those messages one line long and free
of credentials live here, below all of them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import quote

# (what it looks like, pattern): credential formats found in values and masked in messages
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

# All patterns in one alternation: one scan per string instead of one per pattern.
_ANY_CREDENTIAL = re.compile("|".join(f"(?P<p{i}>{p.pattern})" for i, (_, p) in enumerate(CREDENTIAL_PATTERNS)))

# Every pattern above needs one of these: `in` is ~100x faster than the alternation,
# which matters for a 1 MB config file (and keeps a 1 MB hostile string cheap).
_MARKERS = ("-----BEGIN", "AKIA", "ASIA", "gl", "gh", "github_pat_", "hf_", "xox", "eyJ", "://")


def _may_hold_credential(text: str) -> bool:
    # map over the bound method: no generator frame (called for every declaration and message)
    return any(map(text.__contains__, _MARKERS))


# Public: a file's text without these holds no credential in any of its values (rules/secrets.py).
may_hold_credential = _may_hold_credential


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


_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")
MASKED = "[MASKED]"
MIN_SECRET = 4  # a 1-3 character "secret" would shred every message it is masked in


def strip_userinfo(text: str) -> str:
    """Every `scheme://user:secret@host` in `text` as `scheme://host`."""
    return _URL_USERINFO.sub(r"\1", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` (git's stderr, a GitLab error) with every form of each known secret we
    might relay (as is, URL-encoded either way) replaced by [MASKED], longest first,
    and every URL's userinfo removed: what git and GitLab print is relayed safely."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= MIN_SECRET:
            for form in {secret, quote(secret, safe=""), quote(secret)}:
                text = text.replace(form, MASKED)
    return strip_userinfo(text)


def shorten(text: str, limit: int = 60) -> str:
    """A user value quoted in a message, cut so one line stays one line; credentials
    are masked first, so a cut never leaves half a token behind."""
    # masked in a window well past the cut: a credential that starts before the cut is
    # whole enough there for its pattern to match
    one = mask_credentials(text[: limit + 4096]).replace("\n", "\\n")
    return one if len(one) <= limit else one[: limit - 1] + "…"


def lookalike(text: str) -> str:
    """A note naming the first non-ASCII character of a name, or "": a Cyrillic 'а'
    reads exactly like a Latin 'a' in a message ("unknown 'еdge' (did you mean 'edge'?)")."""
    if text.isascii():
        return ""
    for i, ch in enumerate(text):
        if ord(ch) > 0x7F:
            return f" (character {i + 1} is U+{ord(ch):04X} {unicodedata.name(ch, 'without a name')}, not ASCII)"
    return ""


def dotted(path: Sequence[str | int]) -> str:
    """spec.env[0].value: a key path as a user reads it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """" (did you mean 'x'?)" for the closest choice, else ""."""
    if len(word) > 200:
        return ""  # no name is that long, and difflib is quadratic-ish in it (1 MB: a second)
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f" (did you mean '{close[0]}'?)" if close else ""
