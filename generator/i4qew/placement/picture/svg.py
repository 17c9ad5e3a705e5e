"""`i4qew plan --format svg`: a small static picture of the site matrix, for places
that show images but not HTML (the environment branch's README, the MR note).

Sites (rows) × workloads (columns): a cell's shade is the number of clusters the
workload runs on at the site; against a base, a gained cell is green and marked
`+`, a lost one red `−`, both amber `±` (a mark, not only a colour). At most
MAX_SITES × MAX_WORKLOADS cells: the most changed, then the busiest; the
picture says how many it leaves out. Deterministic, no fonts or links.
"""

from __future__ import annotations

from html import escape

from i4qew.placement.picture.aggregate import Cell, Picture, SiteRow, WorkloadRow, sites_word

MAX_SITES = 30
MAX_WORKLOADS = 60
CELL = 13
LEFT = 150
NAME = 16  # characters of a workload name shown
MINUS = "\u2212"
SHADES = ((30, "#1f6fc5"), (10, "#4a90e2"), (4, "#79b4ef"), (2, "#a8d1f7"), (1, "#d4e9fd"))
CHANGE = {"+": ("#aceebb", "#116329"), MINUS: ("#ffcecb", "#a40e26"), "±": ("#fae17d", "#6c4400")}
FONT = 'font-family="DejaVu Sans, Verdana, sans-serif"'


def _x(text: str) -> str:
    return escape(text, quote=True)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _mark(c: Cell) -> str:
    return "±" if c.gained and c.lost else "+" if c.gained else MINUS if c.lost else ""


def _shade(n: int) -> str:
    for floor, colour in SHADES:
        if n >= floor:
            return colour
    return "#ffffff"


def _pick(pic: Picture) -> tuple[list[SiteRow], list[WorkloadRow]]:
    sites = sorted(pic.sites, key=lambda s: (-(s.gained + s.lost), -s.placed, s.name))[:MAX_SITES]
    names = {s.name for s in sites}
    sites = [s for s in pic.sites if s.name in names]  # back in site order
    rows = [r for r in pic.workloads if r.cells]
    rows.sort(key=lambda r: (-(r.gained + r.lost), -r.clusters, r.name, r.namespace))
    return sites, rows[:MAX_WORKLOADS]


def _message(title: str, text: str) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="64" viewBox="0 0 520 64" role="img" '
            f'aria-labelledby="t d"><title id="t">{_x(title)}</title><desc id="d">{_x(text)}</desc>'
            f'<rect width="520" height="64" fill="#ffffff"/><text x="12" y="26" {FONT} font-size="14" '
            f'font-weight="bold" fill="#1f2328">{_x(title)}</text><text x="12" y="48" {FONT} font-size="12" '
            f'fill="#59636e">{_x(text)}</text></svg>\n').encode()


def render_svg(pic: Picture) -> bytes:
    based = pic.base is not None
    title = f"Placement of {pic.env} by {pic.group_by}" + (f" against {pic.base}" if based else "")
    if pic.inventory is None:
        return _message(title, "No cluster inventory: the hub decides where each workload runs."
                        if pic.workloads else pic.headline + ".")
    sites, rows = _pick(pic)
    if not sites or not rows:
        return _message(title, "No workload is placed on any cluster.")
    gained = sum(r.gained for r in pic.workloads)
    lost = sum(r.lost for r in pic.workloads)
    live = sum(1 for r in pic.workloads if r.status != "removed")
    summary = (f"{live} workloads on {sum(s.used for s in pic.sites)} of {pic.inventory} clusters "
               f"at {len(pic.sites)} {sites_word(pic.group_by)}")
    if based:
        summary += f"; placements +{gained} {MINUS}{lost}"
    left_out = []
    if len(sites) < len(pic.sites):
        left_out.append(f"{len(sites)} of {len(pic.sites)} {sites_word(pic.group_by)}")
    placed = sum(1 for r in pic.workloads if r.cells)
    if len(rows) < placed:
        left_out.append(f"{len(rows)} of {placed} workloads")
    note = ("showing " + " and ".join(left_out) + (", the most changed first" if based else ", the busiest")
            + "; plan.html has them all") if left_out else "every site and workload"
    top = 56 + 6 * max(len(_short(r.name, NAME)) for r in rows)  # room for the vertical names
    width = max(LEFT + CELL * len(rows) + 96, 480)
    height = top + CELL * len(sites) + 64
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t d">',
           f'<title id="t">{_x(title)}</title><desc id="d">{_x(summary)}. Rows are {_x(sites_word(pic.group_by))}, '
           f"columns workloads, a cell's shade the clusters the workload runs on there"
           + (f"; + marks clusters gained, {MINUS} lost, ± both" if based else "") + f"; {_x(note)}.</desc>",
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="10" y="20" {FONT} font-size="14" font-weight="bold" fill="#1f2328">{_x(title)}</text>',
           f'<text x="10" y="37" {FONT} font-size="11" fill="#59636e">{_x(summary)}</text>']
    # workload names, vertical, above their column
    for k, r in enumerate(rows):
        x = LEFT + CELL * k + CELL // 2 + 4
        out.append(f'<text transform="translate({x},{top - 4}) rotate(-90)" {FONT} font-size="9" '
                   f'fill="#1f2328">{_x(_short(r.name, NAME))}</text>')
    for j, s in enumerate(sites):
        y = top + CELL * j
        out.append(f'<text x="{LEFT - 6}" y="{y + CELL - 3}" text-anchor="end" {FONT} font-size="10" '
                   f'fill="#1f2328">{_x(_short(s.name, 22))}</text>')
        out.append(f'<text x="{LEFT + CELL * len(rows) + 6}" y="{y + CELL - 3}" {FONT} font-size="9" '
                   f'fill="#59636e">{s.used}/{s.clusters}</text>')
        for k, r in enumerate(rows):
            c = r.cells.get(s.name)
            if c is None:
                continue
            x = LEFT + CELL * k
            mark = _mark(c)
            fill = CHANGE[mark][0] if mark else _shade(c.now)
            out.append(f'<rect x="{x}" y="{y}" width="{CELL - 1}" height="{CELL - 1}" fill="{fill}"/>')
            if mark:
                out.append(f'<text x="{x + CELL // 2}" y="{y + CELL - 3}" text-anchor="middle" {FONT} '
                           f'font-size="11" font-weight="bold" fill="{CHANGE[mark][1]}">{mark}</text>')
    grid_w, grid_h = CELL * len(rows) - 1, CELL * len(sites) - 1
    out.append(f'<rect x="{LEFT - 0.5}" y="{top - 0.5}" width="{grid_w + 1}" height="{grid_h + 1}" '
               'fill="none" stroke="#d1d9e0"/>')
    out.append(f'<text x="{LEFT + grid_w + 6}" y="{top - 4}" {FONT} font-size="9" fill="#59636e">in use</text>')
    out.extend(_legend(top + grid_h + 22, based))
    out.append(f'<text x="10" y="{height - 8}" {FONT} font-size="10" fill="#59636e">{_x(note)}</text>')
    out.append("</svg>\n")
    return "".join(out).encode("utf-8")


def _legend(y: int, based: bool) -> list[str]:
    items = [(colour, "", f"{floor}+" if floor > 1 else "1") for floor, colour in reversed(SHADES)]
    if based:
        items += [(fill, mark, word) for mark, (fill, _), word in
                  ((m, CHANGE[m], w) for m, w in (("+", "gained"), (MINUS, "lost"), ("±", "both")))]
    out = [f'<text x="10" y="{y + 10}" {FONT} font-size="10" fill="#59636e">clusters:</text>']
    x = 62
    for fill, mark, word in items:
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{fill}" stroke="#d1d9e0"/>')
        if mark:
            out.append(f'<text x="{x + 6}" y="{y + 10}" text-anchor="middle" {FONT} font-size="11" '
                       f'font-weight="bold" fill="{CHANGE[mark][1]}">{mark}</text>')
        out.append(f'<text x="{x + 16}" y="{y + 10}" {FONT} font-size="10" fill="#1f2328">{_x(word)}</text>')
        x += 22 + 7 * len(word)
    return out
