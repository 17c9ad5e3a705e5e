"""Kubernetes name and label validators, mirroring k8s.io/apimachinery/pkg/util/validation.

Every validator returns ``None`` when the string is valid, otherwise a short human-readable
message (several problems are joined with "; ", as Kubernetes does). Messages never repeat the
offending string: callers know which field they validated and add that context themselves.

All patterns are applied with ``re.fullmatch`` on purpose: Go's ``^...$`` never lets a trailing
newline through, whereas Python's ``$`` would.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

__all__ = [
    "DNS1123_LABEL_MAX",
    "DNS1123_SUBDOMAIN_MAX",
    "LABEL_VALUE_MAX",
    "POLICY_QUALIFIED_MAX",
    "PORT_NAME_MAX",
    "QUALIFIED_NAME_MAX",
    "dns1123_label",
    "dns1123_subdomain",
    "env_var_name",
    "label_key",
    "label_value",
    "port_name",
    "short_name",
]

DNS1123_LABEL_MAX: Final = 63
DNS1123_SUBDOMAIN_MAX: Final = 253
QUALIFIED_NAME_MAX: Final = 63
LABEL_VALUE_MAX: Final = 63
PORT_NAME_MAX: Final = 15
# ACM's policy webhook: len(namespace) + len(name) of a Policy at most 62, since its copy
# in each cluster namespace is named "<namespace>.<name>" (governance-policy-propagator
# api/v1/policy_webhook.go).
POLICY_QUALIFIED_MAX: Final = 62

_LABEL_FMT: Final = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE: Final = re.compile(_LABEL_FMT)
# Kubernetes only bounds the subdomain as a whole; its dot-separated parts are not limited to 63.
_DNS1123_SUBDOMAIN_RE: Final = re.compile(rf"{_LABEL_FMT}(?:\.{_LABEL_FMT})*")
_QUALIFIED_NAME_RE: Final = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")
_ENV_VAR_NAME_RE: Final = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_PORT_NAME_CHARSET_RE: Final = re.compile(r"[-a-z0-9]+")

_LABEL_CHARSET_MSG: Final = (
    "must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_SUBDOMAIN_CHARSET_MSG: Final = (
    "must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_QUALIFIED_CHARSET_MSG: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)

_HASH_LEN: Final = 8


def _max_len(limit: int, value: str) -> str | None:
    if len(value) > limit:
        return f"must be at most {limit} characters (has {len(value)})"
    return None


def _join(errors: list[str]) -> str | None:
    return "; ".join(errors) if errors else None


def dns1123_label(s: str) -> str | None:
    """Validate an RFC 1123 label (namespace names, most resource names, port-less hosts)."""
    errors: list[str] = []
    if not s:
        return "must not be empty"
    if (err := _max_len(DNS1123_LABEL_MAX, s)) is not None:
        errors.append(err)
    if _DNS1123_LABEL_RE.fullmatch(s) is None:
        errors.append(_LABEL_CHARSET_MSG)
    return _join(errors)


def dns1123_subdomain(s: str) -> str | None:
    """Validate an RFC 1123 subdomain (ConfigMap/Secret/Deployment names, label-key prefixes)."""
    errors: list[str] = []
    if not s:
        return "must not be empty"
    if (err := _max_len(DNS1123_SUBDOMAIN_MAX, s)) is not None:
        errors.append(err)
    if _DNS1123_SUBDOMAIN_RE.fullmatch(s) is None:
        errors.append(_SUBDOMAIN_CHARSET_MSG)
    return _join(errors)


def _qualified_name_part(name: str) -> list[str]:
    if not name:
        return ["name part must not be empty"]
    errors: list[str] = []
    if (err := _max_len(QUALIFIED_NAME_MAX, name)) is not None:
        errors.append("name part " + err)
    if _QUALIFIED_NAME_RE.fullmatch(name) is None:
        errors.append("name part " + _QUALIFIED_CHARSET_MSG)
    return errors


def label_key(s: str) -> str | None:
    """Validate a label/annotation key: ``[prefix/]name`` (Kubernetes IsQualifiedName)."""
    parts = s.split("/")
    if len(parts) > 2:
        return "must be a name with an optional DNS subdomain prefix and a single '/'"
    errors: list[str] = []
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must not be empty")
        elif (err := dns1123_subdomain(prefix)) is not None:
            errors.append("prefix part " + err)
    else:
        name = parts[0]
    errors.extend(_qualified_name_part(name))
    return _join(errors)


def label_value(s: str) -> str | None:
    """Validate a label value; the empty string is a valid value."""
    if not s:
        return None
    errors: list[str] = []
    if (err := _max_len(LABEL_VALUE_MAX, s)) is not None:
        errors.append(err)
    if _QUALIFIED_NAME_RE.fullmatch(s) is None:
        errors.append(_QUALIFIED_CHARSET_MSG)
    return _join(errors)


def env_var_name(s: str) -> str | None:
    """Validate a container environment variable name (strict, pre-1.32 IsEnvVarName rules)."""
    errors: list[str] = []
    if _ENV_VAR_NAME_RE.fullmatch(s) is None:
        errors.append(
            "must consist of alphabetic characters, digits, '_', '-' or '.', "
            "and must not start with a digit"
        )
    # Kubernetes also rejects names that look like directory traversal (they double as file
    # names when env vars are projected from ConfigMaps).
    if s == ".":
        errors.append("must not be '.'")
    elif s == "..":
        errors.append("must not be '..'")
    elif s.startswith(".."):
        errors.append("must not start with '..'")
    return _join(errors)


def port_name(s: str) -> str | None:
    """Validate a container/service port name (IANA_SVC_NAME)."""
    errors: list[str] = []
    if (err := _max_len(PORT_NAME_MAX, s)) is not None:
        errors.append(err)
    if _PORT_NAME_CHARSET_RE.fullmatch(s) is None:
        errors.append("must contain only lower case alphanumeric characters and '-'")
    if not any("a" <= ch <= "z" for ch in s):
        errors.append("must contain at least one letter (a-z)")
    if "--" in s:
        errors.append("must not contain consecutive hyphens")
    if s.startswith("-") or s.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return _join(errors)


def short_name(base: str, max_len: int, *parts: str) -> str:
    """Deterministically shorten a generated resource name to at most ``max_len`` characters.

    The full name is ``base`` joined with the non-empty ``parts`` by '-'. If it fits it is
    returned unchanged; otherwise it is truncated and suffixed with '-' plus the first 8 hex
    digits of its SHA-256, so two long names sharing a prefix still get distinct results.
    Separators left dangling by the cut are stripped so that, for a valid DNS-1123 input, the
    result stays a valid DNS-1123 label/subdomain.
    """
    full = "-".join([base, *(p for p in parts if p)])
    if len(full) <= max_len:
        return full
    if max_len < _HASH_LEN + 1:
        raise ValueError(f"max_len must be at least {_HASH_LEN + 1} to fit the hash suffix")
    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:_HASH_LEN]
    head = full[: max_len - _HASH_LEN - 1].rstrip("-.")
    return f"{head}-{digest}" if head else digest
