"""docs/rules.md, generated from the registry so the documentation cannot drift.

    python -m i4qew.rules.docs docs/rules.md

tests/unit/rules/test_docs.py fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

from i4qew.rules.catalog import FAMILY_NAMES, all_rules
from i4qew.rules.examples import EXAMPLE_REPOSITORY
from i4qew.rules.registry import Rule

COMMAND = "python -m i4qew.rules.docs docs/rules.md"
STAGES = (
    ("load", "Reading the files", "Before any YAML is parsed, and while it is."),
    ("schema", "Schema", "Each document against its kind's JSON Schema (`i4qew schema KIND` prints it)."),
    ("build", "Building the model", "Selectors and the files workloads mount."),
)
FAMILY_TITLES = {
    "names": "Names",
    "references": "References",
    "images": "Images",
    "secrets": "Secrets",
    "resources": "Resources",
    "ports": "Ports, probes, replicas and env",
    "ingress": "Ingress",
    "environments": "Environments",
    "mounts": "Models, mounts and architectures",
    "models": "Model sources",
    "guardrails": "Guardrails: pod security and namespace owners",
    "guard_images": "Guardrails: image sources",
    "guard_limits": "Guardrails: resources and host paths",
    "guard_config": "Guardrails: the guardrails themselves",
    "governance": "Hub governance policies",
}


def _prose(text: str) -> str:
    """Markdown outside code: `<name>` would be read as an HTML tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(rules: list[Rule]) -> list[str]:
    out: list[str] = []
    for r in rules:
        out += [f"### `{r.id}`", "", _prose(r.summary[0].upper() + r.summary[1:]) + ".", ""]
        if r.not_run:
            out += [f"No example repository shows it: {_prose(r.not_run)}.", ""]
        out += ["Passes:", "", "```yaml", r.passing, "```", "",
                "Fails:", "", "```yaml", r.failing, "```", ""]
    return out


def render() -> str:
    rules = all_rules()
    lines = [
        "# Validation rules",
        "",
        f"<!-- generated from the rule registry by `{COMMAND}`; do not edit by hand -->",
        "",
        "`i4qew validate` prints every problem of the repository, one per line, sorted by file and line:",
        "",
        "    PATH:LINE:COL: SEVERITY [rule-id] message",
        "",
        "An `error` fails the run (exit 1) and stops `render`, `plan` and `publish`; a `warning` is",
        "reported and does not. Every id below is exercised by a bad repository under",
        "`tests/corpus/negative/`.",
        "",
        "Each rule has a passing and a failing example: files of a repository, each after a",
        "`# PATH` line. Their YAML is merged into [the example repository](#the-example-repository)",
        "(`# PATH (the whole file)` replaces a file; `(removed)`, `(a symlink to T)`, `(a FIFO)` and",
        "`(Latin-1)` say what else the file is; `# base/PATH` is the file at the merge request's base).",
        "tests/unit/rules/test_examples.py runs every example through `i4qew validate` (through",
        "`i4qew plan --base` when it has `base/` files): the failing one reports its rule and no",
        "other, the passing one nothing.",
        "",
        "| id | stage | checks |",
        "|---|---|---|",
    ]
    groups: list[tuple[str, str, list[Rule]]] = []
    for stage, title, intro in STAGES:
        groups.append((title, intro, [r for r in rules.values() if r.family == stage]))
    for family in FAMILY_NAMES:
        if family in FAMILY_TITLES:
            groups.append((FAMILY_TITLES[family], "", [r for r in rules.values() if r.family == family]))
    known = {r.id for _, _, members in groups for r in members}
    others = [r for r in rules.values() if r.id not in known]
    if others:
        groups.append(("Other checks", "", others))
    for title, _, members in groups:
        for r in members:
            summary = _prose(r.summary).replace("|", "\\|")
            lines.append(f"| [`{r.id}`](#{r.id}) | {title} | {summary} |")
    lines.append("")
    for title, intro, members in groups:
        if not members:
            continue
        lines += [f"## {title}", ""]
        if intro:
            lines += [intro, ""]
        lines += _section(members)
    lines += ["## The example repository", "",
              "Valid, and with nothing to report; every example is placed into it.", ""]
    for path, text in EXAMPLE_REPOSITORY.items():
        lines += [f"`{path}`:", "", "```yaml", text.rstrip("\n"), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if not argv or argv[0] == "-":
        sys.stdout.write(text)
    else:
        Path(argv[0]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
