"""`i4qew plan --format html / svg` and `--report FORMAT=FILE`: the placement picture as bytes.

What a browser does with the page is in tests/integration/test_plan_page_browser.py; here: the bytes
(deterministic, self-contained, escaped), the command's options and failures, and
the renderer's limits at scale (on hand-built pictures).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from i4qew.cli.main import cli
from i4qew.placement.picture.aggregate import (
    Cell,
    ClusterRow,
    Free,
    Picture,
    SiteRow,
    WorkloadRow,
    build_picture,
)
from i4qew.placement.picture.page import MATRIX_LEAD, MATRIX_OPEN, MAX_COLUMNS, render_html
from i4qew.placement.picture.svg import MAX_SITES, MAX_WORKLOADS, render_svg
from i4qew.placement.plan import build_plan
from tests.support.placements import validated, write_repo
from tests.support.plan_page import CLUSTERS, MODELS, POLICIES, head_workloads, two_revisions

SVG = "{http://www.w3.org/2000/svg}"


def plan(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["plan", "--env", "dev", "-C", str(root), *args])
    return result.exit_code, result.output


@pytest.mark.slow  # two interpreters run the whole command
def test_the_same_plan_gives_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    outputs = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for fmt in ("html", "svg"):
            out = tmp_path / f"{seed}.{fmt}"
            done = subprocess.run([sys.executable, "-m", "i4qew", "plan", "--env", "dev", "-C", str(root),
                                   "--base", "HEAD~1", "--format", fmt, "-o", str(out)],
                                  capture_output=True, text=True, env=env, check=False)
            assert done.returncode == 0, done.stderr
            outputs.append(out.read_bytes())
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    assert outputs[0].startswith(b"<!DOCTYPE html>") and outputs[1].startswith(b"<svg ")


def test_the_page_is_self_contained_and_its_policy_names_its_own_style_and_script(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    code, _ = plan(root, "--base", "HEAD~1", "--format", "html", "-o", str(tmp_path / "p.html"))
    assert code == 0
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert re.findall(r'\b(?:href|src)="(?!#)[^"]*"', page) == []  # links stay inside the page
    assert "<link" not in page and "<img" not in page and "url(" not in page and "@import" not in page
    assert page.count("<script>") == 1 and page.count("<style>") == 1
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp is not None
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert style and script

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert csp[1].startswith("default-src 'none';")
    assert f"style-src {sha(style[1])};" in csp[1] and f"script-src {sha(script[1])};" in csp[1]


def test_the_svg_is_well_formed_and_marks_changes_with_signs(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    code, _ = plan(root, "--base", "HEAD~1", "--format", "svg", "-o", str(tmp_path / "p.svg"))
    assert code == 0
    svg = ElementTree.parse(tmp_path / "p.svg").getroot()
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img" and svg.get("aria-labelledby") == "t d"
    assert svg.find(f"{SVG}title").text == "Placement of dev by site against HEAD~1"
    desc = svg.find(f"{SVG}desc").text or ""
    assert desc.startswith("5 workloads on 7 of 7 clusters at 4 sites; placements +5 \u22125")
    marks = [t.text for t in svg.iter(f"{SVG}text") if t.text in ("+", "\u2212", "±")]
    # fresh +bologna, gone −porto, move −bologna +porto; then the legend's three
    assert sorted(marks) == sorted(["+", "+", "\u2212", "\u2212", "+", "\u2212", "±"])
    assert not any(k.endswith("href") for el in svg.iter() for k in el.attrib)


def test_markdown_on_stdout_and_the_page_and_svg_from_the_same_run(tmp_path: Path) -> None:
    root = two_revisions(tmp_path / "repo")
    code, out = plan(root, "--base", "HEAD~1", "--format", "markdown", "--report", f"html={tmp_path / 'a.html'}",
                     "--report", f"svg={tmp_path / 'a.svg'}")
    assert code == 0 and out.startswith("<!-- i4qew:plan:dev -->")
    plan(root, "--base", "HEAD~1", "--format", "html", "-o", str(tmp_path / "b.html"))
    plan(root, "--base", "HEAD~1", "--format", "svg", "-o", str(tmp_path / "b.svg"))
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


@pytest.mark.parametrize("option", ["--report=html=", "--report=svg=", "--report=json=", "--output="])
def test_an_unwritable_file_is_one_line_and_exit_1(tmp_path: Path, option: str) -> None:
    root = two_revisions(tmp_path / "repo")
    target = tmp_path / "missing" / "p.out"
    result = CliRunner().invoke(cli, ["plan", "--env", "dev", "-C", str(root), f"{option}{target}"])
    assert result.exit_code == 1
    assert result.stderr == f"i4qew: error: cannot write {target}: No such file or directory\n"
    assert result.stdout == ""


@pytest.mark.parametrize("report", ["pdf=p.pdf", "html", "html=", "=p.html"])
def test_a_report_needs_a_known_format_and_a_file(tmp_path: Path, report: str) -> None:
    code, out = plan(two_revisions(tmp_path / "repo"), "--report", report)
    assert code == 2
    assert "give FORMAT=FILE with FORMAT one of html, json, markdown, svg, text" in out


def test_a_repository_that_does_not_validate_still_gets_a_page_with_its_problems(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", clusters=CLUSTERS, policies=POLICIES, models=MODELS,
                      workloads=[*head_workloads(), {"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "Workload",
                                                     "metadata": {"name": "typo", "namespace": "apps"},
                                                     "spec": {"image": "r.example/t:1", "replicaz": 1}}])
    code, _ = plan(root, "--format", "html", "-o", str(tmp_path / "p.html"), "--report", f"svg={tmp_path / 'p.svg'}")
    assert code == 1
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert re.search(r"No plan: the repository does not validate \(\d+ errors?\)", page)
    assert "replicaz" in page and 'id="matrix"' not in page
    svg = ElementTree.parse(tmp_path / "p.svg").getroot()
    assert "does not validate" in (svg.find(f"{SVG}desc").text or "")


def test_without_an_inventory_the_page_lists_the_effective_placements(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", policies=POLICIES, workloads=head_workloads(), models=MODELS)
    code, _ = plan(root, "--format", "html", "-o", str(tmp_path / "p.html"), "--report", f"svg={tmp_path / 'p.svg'}")
    assert code == 0
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "No cluster inventory" in page and "site=bologna" in page and 'id="sites"' not in page
    assert "No cluster inventory" in (ElementTree.parse(tmp_path / "p.svg").getroot().find(f"{SVG}desc").text or "")


def test_waves_show_only_when_the_plan_data_carries_them(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", clusters=CLUSTERS, policies=POLICIES, workloads=head_workloads(),
                      models=MODELS)
    result, inventory = validated(root)
    assert result.repo is not None
    p = build_plan(result.repo, "dev", inventory)
    without = render_html(build_picture(result.repo, p, []))
    assert b">wave</th>" not in without and b">waves</th>" not in without
    with_waves = render_html(build_picture(result.repo, p, [], waves={"b1": "canary", "p1": "wave 2"}))
    assert b'<th scope="col">wave</th>' in with_waves and b'<th scope="col">waves</th>' in with_waves
    assert b"<td>canary</td>" in with_waves and b"<td>wave 2</td>" in with_waves


def _picture(sites: int, workloads: int, base: str | None = None) -> Picture:
    names = [f"site-{i:03d}" for i in range(sites)]
    site_rows = tuple(SiteRow(n, 2, 1, 1, 1 + i, 0, 0, (), (Free(500, 1000),), (ClusterRow(f"{n}-c", 1, 0, 0, (None,)),))
                      for i, n in enumerate(names))
    rows = tuple(WorkloadRow(f"w{i:04d}", "apps", f"w{i:04d}-dev", "p", "unchanged" if base else "planned",
                             False, False, 1 + i % 7, 0, 0, None, {names[i % sites]: Cell(1 + i % 7)}, (), ())
                 for i in range(workloads))
    return Picture("dev", "site", "headline", base, sites * 2, ("cpu",), 85, site_rows, rows, (), 0)


def test_many_sites_share_one_matrix_column_beyond_the_limit() -> None:
    page = render_html(_picture(MAX_COLUMNS + 20, 10)).decode()
    heads = re.findall(r'<th scope="col" class="site"><a href="([^"]+)" title="([^"]+)">', page)
    assert len(heads) == MAX_COLUMNS
    assert heads[-1] == ("#clusters", "21 other sites")
    assert heads[0][1] == "site-021"  # the 79 busiest kept (placed = 1 + index), in site order
    assert page.count('<details id="site-') == MAX_COLUMNS + 20  # every site still has its drill-down


def test_thousands_of_workloads_lay_out_the_busiest_first_the_rest_on_demand() -> None:
    small = render_html(_picture(3, MATRIX_OPEN)).decode()
    assert 'id="show-rest"' not in small and 'class="quiet"' not in small
    big = render_html(_picture(3, 2000)).decode()
    assert f"show the other {2000 - MATRIX_LEAD:,} workloads" in big
    matrix = big[big.index('<section id="matrix">'):big.index("</section>", big.index('<section id="matrix">'))]
    lead, quiet = matrix.split('<tbody class="quiet">')
    assert lead.count("<tr><th scope=\"row\">") == MATRIX_LEAD and quiet.count("<tr><th scope=\"row\">") == 2000 - MATRIX_LEAD
    based = render_html(_picture(3, 10, base="main")).decode()
    assert 'id="show-rest"' not in based  # nothing changed: all shown
    # a change to every workload: the most changed lead
    pic = _picture(3, 2000, base="main")
    pic = replace(pic, workloads=tuple(replace(r, status="changed", gained=i % 500) for i, r in enumerate(pic.workloads)))
    every = render_html(pic).decode()
    assert f"show the other {2000 - MATRIX_LEAD:,} workloads (the {MATRIX_LEAD} most changed lead)" in every
    lead = every.split('<section id="matrix">')[1].split('<tbody class="quiet">')[0]
    assert "w0499" in lead and "w1999" in lead and "w0000" not in lead


def test_the_svg_stays_small_at_scale() -> None:
    svg = render_svg(_picture(200, 2000))
    root = ElementTree.fromstring(svg)
    rows = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert len(rows) == MAX_SITES
    assert f"showing {MAX_SITES} of 200 sites and {MAX_WORKLOADS} of 2000 workloads" in (root.find(f"{SVG}desc").text or "")
    assert len(svg) < 120_000


def test_text_from_the_repository_is_escaped() -> None:
    pic = replace(_picture(2, 2), problems=("a.yaml:1:1: error [x] value '<script>alert(1)</script>' & more",),
                  errors=1, base="<b>")
    page = render_html(pic).decode()
    assert page.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#x27; &amp; more" in page and "&lt;b&gt;" in page
    ElementTree.fromstring(render_svg(pic))  # still well-formed XML


def test_cluster_names_stop_at_the_budget_and_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import i4qew.placement.picture.aggregate as picture

    monkeypatch.setattr(picture, "NAMES_TOTAL", 3)
    root = two_revisions(tmp_path / "repo")
    code, _ = plan(root, "--base", "HEAD~1", "--format", "html", "-o", str(tmp_path / "p.html"))
    assert code == 0
    changes = (tmp_path / "p.html").read_text(encoding="utf-8").split('<section id="changes">')[1].split("</section>")[0]
    fresh, gone, move = changes.split('<details id="w-')[1:]
    assert "<li><b>bologna</b>: b1, b2, b3</li>" in fresh and "not listed" not in fresh
    assert "<li>" not in gone and "2 clusters not listed here" in gone
    assert "<li>" not in move and "5 clusters not listed here" in move
