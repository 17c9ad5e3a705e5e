"""Pieces of the placement page: numbers, change markers, headroom cells, drill-downs.

Every change is shown as text as well as by colour: `+N` (gained), `−N` (lost),
the status words of `plan`; headroom as a percentage, `⚠` below the capacity
warning, `✖` when overcommitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from i4qew.placement.capacity import show
from i4qew.placement.picture.aggregate import Cell, ClusterRow, Free, Picture, SiteRow, WorkloadRow

MINUS = "\u2212"
STATUS = {"added": "+ added", "removed": f"{MINUS} removed", "changed": "~ changed", "unchanged": "= unchanged",
          "planned": ""}
HEAT = ((30, "h5"), (10, "h4"), (4, "h3"), (2, "h2"), (1, "h1"))


def e(text: str) -> str:
    return escape(text, quote=True)


def num(n: int) -> str:
    return f"{n:,}"


def count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def delta(gained: int, lost: int) -> str:
    """`+3 −1` as marked-up text ('' when neither)."""
    parts = []
    if gained:
        parts.append(f'<span class="g">+{num(gained)}</span>')
    if lost:
        parts.append(f'<span class="l">{MINUS}{num(lost)}</span>')
    return " ".join(parts)


def change_class(gained: int, lost: int) -> str:
    return "mix" if gained and lost else "add" if gained else "del" if lost else ""


def change_cell(gained: int, lost: int) -> str:
    cls = change_class(gained, lost)
    return f'<td class="{cls}">{delta(gained, lost)}</td>' if cls else "<td></td>"


def heat(n: int) -> str:
    for floor, name in HEAT:
        if n >= floor:
            return name
    return ""


def cell(c: Cell | None) -> str:
    if c is None:
        return "<td></td>"
    cls = change_class(c.gained, c.lost) or heat(c.now)
    text = " ".join(x for x in (num(c.now) if c.now else "", delta(c.gained, c.lost)) if x)
    return f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>"


def status(row: WorkloadRow) -> str:
    text = STATUS.get(row.status, row.status)
    if not text:
        return ""
    if row.status == "changed":
        what = [x for x, on in (("spec", row.spec_changed), ("placement", row.placement_changed)) if on]
        text += f" ({', '.join(what)})" if what else ""
    return f'<span class="badge {row.status if row.changed else ""}">{e(text)}</span>'


def amount(res: str, milli: int) -> str:
    """A quantity as people read it: cores, binary bytes, whole devices."""
    sign = MINUS if milli < 0 else ""
    milli = abs(milli)
    if res == "cpu":
        text = f"{milli / 1000:.1f}".removesuffix(".0")
    elif res in ("memory", "ephemeral-storage") or res.startswith("hugepages-"):
        text = show(res, milli)
    else:
        text = f"{milli / 1000:g}"
    return sign + text


def headroom(res: str, f: Free | None, warn: int) -> str:
    """A <td>: percentage free, a meter, the absolute free / allocatable."""
    if f is None:
        return '<td class="n muted">n/a</td>'
    pct = f.percent
    mark, cls = "", ""
    if f.free < 0:
        mark, cls = "\u2716 ", " over"
    elif "/" not in res and pct < 100 - warn:  # whole devices are meant to be used up
        mark, cls = "\u26a0 ", " low"
    value = max(0, min(100, round(pct)))
    return (f'<td class="n{cls}"><meter min="0" max="100" low="{100 - warn}" high="50" optimum="100" '
            f'value="{value}" aria-hidden="true"></meter>{mark}{pct:.0f} % '
            f'<span class="muted">{amount(res, f.free)}/{amount(res, f.total)}</span></td>')


def resource_head(res: str) -> str:
    return "GPUs" if res == "nvidia.com/gpu" else res


def cluster_table(pic: Picture, site: SiteRow) -> str:
    based = pic.base is not None
    head = ['<th scope="col">cluster</th>', '<th scope="col" class="n">workloads</th>']
    if based:
        head.append('<th scope="col">change</th>')
    head += [f'<th scope="col" class="n">{e(resource_head(r))} free</th>' for r in pic.resources]
    if pic.waves:
        head.append('<th scope="col">wave</th>')
    out = [f'<p class="muted">Per cluster: the workloads of <code>{e(pic.env)}</code> placed on it'
           f'{", the workloads it gains and loses" if based else ""}; the headroom left by the requests of every '
           f'environment.</p><table><caption>Clusters at {e(site.name)}</caption>'
           f'<thead><tr>{"".join(head)}</tr></thead><tbody>']
    for c in site.cluster_rows:
        out.append(_cluster_row(pic, c, based))
    out.append("</tbody></table>")
    return "".join(out)


def _cluster_row(pic: Picture, c: ClusterRow, based: bool) -> str:
    row = [f'<tr><th scope="row">{e(c.name)}</th><td class="n">{num(c.workloads)}</td>']
    if based:
        row.append(change_cell(c.gained, c.lost))
    row += [headroom(r, f, pic.warn_percent) for r, f in zip(pic.resources, c.free, strict=True)]
    if pic.waves:
        row.append(f"<td>{e(c.wave or '')}</td>")
    row.append("</tr>")
    return "".join(row)


def listing(items: Iterable[tuple[str, int]], limit: int = 0) -> str:
    items = list(items)
    shown = items[:limit] if limit else items
    text = ", ".join(f"{e(name)} ({num(n)})" for name, n in shown)
    return text + (f", … {num(len(items) - len(shown))} more" if len(shown) < len(items) else "")


Models = tuple[tuple[str, tuple[tuple[str, int], ...]], ...]


def models_summary(models: Models, few: int = 3) -> str:
    """A site's model versions: each when few, else counted (the site's drill-down lists them)."""
    pairs = [(m, v) for m, versions in models for v, _ in versions]
    if not pairs:
        return '<span class="muted">none</span>'
    if len(pairs) <= few:
        return ", ".join(f"{e(m)} {e(v)}" for m, v in pairs)
    text = f"{count(len(models), 'model')}, {num(len(pairs))} versions"
    several = sum(1 for _, versions in models if len(versions) > 1)
    return text + (f" ({num(several)} with several)" if several else "")


def models_full(models: Models) -> str:
    return "; ".join(f"<b>{e(m)}</b> " + ", ".join(f"{e(v)} ({num(n)})" for v, n in versions)
                     for m, versions in models)


def site_details(pic: Picture, index: int, site: SiteRow, here: list[tuple[str, int]]) -> str:
    change = delta(site.gained, site.lost)
    summary = (f"<b>{e(site.name)}</b>: {count(site.clusters, 'cluster')}, {num(site.used)} in use, "
               f"{count(site.workloads, 'workload')}" + (f", {change} placements" if change else ""))
    parts = [f'<details id="site-{index}"><summary>{summary}</summary>']
    if site.models:
        parts.append(f"<p>Model versions (workloads): {models_full(site.models)}</p>")
    if here:
        parts.append(f"<p>Workloads here (clusters): {listing(here)}</p>")
    parts.append(cluster_table(pic, site))
    parts.append("</details>")
    return "".join(parts)


def _names(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    return '<ul class="names">' + "".join(
        f"<li><b>{e(site)}</b>: {', '.join(e(n) for n in names)}</li>" for site, names in groups) + "</ul>"


def workload_details(index: int, row: WorkloadRow) -> str:
    listed = sum(len(n) for _, n in row.gained_names) + sum(len(n) for _, n in row.lost_names)
    parts = [f'<details id="w-{index}"><summary><b>{e(row.name)}</b> <span class="muted">{e(row.namespace)}</span>: '
             f"{delta(row.gained, row.lost)} {'cluster' if row.gained + row.lost == 1 else 'clusters'} "
             f"{status(row)}</summary><div>"]
    if row.gained_names:
        parts.append(f"gained ({num(row.gained)}):{_names(row.gained_names)}")
    if row.lost_names:
        parts.append(f"lost ({num(row.lost)}):{_names(row.lost_names)}")
    if listed < row.gained + row.lost:
        rest = row.gained + row.lost - listed
        what = "more" if listed else ("cluster" if rest == 1 else "clusters")
        parts.append(f'<p class="muted">{num(rest)} {what} not listed here: '
                     "<code>i4qew plan --format json</code> names them all.</p>")
    parts.append("</div></details>")
    return "".join(parts)
