"""docs/model-index.md and the edge programs tell one story: every option of the stager, every
setting of the gate and the marker's format line are documented as the code has them."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.integration.edge.run import GATE, STAGER
from tests.support.tools import ROOT

DOC = (ROOT / "docs" / "model-index.md").read_text()


def test_every_stager_option_is_documented() -> None:
    usage = subprocess.run([sys.executable, "-S", str(STAGER), "--help"], capture_output=True, text=True,
                           check=True).stdout
    options = sorted(set(re.findall(r"--[a-z][a-z-]+", usage)) - {"--help"})
    assert len(options) >= 10
    assert [o for o in options if f"`{o}" not in DOC] == []


def test_every_gate_setting_and_the_marker_format_are_documented() -> None:
    script = GATE.read_text()
    settings = sorted(set(re.findall(r"\$\{(I4QEW_[A-Z_]+):-", script)))
    assert len(settings) == 5
    assert [s for s in settings if f"`{s}`" not in DOC] == []
    assert "format=i4qew.model-ready/v1" in script and "`i4qew.model-ready/v1`" in DOC
    assert 'MARKER = ".i4qew-ready"' in (STAGER.parent / "stage_store.py").read_text()


def test_the_modules_the_model_docs_name_exist() -> None:
    """A module the model docs point a reader to is where they say (the package was re-layered)."""
    named = set()
    for doc in ("models.md", "model-index.md"):
        text = (ROOT / "docs" / doc).read_text()
        named |= set(re.findall(r"\b((?:generator/i4qew/)?(?:cli|compile|edge|model|placement|rules)/[\w/]+\.py)\b", text))
    assert len(named) >= 2
    assert sorted(p for p in named if not (ROOT / p).is_file() and not (ROOT / "generator/i4qew" / p).is_file()) == []
