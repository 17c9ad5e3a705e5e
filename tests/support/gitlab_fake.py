"""A tiny GitLab v4 API on 127.0.0.1: just the endpoints i4qew.gitlab uses.

Projects, merge requests and MR notes live in memory. Lists are paginated like
GitLab (`page`/`per_page`, X-* headers and a Link header). `fail_with` makes every
request answer that status; a wrong PRIVATE-TOKEN answers 401 as GitLab does.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

PROJECT = re.compile(r"/api/v4/projects/([^/]+)")


@dataclass
class FakeGitLab:
    token: str
    project_path: str = "edge/workloads"
    project_id: int = 42
    fail_with: int | None = None
    url: str = ""
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # MR iid -> notes
    mrs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_note(self, iid: int, body: str, *, system: bool = False) -> dict[str, Any]:
        note = {"id": self.new_id(), "body": body, "system": system, "noteable_iid": iid}
        self.notes.setdefault(iid, []).append(note)
        return note

    def add_mr(self, source: str, target: str, state: str = "opened") -> dict[str, Any]:
        iid = len(self.mrs) + 1
        mr = {
            "id": self.new_id(),
            "iid": iid,
            "project_id": self.project_id,
            "source_branch": source,
            "target_branch": target,
            "title": f"MR {iid}",
            "description": "",
            "state": state,
            "web_url": f"{self.url}/{self.project_path}/-/merge_requests/{iid}",
        }
        self.mrs.append(mr)
        return mr

    def marker_notes(self, iid: int, marker: str) -> list[dict[str, Any]]:
        return [n for n in self.notes.get(iid, []) if marker in n["body"]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> None:
        page = int(query.get("page", ["1"])[0])
        per_page = int(query.get("per_page", ["20"])[0])
        pages = max(1, -(-len(items) // per_page))
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(items)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
        }
        if page < pages:
            rest = {k: v[0] for k, v in query.items() if k not in ("page", "per_page")}
            extra = "".join(f"&{k}={v}" for k, v in rest.items())
            link = f"{self.server.fake.url}{urlparse(self.path).path}?page={page + 1}&per_page={per_page}{extra}"
            headers["Link"] = f'<{link}>; rel="next"'
        self._send(200, items[(page - 1) * per_page : page * per_page], headers)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        parsed: dict[str, Any] = json.loads(raw or b"{}")
        return parsed

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        parsed = urlparse(self.path)
        query = parse_qs(parsed.query)
        with fake.lock:
            fake.requests.append((method, parsed.path))
            if fake.fail_with is not None:
                # the worst server: it quotes the credential back in its error
                received = self.headers.get("PRIVATE-TOKEN")
                return self._send(fake.fail_with, {"message": f"forced, token={received}"})
            if self.headers.get("PRIVATE-TOKEN") != fake.token:
                return self._send(401, {"message": "401 Unauthorized"})
            match = PROJECT.match(parsed.path)
            if not match or unquote(match[1]) not in (str(fake.project_id), fake.project_path):
                return self._send(404, {"message": "404 Project Not Found"})
            rest = parsed.path[match.end() :]
            self._route(method, rest, query)

    def _route(self, method: str, rest: str, query: dict[str, list[str]]) -> None:
        fake = self.server.fake
        if rest == "" and method == "GET":
            return self._send(
                200, {"id": fake.project_id, "path_with_namespace": fake.project_path}
            )
        if m := re.fullmatch(r"/merge_requests/(\d+)/notes(?:/(\d+))?", rest):
            iid, note_id = int(m[1]), m[2]
            if not any(mr["iid"] == iid for mr in fake.mrs):
                return self._send(404, {"message": "404 Not found"})
            notes = fake.notes.setdefault(iid, [])
            if method == "GET" and note_id is None:
                return self._page(notes, query)
            if method == "POST" and note_id is None:
                return self._send(201, fake.add_note(iid, self._body()["body"]))
            if method == "PUT" and note_id is not None:
                for note in notes:
                    if note["id"] == int(note_id):
                        note["body"] = self._body()["body"]
                        return self._send(200, note)
            return self._send(404, {"message": "404 Note Not Found"})
        if rest == "/merge_requests" and method == "GET":
            wanted = {
                k: v[0]
                for k, v in query.items()
                if k in ("state", "source_branch", "target_branch")
            }
            found = [mr for mr in fake.mrs if all(mr[k] == v for k, v in wanted.items())]
            return self._page(found, query)
        if rest == "/merge_requests" and method == "POST":
            body = self._body()
            mr = fake.add_mr(body["source_branch"], body["target_branch"])
            mr.update(title=body["title"], description=body.get("description", ""))
            return self._send(201, mr)
        if m := re.fullmatch(r"/merge_requests/(\d+)", rest):
            for mr in fake.mrs:
                if mr["iid"] == int(m[1]):
                    if method == "PUT":
                        mr.update(
                            {k: v for k, v in self._body().items() if k in ("title", "description")}
                        )
                    return self._send(200, mr)
        return self._send(404, {"message": "404 Not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGitLab


@contextmanager
def serve(fake: FakeGitLab) -> Iterator[FakeGitLab]:
    """Run `fake` on a free port of 127.0.0.1 for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
