"""A desired-state file the stager cannot use is one problem line and exit 2; nothing on the
node changes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.edge.run import FAST, _cmd, desired

HEX = "ab" * 32
# never fetched: every case is refused before any network use (and 127.0.0.1 only, regardless)
GOOD = {"model": "detector", "version": "1", "source": "https://127.0.0.1:9/detector/1/model.onnx", "sha256": HEX}


def run(doc: Any, tmp_path: Path, raw: str | None = None) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "desired.json"
    path.write_text(raw if raw is not None else json.dumps(doc))
    return subprocess.run(_cmd(path, ["--once", "--attempts", "1", *FAST]), capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("change", "message"), [
    ({"source": "oci://127.0.0.1:9/models/detector"}, "must be oci://REGISTRY/REPOSITORY@sha256:<64 hex> (or :TAG, followed)"),
    ({"source": "oci://127.0.0.1:9/Models/x@sha256:" + HEX}, "must be oci://"),
    ({"source": "ftp://127.0.0.1:9/m"}, "must start with oci://, https:// or http://"),
    ({"source": "https://user:pw@127.0.0.1:9/m.onnx"}, "carry no credentials"),
    ({"sha256": "xyz"}, "sha256 must be 64 lowercase hex digits"),
    ({"source": "https://127.0.0.1:9/models/?id=3"}, "file must be a plain file name"),
    ({"file": "../x"}, "file must be a plain file name"),
    ({"version": "../1"}, "must match [A-Za-z0-9][A-Za-z0-9._-]*"),
    ({"model": ".i4qew"}, "must match"),
    ({"source": "oci://127.0.0.1:99999/models/x@sha256:" + HEX}, "source has an invalid port (a number from 1 to 65535)"),
    ({"source": "oci://127.0.0.1:0/models/x@sha256:" + HEX}, "source has an invalid port"),
    ({"source": "https://127.0.0.1:70000/m.onnx"}, "source has an invalid port (a number from 1 to 65535)"),
    ({"size": -1}, "size must be a non-negative integer"),
    ({"pullSecret": "relative/config.json"}, "must be an absolute path"),
    ({"pullSecret": "/etc/x.json"}, "pullSecret is for oci sources"),
    ({"mirror": "x"}, "mirror: unknown field (allowed: caFile, file,"),
])
def test_bad_entries(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    root = tmp_path / "root"
    done = run(desired(root, [{**GOOD, **change}]), tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{tmp_path / 'desired.json'}:1:1: error [stage-desired] versions[0].")
    assert message in line
    assert not root.exists()


def test_bad_documents(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = run(None, tmp_path, raw='{"apiVersion": "edge.i4q.eu/v1alpha1",\n  "kind": }')
    assert done.returncode == 2
    assert done.stderr == f"{tmp_path / 'desired.json'}:2:11: error [stage-desired] not JSON: Expecting value\n"
    for doc, message in [
        ({**desired(root, [GOOD]), "kind": "Other"}, "apiVersion/kind must be edge.i4q.eu/v1alpha1/ModelStaging"),
        ({**desired(root, [GOOD]), "owner": "Dev/x"}, "owner must match"),
        ({**desired(root, [GOOD]), "root": "relative"}, "root must be an absolute path"),
        (desired(root, [GOOD, GOOD]), "model detector version 1 is listed twice"),
        (desired(root, [GOOD], keep=11), "keepPrevious must be an integer from 0 to 10"),
    ]:
        done = run(doc, tmp_path)
        assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not root.exists()


def test_an_empty_list_is_valid_and_removes_what_the_owner_had(tmp_path: Path) -> None:
    root = tmp_path / "root"
    kept = root / "detector" / "1"
    kept.mkdir(parents=True)
    done = run(desired(root, []), tmp_path)
    assert done.returncode == 0, done.stderr
    assert kept.is_dir()  # never managed by a stager: left alone
