"""Builders and runners for the hostile-input corpus (tests/corpus/test_hostile_*.py).

Large or binary inputs are generated at test time; the small fixed ones are files in
this folder. Nothing here is a test by itself.
"""
