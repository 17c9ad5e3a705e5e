"""`i4qew plan --format html`: the placement picture as one self-contained page.

Sites × workloads (clusters per cell, coloured and marked by change), a table of
sites (model versions, the tightest headroom), drill-downs per site (its
clusters with their headroom) and per changed workload (the clusters gained and
lost). Inline style and script only, allowed by hash in a Content-Security-Policy
that forbids every request: the page opens from a CI artifact or on an
air-gapped laptop. Deterministic: the same picture gives the same bytes.
"""

from __future__ import annotations

from i4qew.placement.picture.aggregate import Cell, Picture, WorkloadRow, sites_word
from i4qew.placement.picture.page_assets import CSP, SCRIPT, STYLE
from i4qew.placement.picture.page_parts import (
    MINUS,
    cell,
    change_cell,
    count,
    delta,
    e,
    headroom,
    models_summary,
    num,
    resource_head,
    site_details,
    status,
    workload_details,
)

MAX_COLUMNS = 80  # site columns of the matrix; beyond, the least used sites share one
MATRIX_OPEN = 300  # matrix rows laid out at once, at most
MATRIX_LEAD = 100


def _columns(pic: Picture) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """Matrix columns as (label, link) and site -> column. The sites a change touches
    come first (then site order); beyond MAX_COLUMNS the least used sites share the
    last column."""
    sites = sorted(enumerate(pic.sites), key=lambda s: (not (s[1].gained or s[1].lost), s[0]))
    if len(sites) > MAX_COLUMNS:
        busy = sorted(sites, key=lambda s: (-(s[1].placed + s[1].gained + s[1].lost), s[1].name))
        chosen = {i for i, _ in busy[: MAX_COLUMNS - 1]}
        keep = [s for s in sites if s[0] in chosen]
        cols = [(s.name, f"#site-{i}") for i, s in keep] + [(f"{len(sites) - len(keep)} other sites", "#clusters")]
        index = {s.name: k for k, (_, s) in enumerate(keep)}
        return cols, {s.name: index.get(s.name, len(keep)) for _, s in sites}
    return [(s.name, f"#site-{i}") for i, s in sites], {s.name: k for k, (_, s) in enumerate(sites)}


def _row_cells(row: WorkloadRow, width: int, column: dict[str, int]) -> list[Cell | None]:
    cells: list[Cell | None] = [None] * width
    for site, c in row.cells.items():
        k = column.get(site)
        if k is None:
            continue
        was = cells[k]
        cells[k] = c if was is None else Cell(was.now + c.now, was.gained + c.gained, was.lost + c.lost)
    return cells


def _split(pic: Picture) -> tuple[list[tuple[int, WorkloadRow]], list[tuple[int, WorkloadRow]], str]:
    """The matrix rows shown at first and those behind a "show" switch (its label; ''
    when all show). Against a base the changed rows lead. Laying out thousands of rows
    takes a browser seconds, so above MATRIX_OPEN rows only MATRIX_LEAD lead: the most
    changed, else those on most clusters; the rest are a click away."""
    rows = list(enumerate(pic.workloads))
    changed = [x for x in rows if x[1].changed] if pic.base is not None else []
    if changed and len(changed) <= MATRIX_OPEN:
        quiet = [x for x in rows if not x[1].changed]
        return changed, quiet, f"show the {num(len(quiet))} unchanged workloads too" if quiet else ""
    if len(rows) <= MATRIX_OPEN:
        return rows, [], ""
    if changed:
        lead = sorted(rows, key=lambda x: (-(x[1].gained + x[1].lost), x[0]))[:MATRIX_LEAD]
    else:
        lead = sorted(rows, key=lambda x: (-x[1].clusters, x[0]))[:MATRIX_LEAD]
    chosen = {i for i, _ in lead}
    why = "most changed" if changed else "on most clusters"
    return lead, [x for x in rows if x[0] not in chosen], (
        f"show the other {num(len(rows) - len(lead))} workloads (the {num(len(lead))} {why} lead)")


_EMPTY = cell(None)  # most of a big fleet's matrix: a workload is at a few of the sites shown


def _matrix(pic: Picture, drill: dict[int, int]) -> str:
    based = pic.base is not None
    cols, column = _columns(pic)
    heads = "".join(f'<th scope="col" class="site"><a href="{link}" title="{e(label)}">{e(label)}</a></th>'
                    for label, link in cols)
    explain = (f'<p class="muted">Per workload and {e(pic.group_by)}: the clusters it is placed on now'
               + (f'; <span class="g">+N</span> gained and <span class="l">{MINUS}N</span> lost '
                  f"against <code>{e(pic.base or '')}</code>" if based else "") + ".</p>")
    caption = f"Clusters per workload and {e(pic.group_by)}"
    lead, quiet, toggle = _split(pic)
    out = ['<section id="matrix"><h2>Sites × workloads</h2>', explain,
           '<div class="tools" hidden><label>Filter workloads <input type="search" id="filter" '
           'autocomplete="off"></label><span id="filter-count" role="status"></span></div>']
    if toggle:
        out.append(f'<input type="checkbox" id="show-rest"> <label for="show-rest">{toggle}</label>')
    out.append(f'<div class="scroll"><table class="matrix" id="matrix-table"><caption>{caption}</caption>'
                f'<thead><tr><th scope="col">workload</th><th scope="col">{"change" if based else "policy"}</th>'
                f'<th scope="col" class="n">clusters</th>{heads}</tr></thead>')
    for rows, cls in ((lead, ""), (quiet, ' class="quiet"' if toggle else "")):
        if not rows:
            continue
        out.append(f"<tbody{cls}>")
        for i, r in rows:
            name = f'<a href="#w-{drill[i]}">{e(r.name)}</a>' if i in drill else e(r.name)
            second = status(r) if based else e(r.policy)
            total = num(r.clusters) + (" " + delta(r.gained, r.lost) if r.gained or r.lost else "")
            out.append(f'<tr><th scope="row">{name} <span class="muted">{e(r.namespace)}</span></th>'
                       f'<td class="st">{second}</td><td class="n">{total}</td>'
                       + "".join(_EMPTY if c is None else cell(c) for c in _row_cells(r, len(cols), column))
                       + "</tr>")
        out.append("</tbody>")
    out.append("</table></div></section>")
    return "".join(out)


def _sites(pic: Picture) -> str:
    based = pic.base is not None
    head = [f'<th scope="col">{e(pic.group_by)}</th>', '<th scope="col" class="n">clusters</th>',
            '<th scope="col" class="n">in use</th>', '<th scope="col" class="n">workloads</th>',
            '<th scope="col" class="n">placements</th>']
    if based:
        head.append('<th scope="col">change</th>')
    head.append('<th scope="col">model versions</th>')
    head += [f'<th scope="col" class="n">least {e(resource_head(r))} free</th>' for r in pic.resources]
    if pic.waves:
        head.append('<th scope="col">waves</th>')
    out = ['<section id="sites"><h2>Sites</h2>'
           f'<p class="muted">The clusters of <code>{e(pic.env)}</code> grouped by the label <code>{e(pic.group_by)}</code>: '
           "how many, how many run a workload, the workloads and (workload, cluster) placements there, the model "
           "versions they mount, the tightest cluster's headroom per resource. Open a site for its clusters.</p>"
           f'<div class="scroll"><table><caption>{e(sites_word(pic.group_by).capitalize())} of {e(pic.env)}</caption>'
           f'<thead><tr>{"".join(head)}</tr></thead><tbody>']
    for i, s in enumerate(pic.sites):
        row = [f'<tr><th scope="row">'
               f'<a href="#site-{i}">{e(s.name)}</a></th><td class="n">{num(s.clusters)}</td>'
               f'<td class="n">{num(s.used)}</td><td class="n">{num(s.workloads)}</td><td class="n">{num(s.placed)}</td>']
        if based:
            row.append(change_cell(s.gained, s.lost))
        row.append(f'<td class="nw">{models_summary(s.models)}</td>')
        row += [headroom(r, f, pic.warn_percent) for r, f in zip(pic.resources, s.tightest, strict=True)]
        if pic.waves:
            row.append(f"<td>{e(', '.join(s.waves))}</td>")
        out.append("".join(row) + "</tr>")
    out.append("</tbody></table></div></section>")
    return "".join(out)


def _here(pic: Picture) -> dict[str, list[tuple[str, int]]]:
    """site -> (workload, clusters there now), most clusters first."""
    by: dict[str, list[tuple[str, int]]] = {}
    for r in pic.workloads:
        for site, c in r.cells.items():
            if c.now:
                by.setdefault(site, []).append((r.name, c.now))
    for items in by.values():
        items.sort(key=lambda x: (-x[1], x[0]))
    return by


def _clusters(pic: Picture) -> str:
    here = _here(pic)
    out = ['<section id="clusters"><h2>Clusters by site</h2>']
    out += [site_details(pic, i, s, here.get(s.name, [])) for i, s in enumerate(pic.sites)]
    out.append("</section>")
    return "".join(out)


def _changes(pic: Picture, drill: dict[int, int]) -> str:
    if not drill:
        return ('<section id="changes"><h2>Clusters gained and lost</h2>'
                "<p>No workload gains or loses a cluster.</p></section>")
    out = ['<section id="changes"><h2>Clusters gained and lost</h2>']
    out += [workload_details(k, pic.workloads[i]) for i, k in drill.items()]
    out.append("</section>")
    return "".join(out)


def _cards(pic: Picture) -> str:
    live = [r for r in pic.workloads if r.status != "removed"]
    cards = [("workloads", num(len(live)))]
    if pic.inventory is not None:
        cards += [("clusters in the inventory", num(pic.inventory)), (sites_word(pic.group_by), num(len(pic.sites))),
                  ("placements (workload × cluster)", num(sum(s.placed for s in pic.sites)))]
    if pic.base is not None:
        for word in ("added", "removed", "changed"):
            cards.append((f"workloads {word}", num(sum(1 for r in pic.workloads if r.status == word))))
        if pic.inventory is not None:
            cards.append(("placements gained / lost",
                          f"+{num(sum(r.gained for r in pic.workloads))} / {MINUS}{num(sum(r.lost for r in pic.workloads))}"))
    if pic.problems:
        cards.append(("problems", f"{count(pic.errors, 'error')}, {count(len(pic.problems) - pic.errors, 'warning')}"))
    return '<ul class="cards">' + "".join(f"<li><b>{value}</b>{e(label)}</li>" for label, value in cards) + "</ul>"


def _legend(pic: Picture) -> str:
    items = ['<li><span class="h3">12</span>clusters now (darker: more)</li>']
    if pic.base is not None:
        items += ['<li><span class="add">+3</span>clusters gained</li>',
                  f'<li><span class="del">{MINUS}2</span>clusters lost</li>',
                  f'<li><span class="mix">4 +1 {MINUS}1</span>both</li>']
    if pic.resources:
        items += [f"<li><span>\u26a0</span>headroom below {100 - pic.warn_percent} %</li>",
                  "<li><span>\u2716</span>overcommitted</li>"]
    return '<ul class="legend" aria-label="legend">' + "".join(items) + "</ul>"


def _no_inventory(pic: Picture) -> str:
    rows = "".join(f'<tr><th scope="row">{e(r.name)}</th><td>{e(r.namespace)}</td><td>{status(r)}</td>'
                   f"<td>{e(r.policy)}</td><td>{'<br>'.join(e(p) for p in r.predicates)}</td></tr>"
                   for r in pic.workloads)
    return ('<section id="matrix"><h2>Workloads</h2><p>No cluster inventory: the hub decides where each '
            "workload runs; these are the effective placements.</p><table><caption>Workloads and their "
            'effective placement (predicates are ORed)</caption><thead><tr><th scope="col">workload</th>'
            '<th scope="col">namespace</th><th scope="col">change</th><th scope="col">policy</th>'
            f'<th scope="col">predicates</th></tr></thead><tbody>{rows}</tbody></table></section>')


def _problems(pic: Picture, limit: int = 200) -> str:
    if not pic.problems:
        return ""
    lines = [e(p) for p in pic.problems[:limit]]
    if len(pic.problems) > limit:
        lines.append(f"… {num(len(pic.problems) - limit)} more")
    return f'<section id="problems"><h2>Problems ({num(len(pic.problems))})</h2><pre>' + "\n".join(lines) + "</pre></section>"


def render_html(pic: Picture) -> bytes:
    based = pic.base is not None
    drill = {i: k for k, i in enumerate(i for i, r in enumerate(pic.workloads) if r.gained or r.lost)}
    nav = [("#sites", "Sites"), ("#matrix", "Sites × workloads")] if pic.inventory is not None else []
    if based and pic.inventory is not None:
        nav.append(("#changes", "Clusters gained and lost"))
    if pic.inventory is not None:
        nav.append(("#clusters", "Clusters by site"))
    if pic.problems:
        nav.append(("#problems", "Problems"))
    title = f"i4qew plan: {pic.env}" + (f" against {pic.base}" if based else "")
    against = f" against <code>{e(pic.base)}</code>" if pic.base is not None else ""
    source = f" Source commit <code>{e(pic.source)}</code>." if pic.source else ""
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="i4qew">',
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>Placement of <code>{e(pic.env)}</code>{against}"
        f"</h1><p>{e(pic.headline)}.{source}</p></header>",
    ]
    if nav:
        parts.append('<nav aria-label="sections">' + "".join(f'<a href="{h}">{t}</a>' for h, t in nav) + "</nav>")
    parts.append(f"<main>{_cards(pic)}")
    if pic.inventory is None and pic.workloads:
        parts.append(_no_inventory(pic))
    elif pic.inventory is not None:
        parts += [_legend(pic), _sites(pic), _matrix(pic, drill)]
        if based:
            parts.append(_changes(pic, drill))
        parts.append(_clusters(pic))
    parts.append(_problems(pic))
    parts.append('</main><footer>Generated by i4qew (<code>i4qew plan --format html</code>); self-contained: '
                 f"no request leaves this page.</footer><script>{SCRIPT}</script></body></html>\n")
    return "".join(parts).encode("utf-8")

