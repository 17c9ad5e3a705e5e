#!/usr/bin/env python3
"""i4qew model stager: make ROOT/MODEL/VERSION/ hold exactly the verified bytes of every model
version in a desired-state file, on this node. Python standard library only.

    python3 stager.py --desired /etc/i4qew/staging.json [--once] [options]

Exit status (--once): 0 every desired version is ready, 1 some is not, 2 bad usage or
desired state. Without --once it runs until stopped, re-reading the desired state.
See docs/model-index.md for the formats and the behaviour.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # a read-only root filesystem in the container

import stage_desired  # noqa: E402
import stage_gc  # noqa: E402
from stage_fetch import Options, backoff, ensure  # noqa: E402
from stage_log import log, node, set_node  # noqa: E402
from stage_report import ConfigMapSink, Sink, VersionStatus, document, write_file  # noqa: E402
from stage_store import Layout, locked, ready_digest  # noqa: E402


def arguments(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="stager.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--desired", required=True, help="the desired-state JSON file")
    p.add_argument("--node", default=os.environ.get("I4QEW_NODE_NAME") or socket.gethostname(),
                   help="node name for logs and status (default $I4QEW_NODE_NAME)")
    p.add_argument("--once", action="store_true", help="one pass, then exit 0 (all ready) or 1")
    p.add_argument("--interval", type=float, default=300.0, help="seconds between passes when all is ready")
    p.add_argument("--attempts", type=int, default=5, help="tries per version per pass on transient errors")
    p.add_argument("--backoff-initial", type=float, default=2.0, help="first retry delay, seconds")
    p.add_argument("--backoff-max", type=float, default=300.0, help="longest retry delay, seconds")
    p.add_argument("--lock-timeout", type=float, default=3600.0, help="longest wait for another stager")
    p.add_argument("--owner-ttl", type=float, default=7 * 86400.0,
                   help="seconds after which a stager that stopped running protects nothing")
    p.add_argument("--timeout", type=float, default=60.0, help="network timeout, seconds")
    p.add_argument("--ca-file", help="CA bundle for https sources and registries (default: system)")
    p.add_argument("--report-configmap", metavar="NAMESPACE/NAME",
                   help="also merge the status into this ConfigMap as key NODE.json")
    p.add_argument("--kube-api", help="Kubernetes API URL (default from KUBERNETES_SERVICE_HOST/PORT)")
    p.add_argument("--service-account-dir", default="/var/run/secrets/kubernetes.io/serviceaccount")
    p.add_argument("--only", metavar="MODEL/VERSION",
                   help="stage only this desired version (a Job per version on a shared volume); what stays "
                        "is still decided by the whole desired state; status goes to OWNER@MODEL@VERSION.json and "
                        "the ConfigMap key MODEL.VERSION.json")
    args = p.parse_args(argv)
    if args.attempts < 1 or args.backoff_initial < 0 or args.backoff_max < args.backoff_initial:
        p.error("--attempts must be >= 1 and 0 <= --backoff-initial <= --backoff-max")
    if args.report_configmap and args.report_configmap.count("/") != 1:
        p.error("--report-configmap must be NAMESPACE/NAME")
    if args.only is not None and args.only.count("/") != 1:
        p.error("--only must be MODEL/VERSION")
    return args


def one_pass(desired: stage_desired.Desired, opts: Options, ttl: float, sink: Sink | None,
             only: str | None = None) -> bool:
    layout = Layout(Path(desired.root))
    layout.prepare()
    with locked(layout.state / "lock", "the model root", opts.lock_timeout):
        record = stage_gc.update_owner(layout, desired)
        need = stage_gc.needs(layout, ttl)
        stage_gc.collect(layout, need)
    statuses: list[VersionStatus] = []
    entries = [e for e in desired.entries if only is None or f"{e.model}/{e.version}" == only]
    for e in entries:
        try:
            statuses.append(ensure(e, layout, need.pins.get((e.model, e.version), {}), desired.owner, opts))
        except TimeoutError as err:
            log("error", str(err), e.what)
            statuses.append(VersionStatus(e.model, e.version, e.digest, "Failed", str(err)))
    for model, versions in sorted(stage_gc.previous(layout, record).items() if only is None else ()):
        for v in versions:
            digest = ready_digest(layout, model, v) or ""
            statuses.append(VersionStatus(model, v, digest, "Kept", "previous version, kept for rollback"))
    text = document(desired.owner, node(), statuses)
    write_file(layout, desired.owner if only is None else f"{desired.owner}@{only.replace('/', '@')}", text)
    if sink is not None:
        try:
            # A ConfigMap key holds only [-._a-zA-Z0-9]: MODEL.VERSION for a Job's version.
            sink.publish(node() if only is None else only.replace("/", "."), text)
        except OSError as err:
            log("warning", f"status not reported: {err}")
    return all(s.state != "Failed" for s in statuses)


def guarded_pass(desired: stage_desired.Desired, opts: Options, ttl: float, sink: Sink | None,
                 only: str | None = None) -> bool:
    """One pass; a model root that cannot be used (not a directory, full, read-only) is a failed pass."""
    try:
        return one_pass(desired, opts, ttl, sink, only)
    except OSError as e:
        log("error", f"model root {desired.root} unusable: {e.strerror or e} ({e.__class__.__name__})")
        return False


def main(argv: list[str] | None = None) -> int:
    args = arguments(sys.argv[1:] if argv is None else argv)
    os.umask(0o022)
    set_node(args.node)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    opts = Options(args.attempts, args.backoff_initial, args.backoff_max, args.lock_timeout, args.timeout,
                   args.ca_file)
    sink = None
    if args.report_configmap:
        namespace, name = args.report_configmap.split("/")
        sink = ConfigMapSink(namespace, name, args.kube_api, args.service_account_dir)
    try:
        desired = stage_desired.load(args.desired)
    except stage_desired.DesiredError as e:
        print(e, file=sys.stderr)
        return 2
    if args.only is not None and not any(f"{e.model}/{e.version}" == args.only for e in desired.entries):
        print(f"{args.desired}:1:1: error [stage-desired] --only {args.only}: not a desired version", file=sys.stderr)
        return 2
    if args.once:
        return 0 if guarded_pass(desired, opts, args.owner_ttl, sink, args.only) else 1
    failures = 0
    while True:
        ok = guarded_pass(desired, opts, args.owner_ttl, sink, args.only)
        failures = 0 if ok else failures + 1
        delay = args.interval if ok else backoff(failures, opts)
        log("info", f"next pass in {delay:.0f}s (or when the desired state changes)")
        desired = _wait(args.desired, desired, delay)


def _wait(path: str, current: stage_desired.Desired, delay: float) -> stage_desired.Desired:
    """Sleep up to ``delay`` seconds, returning early with the new desired state when it changes."""
    seen = _digest(path)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
        now = _digest(path)
        if now != seen:
            seen = now
            try:
                return stage_desired.load(path)
            except stage_desired.DesiredError as e:
                log("error", f"{e}; keeping the previous desired state")
    try:
        return stage_desired.load(path)
    except stage_desired.DesiredError as e:
        log("error", f"{e}; keeping the previous desired state")
        return current


def _digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
