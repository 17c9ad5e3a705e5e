"""What a stager holds on its node: a status document written to ROOT/.i4qew/status/OWNER.json
(always) and handed to a pluggable sink. The Kubernetes sink merges it as key ``NODE.json``
into one ConfigMap per owner (``kubectl get configmap NAME -o yaml`` shows every node; ACM's
search indexes ConfigMaps) with the pod's service account: RBAC ``get``/``patch`` on that one
ConfigMap. A JSON merge patch changes only this node's key, so the nodes never conflict.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Protocol

from stage_store import Layout

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class VersionStatus:
    model: str
    version: str
    digest: str
    state: str  # Ready | Failed | Kept (a previous version kept for rollback)
    message: str = ""
    size: int | None = None


def document(owner: str, node: str, versions: list[VersionStatus]) -> str:
    ready = all(v.state != "Failed" for v in versions)
    doc = {
        "apiVersion": "edge.i4q.eu/v1alpha1",
        "kind": "ModelStagingStatus",
        "owner": owner,
        "node": node,
        "ready": ready,
        "updatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": [{k: v for k, v in asdict(s).items() if v not in ("", None)} for s in versions],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write_file(layout: Layout, owner: str, text: str) -> None:
    path = layout.state / "status" / f"{owner}.json"
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Sink(Protocol):
    def publish(self, node: str, text: str) -> None: ...


class ConfigMapSink:
    """PATCH the status into ConfigMap NAMESPACE/NAME as key NODE.json."""

    def __init__(self, namespace: str, name: str, api: str | None = None, sa_dir: str = SA_DIR) -> None:
        host, port = os.environ.get("KUBERNETES_SERVICE_HOST", ""), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        self.url = f"{api or f'https://{host}:{port}'}/api/v1/namespaces/{namespace}/configmaps/{name}"
        self.sa_dir = sa_dir

    def publish(self, node: str, text: str) -> None:
        with open(os.path.join(self.sa_dir, "token"), encoding="utf-8") as f:
            token = f.read().strip()  # re-read: projected tokens rotate
        ca = os.path.join(self.sa_dir, "ca.crt")
        ctx = ssl.create_default_context(cafile=ca if os.path.exists(ca) else None)
        body = json.dumps({"data": {f"{node}.json": text}}).encode()
        req = urllib.request.Request(self.url, data=body, method="PATCH",
                                     headers={"Content-Type": "application/merge-patch+json"})
        req.add_unredirected_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
                resp.read()
        except urllib.error.HTTPError as e:
            e.close()
            raise OSError(f"ConfigMap update answered HTTP {e.code} {e.reason}") from None
        except urllib.error.URLError as e:
            raise OSError(f"Kubernetes API unreachable ({e.reason})") from None
