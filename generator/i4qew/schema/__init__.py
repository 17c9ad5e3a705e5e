"""The JSON Schemas of the declaration kinds (package data) and the check that explains their failures."""
