"""The placement page's inline style and script, and the Content-Security-Policy that
allows exactly them (by SHA-256) and nothing else: no request leaves the page."""

from __future__ import annotations

import base64
import hashlib

STYLE = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--link:#0550ae;
--add:#dafbe1;--add-fg:#116329;--del:#ffebe9;--del-fg:#a40e26;--mix:#fff8c5;--mix-fg:#6c4400;
--h1:#e3f0fd;--h2:#c4e0fa;--h3:#9ccaf4;--h4:#6eaaeb;--h5:#2f7fd6}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:#fff}
a{color:var(--link)}
header{padding:14px 24px 12px;background:#0d1117;color:#f0f6fc}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#d1d9e0}
header code{color:#fff}
nav{padding:8px 24px;border-bottom:1px solid var(--line);background:var(--soft)}
nav a{margin-right:16px}
main{padding:4px 24px 40px}
h2{font-size:17px;margin:26px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 4px;padding:0;list-style:none}
.cards li{border:1px solid var(--line);border-radius:6px;padding:6px 14px;background:var(--soft);min-width:110px}
.cards b{display:block;font-size:20px;font-variant-numeric:tabular-nums}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0;padding:0;list-style:none;color:var(--muted)}
.legend span{display:inline-block;min-width:3em;padding:0 4px;margin-right:4px;border:1px solid var(--line);text-align:center;color:var(--fg)}
table{border-collapse:separate;border-spacing:0}
th,td{border:0 solid var(--line);border-width:0 1px 1px 0;padding:3px 8px;text-align:left;vertical-align:top}
tr>:first-child{border-left-width:1px}
thead tr:first-child>*{border-top-width:1px}
caption{text-align:left;color:var(--muted);padding:2px 0 6px}
thead th{background:var(--soft);position:sticky;top:0;z-index:2}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow:auto;max-height:80vh;max-width:100%}
.muted{color:var(--muted)}
.nw{white-space:nowrap}
.matrix td{text-align:center;padding:2px 3px;min-width:2.4em;white-space:nowrap;font-variant-numeric:tabular-nums}
.matrix thead th{vertical-align:bottom}
.matrix thead th.site{padding:6px 2px;text-align:center}
.matrix thead th.site a{text-decoration:none;writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block;max-height:11em;overflow:hidden;text-overflow:ellipsis}
.matrix tbody th{position:sticky;left:0;z-index:1;background:#fff;white-space:nowrap;font-weight:500}
.matrix thead th:first-child{left:0;z-index:3}
.matrix td.st{text-align:left}
.h1{background:var(--h1)}.h2{background:var(--h2)}.h3{background:var(--h3)}.h4{background:var(--h4)}.h5{background:var(--h5);color:#fff}
td.add,.add{background:var(--add);color:var(--add-fg);font-weight:600}
td.del,.del{background:var(--del);color:var(--del-fg);font-weight:600}
td.mix,.mix{background:var(--mix);color:var(--mix-fg);font-weight:600}
.g{color:var(--add-fg);font-weight:600}.l{color:var(--del-fg);font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;border:1px solid var(--line);white-space:nowrap}
.changed{background:var(--mix);color:var(--mix-fg)}.added{background:var(--add);color:var(--add-fg)}.removed{background:var(--del);color:var(--del-fg)}
details{margin:4px 0}
details>summary{cursor:pointer;padding:2px 0}
details>table,details>div,details>p{margin:6px 0 12px 18px}
meter{width:56px;height:10px;vertical-align:middle;margin-right:4px}
.low{color:#7d4e00;font-weight:600}.over{color:var(--del-fg);font-weight:700}
.tools{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:center;margin:6px 0}
.tools[hidden]{display:none}
#show-rest:not(:checked)~.scroll tbody.quiet{display:none}
.scroll>#matrix-table.filtering>tbody.quiet{display:table-row-group}
.names{column-width:16em;column-gap:2em;margin:4px 0 10px 18px;padding:0;list-style:none}
.names li{break-inside:avoid}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
pre{background:var(--soft);padding:8px;overflow:auto;white-space:pre-wrap}
footer{color:var(--muted);padding:0 24px 24px}
"""

SCRIPT = """
(function(){
function reveal(){var id=decodeURIComponent(location.hash.slice(1));var t=id&&document.getElementById(id);
if(!t)return;for(var e=t;e;e=e.parentElement){if(e.tagName==="DETAILS")e.open=true}t.scrollIntoView()}
addEventListener("hashchange",reveal);reveal();
var f=document.getElementById("filter");if(!f)return;
var rows=document.querySelectorAll("#matrix-table tbody tr"),out=document.getElementById("filter-count");
f.closest(".tools").hidden=false;
f.addEventListener("input",function(){var q=f.value.trim().toLowerCase(),shown=0;
document.getElementById("matrix-table").classList.toggle("filtering",!!q);
for(var i=0;i<rows.length;i++){var r=rows[i],hit=!q||r.cells[0].textContent.toLowerCase().indexOf(q)>=0;
r.hidden=!hit;if(hit)shown++}out.textContent=q?shown+" of "+rows.length+" workloads match":""})
})();
"""


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


# Nothing may be fetched (default-src 'none'); only these exact style and script
# elements run; meters and the SVG need no images.
CSP = (f"default-src 'none'; style-src '{_sha(STYLE)}'; script-src '{_sha(SCRIPT)}'; "
       "base-uri 'none'; form-action 'none'")
