"""text.py: what i4qew prints of user text, and what it never prints."""

from __future__ import annotations

import pytest

from i4qew.text import (
    did_you_mean,
    dotted,
    find_credential,
    lookalike,
    redact,
    shorten,
    strip_userinfo,
)


@pytest.mark.parametrize(("text", "what"), [
    ("--key=AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("token glpat-Zx8vQ2mN4pL7rT1wY6kB", "a GitLab token"),
    ("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a GitHub token"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "a GitHub token"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n", "a private key"),
    ("-----BEGIN PRIVATE KEY-----", "a private key"),
    ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "a JSON Web Token"),
    ("hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "a Hugging Face token"),
    ("postgres://detector:s3cr3t@db:5432/x", "a password in a URL"),
])
def test_credentials_are_found(text: str, what: str) -> None:
    found = find_credential(text)
    assert found is not None and found[0] == what


@pytest.mark.parametrize("text", [
    "http://broker:1883/x", "mqtt://$(USER):$(PASSWORD)@broker:1883", "postgres://u:${PW}@db/x",
    "https://{{user}}:{{pass}}@h", "git@gitlab.com:group/repo.git", "-----BEGIN CERTIFICATE-----",
    "AKIA-not-a-key", "eyJhbGciOiJIUzI1NiJ9", "sha256:" + "a" * 64, "glpat-short",
])
def test_non_credentials_pass(text: str) -> None:
    assert find_credential(text) is None


def test_redaction() -> None:
    text = "fatal: https://u:tok-123456@h/p.git: tok-123456 tok%2F12 failed"
    assert redact(text, ["tok-123456", "tok/12"]) == "fatal: https://h/p.git: [MASKED] [MASKED] failed"
    assert strip_userinfo("see git://a:b@h/x and https://t@h/y") == "see git://h/x and https://h/y"
    # every form a relayed message may hold: raw, and URL-encoded with or without '/' kept
    assert redact("x a/b+c=d y a%2Fb%2Bc%3Dd z a/b%2Bc%3Dd", ["a/b+c=d"]) == "x [MASKED] y [MASKED] z [MASKED]"
    # the longer of two overlapping secrets first; nothing masked for a 1-3 character "secret"
    assert redact("abcdef abcd", ["abcd", "abcdef"]) == "[MASKED] [MASKED]"
    assert redact("a cat", ["", "cat"]) == "a cat"


def test_shorten_keeps_one_line_and_masks_before_it_cuts() -> None:
    assert shorten("short") == "short"
    assert shorten("a\nb") == "a\\nb"
    long = "x" * 100
    assert shorten(long, 10) == "x" * 9 + "…"
    # a token that starts before the cut is masked whole, not cut in half
    token = "glpat-" + "Zx8vQ2mN4pL7rT1wY6kB" * 3
    cut = shorten("image " + token, 20)
    assert "glpat" not in cut and cut.startswith("image [redacted]")


def test_lookalike_names_the_first_non_ascii_character() -> None:
    assert lookalike("edge") == ""
    assert lookalike("\u0435dge") == " (character 1 is U+0435 CYRILLIC SMALL LETTER IE, not ASCII)"


def test_dotted_and_did_you_mean() -> None:
    assert dotted(("spec", "env", 0, "value")) == "spec.env[0].value"
    assert dotted(()) == ""
    assert did_you_mean("replica", ["replicas", "image"]) == " (did you mean 'replicas'?)"
    assert did_you_mean("IMAGE", ["image"]) == " (did you mean 'image'?)"
    assert did_you_mean("zzz", ["image"]) == ""
    assert did_you_mean("x" * 201, ["x" * 201]) == ""  # no difflib on hostile lengths
