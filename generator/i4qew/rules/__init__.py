"""Semantic rules over the model, one module per family; `catalog` imports them all."""
