"""Placement: effective placements, the cluster inventory, decisions and plans."""
