"""The repository model: the frozen dataclasses every later stage shares, built from schema-valid documents."""
