from __future__ import annotations

from i4qew.cli.main import main

main()
