"""The placement page in a real browser: Debian's chromium, headless, via Selenium.

The page is `i4qew plan --base HEAD~1 --format html` of the repository in
tests/support/plan_page.py, opened from file://. Structure, change markers and the
drill-downs are read through the DOM; the browser's own network events show that
the page requests nothing. Screenshots go to $I4QEW_ARTIFACTS (default
.ci/artifacts/), which CI keeps.
"""

from __future__ import annotations

import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from bench.headless import chromium, missing, open_page
from click.testing import CliRunner

from i4qew.cli.main import cli
from tests.support.plan_page import two_revisions
from tests.support.tools import ROOT

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

MINUS = "\u2212"
TABLE = """return Array.from(document.querySelectorAll(arguments[0] + ' tr')).map(function (r) {
  return {shown: r.getClientRects().length > 0,
          cells: Array.from(r.cells).map(function (c) { return [c.textContent.trim(), c.className]; })};
});"""


def artifacts() -> Path:
    path = Path(os.environ.get("I4QEW_ARTIFACTS", ROOT / ".ci" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(driver: Any, name: str) -> Path:
    """The whole page, as tall as it is."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height + 40, 600), 6000))
    path = artifacts() / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a picture, not an empty frame
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = two_revisions(tmp_path_factory.mktemp("page") / "repo")
    out = root.parent / "plan.html"
    result = CliRunner().invoke(cli, ["plan", "--env", "dev", "-C", str(root), "--base", "HEAD~1",
                                      "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as driver:
        yield driver


@pytest.fixture
def opened(browser: Any, page: Path) -> Any:
    assert open_page(browser, page) == [page.resolve().as_uri()]
    return browser


def rows(driver: Any, selector: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = driver.execute_script(TABLE, selector)
    return got


def matrix(driver: Any) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Column headers, and per workload: shown, and {column: (text, class)}."""
    table = rows(driver, "#matrix-table")
    head = [text for text, _ in table[0]["cells"]]
    by_name = {}
    for r in table[1:]:
        name = r["cells"][0][0].split()[0]
        by_name[name] = {"shown": r["shown"], **dict(zip(head, r["cells"], strict=True))}
    return head, by_name


def test_the_page_requests_nothing_and_runs_under_its_policy(browser: Any, page: Path) -> None:
    assert open_page(browser, page) == [page.resolve().as_uri()]
    # the inline script ran (the CSP allows it by hash): it unhid the filter
    assert browser.execute_script("return !document.querySelector('.tools').hidden")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


class _Probe(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Probe.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def probe() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Probe.hits = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_request_check_sees_a_request_and_the_policy_blocks_it(browser: Any, page: Path, probe: str,
                                                                 tmp_path: Path) -> None:
    html = page.read_text(encoding="utf-8")
    image = f'<img src="{probe}/probe.png" alt="">'
    guarded = tmp_path / "guarded.html"
    guarded.write_text(html.replace("<main>", "<main>" + image), encoding="utf-8")
    assert open_page(browser, guarded) == [guarded.resolve().as_uri()]
    assert _Probe.hits == []
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                           html.replace("<main>", "<main>" + image)), encoding="utf-8")
    assert f"{probe}/probe.png" in open_page(browser, bare)
    assert _Probe.hits == ["/probe.png"]


def test_the_matrix_counts_and_marks_every_change(opened: Any) -> None:
    head, by = matrix(opened)
    assert head[:3] == ["workload", "change", "clusters"]
    assert head[3:] == ["bologna", "porto", "graz", "(none)"]  # the sites the change touches lead
    assert by["move"]["bologna"] == [f"{MINUS}3", "del"]
    assert by["move"]["porto"] == ["2 +2", "add"]
    assert by["move"]["change"][0] == "~ changed (placement)"
    assert by["fresh"]["bologna"] == ["3 +3", "add"] and by["fresh"]["change"][0] == "+ added"
    assert by["gone"]["porto"] == [f"{MINUS}2", "del"] and by["gone"]["clusters"][0] == f"0 {MINUS}2"
    assert by["bump"]["porto"][0] == "2" and by["bump"]["change"][0] == "~ changed (spec)"
    assert [by["vis"][s][0] for s in head[3:]] == ["3", "2", "1", "1"]
    assert by["vis"]["graz"][1].startswith("h")  # shaded by count, not marked as a change
    # colour never carries a change alone: every coloured cell says + or −
    for row in by.values():
        for text, cls in (v for k, v in row.items() if k != "shown"):
            if cls in ("add", "del", "mix"):
                assert re.search(f"[+{MINUS}]", text), (text, cls)


def test_unchanged_workloads_wait_behind_a_switch(opened: Any) -> None:
    _, by = matrix(opened)
    assert not by["keep"]["shown"]
    assert all(by[w]["shown"] for w in ("move", "fresh", "gone", "bump", "vis"))
    opened.find_element("css selector", "label[for=show-rest]").click()
    _, by = matrix(opened)
    assert by["keep"]["shown"] and by["keep"]["change"][0] == "= unchanged"


def test_the_filter_finds_workloads_hidden_or_not(opened: Any) -> None:
    box = opened.find_element("id", "filter")
    box.send_keys("kee")
    _, by = matrix(opened)
    assert [w for w, r in by.items() if r["shown"]] == ["keep"]
    assert opened.find_element("id", "filter-count").text == "1 of 6 workloads match"
    box.clear()
    box.send_keys("e")  # clear() sends no input event; a new query does
    _, by = matrix(opened)
    assert sorted(w for w, r in by.items() if r["shown"]) == ["fresh", "gone", "keep", "move"]


def test_the_sites_table(opened: Any) -> None:
    table = rows(opened, "#sites table")
    head = [t for t, _ in table[0]["cells"]]
    assert head == ["site", "clusters", "in use", "workloads", "placements", "change", "model versions",
                    "least cpu free", "least memory free"]
    sites = {r["cells"][0][0]: dict(zip(head, r["cells"], strict=True)) for r in table[1:]}
    assert list(sites) == ["bologna", "graz", "porto", "(none)"]
    assert [sites["bologna"][k][0] for k in ("clusters", "in use", "workloads", "placements")] == ["3", "3", "3", "9"]
    assert sites["bologna"]["change"] == [f"+3 {MINUS}3", "mix"]
    assert sites["porto"]["change"] == [f"+2 {MINUS}2", "mix"]
    assert sites["graz"]["change"] == ["", ""]
    assert sites["bologna"]["model versions"][0] == "vision 2"
    # b3: 1.5 + 0.2 + 0.1 cores of 2 requested: 10 % left, below the 15 % warning line
    assert sites["bologna"]["least cpu free"] == ["\u26a0 10 % 0.2/2", "n low"]
    assert sites["graz"]["least cpu free"][0] == "n/a"  # g1 reports no allocatable


def test_a_site_opens_on_its_clusters(opened: Any) -> None:
    details = opened.find_element("id", "site-0")
    assert details.get_attribute("open") is None
    opened.find_element("link text", "bologna").click()
    assert details.get_attribute("open") == "true"
    clusters = rows(opened, "#site-0 table")
    assert [r["cells"][0][0] for r in clusters[1:]] == ["b1", "b2", "b3"]
    assert all(r["shown"] for r in clusters)
    b3 = dict(zip([t for t, _ in clusters[0]["cells"]], clusters[3]["cells"], strict=True))
    assert b3["workloads"][0] == "3"
    assert b3["change"] == [f"+1 {MINUS}1", "mix"]  # fresh arrives, move leaves
    assert b3["cpu free"][0].startswith("\u26a0 10 %")
    assert b3["memory free"][1] == "n"
    screenshot(opened, "plan-page-site.png")


def test_a_changed_workload_opens_on_its_clusters(opened: Any) -> None:
    opened.find_element("css selector", "#matrix-table a[href='#w-2']").click()
    details = opened.find_element("id", "w-2")
    assert details.get_attribute("open") == "true"
    text = details.text
    assert "gained (2):\nporto: p1, p2" in text
    assert "lost (3):\nbologna: b1, b2, b3" in text


def test_tables_and_pictures_speak_without_colour(opened: Any) -> None:
    checks = opened.execute_script("""
      var t = Array.from(document.querySelectorAll('table'));
      return {tables: t.length,
              captions: t.filter(function (x) { return x.caption && x.caption.textContent.trim(); }).length,
              colHeads: Array.from(document.querySelectorAll('thead th')).every(function (h) {
                return h.getAttribute('scope') === 'col'; }),
              rowHeads: Array.from(document.querySelectorAll('tbody th')).every(function (h) {
                return h.getAttribute('scope') === 'row'; }),
              meters: Array.from(document.querySelectorAll('meter')).every(function (m) {
                return m.getAttribute('aria-hidden') === 'true' && /%/.test(m.parentElement.textContent); }),
              lang: document.documentElement.lang, title: document.title};""")
    assert checks["tables"] == 6 and checks["captions"] == checks["tables"]
    assert checks["colHeads"] and checks["rowHeads"] and checks["meters"]
    assert checks["lang"] == "en" and checks["title"] == "i4qew plan: dev against HEAD~1"


def test_the_whole_page_screenshot(opened: Any) -> None:
    path = screenshot(opened, "plan-page.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
