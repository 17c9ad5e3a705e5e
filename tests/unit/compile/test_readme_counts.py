"""compile/readme.py read_counts: the cluster counts an environment branch's README was
written with, read back (publish keeps the placement files of the branch head and writes
the README again with them, compile/incremental.py)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from i4qew.compile.readme import Unreadable, read_counts, render_readme
from i4qew.model.repo import Repo
from i4qew.validation import validate_repo
from tests.support.hubs import TWO_HUBS
from tests.support.tools import ROOT


def _repo(root: object) -> Repo:
    repo = validate_repo(root).repo  # type: ignore[arg-type]
    assert repo is not None
    return repo


REPOS = {"one hub": _repo(ROOT), "two hubs": _repo(TWO_HUBS)}


def _odd(repo: Repo) -> Repo:
    """Images with the characters a README cell escapes (| and \\) and a line break."""
    return dataclasses.replace(repo, workloads=tuple(
        dataclasses.replace(w, spec={**w.spec, "image": f"reg | x\\\\y\n{w.spec['image']} | "})
        for w in repo.workloads))


@settings(max_examples=30, deadline=None)
@given(which=st.sampled_from(sorted(REPOS)), env=st.sampled_from(["dev", "production"]), odd=st.booleans(),
       counts=st.dictionaries(st.integers(0, 20), st.integers(0, 100_000)))
def test_the_counts_read_back_are_those_written(which: str, env: str, odd: bool, counts: dict[int, int]) -> None:
    repo = _odd(REPOS[which]) if odd else REPOS[which]
    keys = sorted({f"{w.namespace}/{w.name}" for w in repo.workloads})
    written = {keys[i % len(keys)]: n for i, n in counts.items()}
    readme = render_readme(repo, env, source_commit="0" * 40, cluster_counts=written)
    got = read_counts(readme)
    assert got is not None
    enabled = {f"{w.namespace}/{w.name}" for w in repo.workloads if w.enabled_in(env)}
    assert set(got) == enabled
    # the same README again from them, byte for byte
    assert render_readme(repo, env, source_commit="0" * 40, cluster_counts=got) == readme
    assert got == {k: written.get(k, 0) for k in enabled}


def test_without_an_inventory_there_are_no_counts() -> None:
    readme = render_readme(REPOS["two hubs"], "dev", source_commit=None, cluster_counts=None)
    assert read_counts(readme) is None


def test_no_workload_enabled_reads_as_no_counts() -> None:
    repo = dataclasses.replace(REPOS["one hub"], workloads=())
    assert read_counts(render_readme(repo, "dev", source_commit=None, cluster_counts={})) == {}


@pytest.mark.parametrize("text", [b"# a README someone wrote\n", b"\xff\xfe",
                                  b"<!-- i4qew:generated -->\n|---|---|---|---|---|---|\n| `a` | `b` | x | y | many | z |\n"])
def test_a_readme_not_written_so_is_unreadable(text: bytes) -> None:
    with pytest.raises(Unreadable):
        read_counts(text)


def test_a_readme_is_read_once_per_publish_and_each_readme_for_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """compile/incremental.py reads the head README's counts once (keeps_placement, then
    render_changed ask for them): the same bytes give the same counts without reading them
    again, other bytes their own, and a caller's changes to the counts reach nobody else."""
    from i4qew.compile import Changed, incremental

    repo = REPOS["two hubs"]  # its dev is rendered in parts
    reads: list[bytes] = []

    def counting(readme: bytes) -> dict[str, int] | None:
        reads.append(readme)
        return read_counts(readme)

    monkeypatch.setattr(incremental, "read_counts", counting)
    incremental._counts_in.cache_clear()
    keys = sorted({f"{w.namespace}/{w.name}" for w in repo.workloads if w.enabled_in("dev")})
    for n in (1, 2):
        readme = render_readme(repo, "dev", source_commit=None, cluster_counts={keys[0]: n})
        changed = Changed(frozenset(), frozenset(), frozenset(), placement=False, readme=readme)
        first = incremental._kept_counts(repo, "dev", changed)
        assert first is not None and first[0] is not None and first[0][keys[0]] == n
        first[0][keys[0]] = 99
        assert incremental._kept_counts(repo, "dev", changed) == ({**first[0], keys[0]: n},)
    assert len(reads) == 2
    incremental._counts_in.cache_clear()
