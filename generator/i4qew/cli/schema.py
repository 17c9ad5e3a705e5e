"""`i4qew schema [KIND]`: print a kind's JSON Schema, for editors and yaml-language-server.

    i4qew schema Workload > .schemas/workload.json
    # yaml-language-server: $schema=.schemas/workload.json
"""

from __future__ import annotations

import click

from i4qew.schema.kinds import KINDS, load_schema, schema_text
from i4qew.text import did_you_mean


@click.command("schema")
@click.argument("kind", required=False)
def command(kind: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of KIND; without KIND, list the kinds.

    KIND is Repository, Workload, PlacementPolicy or Model (any case).
    """
    if kind is None:
        for name in KINDS:
            title = load_schema(name).get("title", "")
            click.echo(f"{name:<16} {title}")
        return
    by_lower = {k.lower(): k for k in KINDS}
    found = by_lower.get(kind.lower())
    if found is None:
        raise click.BadParameter(f"unknown kind {kind!r}{did_you_mean(kind, KINDS)}; kinds: {', '.join(KINDS)}",
                                 param_hint="KIND")
    text = schema_text(found)
    click.echo(text, nl=not text.endswith("\n"))
