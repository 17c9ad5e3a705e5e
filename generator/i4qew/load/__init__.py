"""Reading declaration files safely: discovery, guards, parsing, positions."""
