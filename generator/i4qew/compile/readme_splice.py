"""The README of a change that keeps the branch head's placement files (compile/incremental.py,
Changed.readme): the head's README with its source commit and the changed workloads' rows
written again, instead of every row and section rendered anew.

Exact for such a change: only workload declarations changed, and only fields no placement
file reads (compile.CHART_ONLY, CAPACITY but a GPU's), so the set of rows, their order and
every other section (settings, hubs, stagings, waves, which the placement's fields decide)
are the head's; of a row's cells such a change moves only the image, and the cluster
counts are the head's (read_counts). The head's README was written by render_readme of this
version (the caller checks it, as for read_counts). Anything unexpected in it: None, and
the caller renders the README whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from i4qew.compile.readme import GENERATED_MARKER, HEADER, SOURCE_LINE, row, row_key, source_line
from i4qew.model.repo import Repo


def spliced_readme(head: bytes, repo: Repo, env: str, names: Set[str], source_commit: str | None,
                   counts: Mapping[str, int] | None) -> bytes | None:
    """render_readme's bytes for `repo`, from the head's README: the source line and the rows
    of the workloads named `names` written again; None when the head's README is not as expected."""
    try:
        lines = head.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    sources = [i for i, line in enumerate(lines) if line.startswith(SOURCE_LINE)]
    if lines[0] != GENERATED_MARKER or len(sources) != 1:
        return None
    lines[sources[0]] = source_line(source_commit)
    wanted = {f"{w.namespace}/{w.name}": w for w in repo.workloads if w.name in names and w.enabled_in(env)}
    seen = set()
    if HEADER in lines:
        for i in range(lines.index(HEADER) + 1, len(lines)):
            key = row_key(lines[i])
            if key is None:
                break
            if key in wanted:
                lines[i] = row(repo, env, wanted[key], counts)
                seen.add(key)
    return "\n".join(lines).encode("utf-8") if seen == set(wanted) else None
