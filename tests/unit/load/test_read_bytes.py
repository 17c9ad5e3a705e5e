"""load/files.py read_bytes reads a declaration with os-level calls: every byte to the end,
as a file object's read() does, also when the file grew after its size was taken."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from i4qew.load import files
from i4qew.problems import Problem


@pytest.mark.parametrize("size", [0, 1, 4095, 65536, 200_000])
def test_every_byte(tmp_path: Path, size: int) -> None:
    path = tmp_path / "a.yaml"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(data)
    assert files.read_bytes("a.yaml", str(path), 1 << 20) == data


@pytest.mark.parametrize("grown", [1, 70_000, 300_000])
def test_a_file_that_grew_after_the_stat_is_read_to_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            grown: int) -> None:
    path = tmp_path / "a.yaml"
    data = b"a: 1\n" * 100 + b"#" * grown
    path.write_bytes(data)
    real = os.stat

    class Before:  # the stat taken before the file grew
        def __init__(self, st: os.stat_result) -> None:
            self.st_mode, self.st_size = st.st_mode, 500

    def stat(p: Any, *args: Any, **kw: Any) -> Any:
        return Before(real(p, *args, **kw)) if str(p) == str(path) else real(p, *args, **kw)

    monkeypatch.setattr(os, "stat", stat)
    with open(path, "rb") as fh:
        assert files.read_bytes("a.yaml", str(path), 1 << 20) == fh.read() == data


def test_what_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")  # never opened: a read would wait for a writer forever
    got = files.read_bytes("fifo.yaml", str(tmp_path / "fifo.yaml"), 100)
    assert isinstance(got, Problem) and got.rule == "unreadable"
    (tmp_path / "big.yaml").write_bytes(b"x" * 101)
    got = files.read_bytes("big.yaml", str(tmp_path / "big.yaml"), 100)
    assert isinstance(got, Problem) and got.rule == "file-too-large"
    got = files.read_bytes("gone.yaml", str(tmp_path / "gone.yaml"), 100)
    assert isinstance(got, Problem) and got.message == "cannot read the file: No such file or directory"
