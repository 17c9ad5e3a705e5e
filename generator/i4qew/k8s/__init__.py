"""Kubernetes primitives: names, resource quantities, label selectors (model and both syntaxes)."""
