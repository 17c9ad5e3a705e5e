"""HTTP for the stager: one opener with timeouts and a CA bundle, errors sorted into
transient (retry with backoff) and permanent, and a resumable, hashing download.

Authorization headers are "unredirected": urllib does not forward them when a registry
redirects a blob to a storage host.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

from stage_log import redact

CHUNK = 1 << 20
TIMEOUT = 60.0
USER_AGENT = "i4qew-stager/1"
Response = http.client.HTTPResponse
Opener = Callable[[dict[str, str]], Response]


class FetchError(Exception):
    """Why a version could not be staged; ``transient`` ones are retried with backoff."""

    def __init__(self, message: str, *, transient: bool, no_space: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.no_space = no_space


class Http:
    def __init__(self, ca_file: str | None = None, timeout: float = TIMEOUT) -> None:
        try:
            ctx = ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as e:
            raise FetchError(f"cannot load CA bundle {ca_file}: {e.__class__.__name__}", transient=False) from None
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
        self.timeout = timeout

    def open(self, url: str, headers: dict[str, str], *, secret: dict[str, str] | None = None,
             data: bytes | None = None) -> Response:
        """Open URL; ``secret`` headers are never logged nor sent on after a redirect."""
        req = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT, **headers})
        for k, v in (secret or {}).items():
            req.add_unredirected_header(k, v)
        try:
            resp: Response = self._opener.open(req, timeout=self.timeout)
            return resp
        except urllib.error.HTTPError as e:
            e.close()
            raise http_error(e.code, e.reason, url, e.headers.get("WWW-Authenticate")) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            raise unreachable(url, e) from None


class HttpStatusError(FetchError):
    def __init__(self, message: str, status: int, challenge: str | None, transient: bool) -> None:
        super().__init__(message, transient=transient)
        self.status = status
        self.challenge = challenge


def http_error(status: int, reason: object, url: str, challenge: str | None) -> HttpStatusError:
    transient = status >= 500 or status in (408, 425, 429)
    return HttpStatusError(f"HTTP {status} {reason} from {redact(url)}", status, challenge, transient)


def unreachable(url: str, e: BaseException) -> FetchError:
    reason = getattr(e, "reason", None) or e
    if isinstance(reason, ssl.SSLCertVerificationError):
        return FetchError(f"TLS certificate of {redact(url)} not trusted ({reason.verify_message}); "
                          "set caFile", transient=False)
    text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason.__class__.__name__
    if isinstance(reason, TimeoutError):
        text = "timed out"
    return FetchError(f"source unreachable ({text}) at {redact(url)}", transient=True)


def no_space(e: OSError, where: Path) -> FetchError | None:
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return FetchError(f"no space left on device writing {where.name} ({os.strerror(e.errno or 0)})",
                          transient=False, no_space=True)
    return None


def download(opener: Opener, url: str, part: Path, digest: str, size: int | None) -> None:
    """Fetch into ``part`` (resuming what an earlier attempt left there) and verify sha256.

    On success ``part`` holds exactly the bytes whose sha256 is ``digest``; a mismatch
    removes it (a wrong source is not resumed) and raises a permanent FetchError.
    """
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    h = hashlib.sha256()
    if have:
        with open(part, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
    if size is not None and have == size:
        return _check(h, part, url, digest)
    resp = opener({"Range": f"bytes={have}-"} if have else {})
    try:
        if have and not (resp.status == 206 and _range_start(resp) == have):
            have, h = 0, hashlib.sha256()  # the server sent it all again: start over
        try:
            with open(part, "ab" if have else "wb") as out:
                _copy(resp, out, h, have, size, url)
                out.flush()
                os.fsync(out.fileno())
        except OSError as e:
            raise no_space(e, part) or e from None
    finally:
        resp.close()
    if size is not None and part.stat().st_size != size:
        raise FetchError(f"{redact(url)} ended after {part.stat().st_size} of {size} bytes", transient=True)
    _check(h, part, url, digest)


def _copy(resp: Response, out: IO[bytes], h: hashlib._Hash, have: int, size: int | None, url: str) -> None:
    total = have
    length = resp.headers.get("Content-Length", "")
    expect = have + int(length) if length.isdigit() else None
    while True:
        try:
            chunk = resp.read(CHUNK)
        except (OSError, http.client.HTTPException) as e:
            raise _broke_off(url, total, e.__class__.__name__) from None
        if not chunk:
            if expect is not None and total < expect:  # read(n) returns short data at a cut, it does not raise
                raise _broke_off(url, total, "connection closed")
            return
        total += len(chunk)
        if size is not None and total > size:
            raise FetchError(f"{redact(url)} sends more than the declared {size} bytes", transient=False)
        h.update(chunk)
        out.write(chunk)


def _broke_off(url: str, total: int, why: str) -> FetchError:
    return FetchError(f"download of {redact(url)} broke off after {total} bytes ({why}); resuming on retry",
                      transient=True)


def _check(h: hashlib._Hash, part: Path, url: str, digest: str) -> None:
    got = "sha256:" + h.hexdigest()
    if got != digest:
        part.unlink()
        raise FetchError(f"digest mismatch: {redact(url)} gave {got}, expected {digest}", transient=False)


def _range_start(resp: Response) -> int | None:
    value = resp.headers.get("Content-Range", "")
    if not value.startswith("bytes ") or "-" not in value:
        return None
    start = value[6:].split("-", 1)[0]
    return int(start) if start.isdigit() else None


def read_small(resp: Response, limit: int, url: str) -> bytes:
    """Read a small body (manifest, token) whole, refusing more than ``limit`` bytes."""
    try:
        body = resp.read(limit + 1)
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"reading {redact(url)} failed ({e.__class__.__name__})", transient=True) from None
    finally:
        resp.close()
    if len(body) > limit:
        raise FetchError(f"{redact(url)} sent more than {limit} bytes", transient=False)
    return body
