"""Log lines of the stager: one line per event on stderr, never a credential.

Every line starts with ``i4qew-stager: LEVEL:`` and names the model version and the node
it is about, so ``kubectl logs`` on a staging pod answers "what is missing where, and why".
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

_node = "unknown-node"


def set_node(node: str) -> None:
    global _node
    _node = node


def node() -> str:
    return _node


def log(level: str, message: str, what: str = "") -> None:
    subject = f"{what} on node {_node}: " if what else f"node {_node}: "
    sys.stderr.write(f"i4qew-stager: {level}: {subject}{message}\n")
    sys.stderr.flush()


def redact(url: str) -> str:
    """A URL fit for a log line: no user info, no query (signed URLs carry tokens), no fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    query = "<redacted>" if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))
