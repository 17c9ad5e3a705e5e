"""The click layer: one module per subcommand, each exposing `command`."""
