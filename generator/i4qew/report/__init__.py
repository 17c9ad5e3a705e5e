"""Reporters, chosen by name: each turns the sorted problems into one text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from i4qew.problems import Problem
from i4qew.report import codequality, json_report, junit, text

Reporter = Callable[[Sequence[Problem], Sequence[str]], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "codequality": codequality.render,
    "junit": junit.render,
}
