from __future__ import annotations

from i4qew.cli.entry import main

main()
