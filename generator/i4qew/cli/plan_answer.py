"""`plan`'s whole answer kept in the persistent cache (i4qew/store.py): the texts it wrote
and the problems it reported, for the files `validate` last judged (cli/validate_answer.py)
and the options that shape the answer. A `plan` of the same files with the same options
answers from it without building the model or planning anything (docs/caching.md).

The key is the digest of validate's journal (every byte of workloads/, policies/,
models/, clusters/, i4qew.yaml, the yamllint configs and every path a declaration names:
all a plan reads), the libraries' versions that judged them (validate_answer's key), the
environment, the formats written, --group-by, --max-list and --now; the folder is the
build's (store.py). Only plans without --base and --inventory are kept (those read more
than the journal covers), and only when the files were still as observed once the plan
was made (their stamps): a file edited while it ran is simply not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from i4qew import store
from i4qew.problems import Problem, Severity

KIND = "plan"
_CLASSES = store.allow((Problem, Severity))


def key(answer_key: str, digest: str, env: str, formats: Iterable[str], group_by: str, max_list: int,
        now: datetime | None) -> str:
    """The entry of a plan of the files validate observed (`digest`, under validate's
    `answer_key`) with these options."""
    parts = [answer_key, digest, env, ",".join(sorted(formats)), group_by, str(max_list),
             "" if now is None else now.isoformat()]
    return store.digest("\0".join(parts).encode("utf-8", "surrogatepass"))


def get(entry: str, formats: set[str]) -> tuple[dict[str, str], list[Problem]] | None:
    """The texts (one per format) and problems kept under `entry`, or None."""
    got = store.active().get(KIND, entry, _CLASSES)
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], dict) and isinstance(got[1], list)):
        return None
    texts, problems = got
    if set(texts) != formats or not all(isinstance(t, str) for t in texts.values()) \
            or not all(isinstance(p, Problem) for p in problems):
        return None
    return texts, problems


def keeper(entry: str, still: Callable[[], bool]) -> Callable[[dict[str, str], list[Problem]], None]:
    """What stores a plan's answer under `entry`, when the files are still as observed."""
    def keep(texts: dict[str, str], problems: list[Problem]) -> None:
        if still():
            store.active().put(KIND, entry, (texts, problems))
    return keep
