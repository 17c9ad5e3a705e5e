#!/bin/sh
# i4qew model gate: an init container that lets a pod start only when each model version it
# needs is staged on this node with the declared digest (docs/model-index.md).
#
#   gate.sh MODEL VERSION DIGEST [MODEL VERSION DIGEST ...]
#
# DIGEST is sha256:<64 hex>: the OCI manifest digest, or the sha256 of an https file; or
# `any` where the workload declares no pin (an external distributor's version without a
# source, or an OCI tag the stager follows): then any valid marker for the version passes.
# Environment:
#   I4QEW_MODEL_ROOT        the model root as mounted in this container (default /i4qew/models)
#   I4QEW_NODE_NAME         the node, for the log (downward API spec.nodeName)
#   I4QEW_GATE_TIMEOUT      seconds to wait before failing (default 300); the kubelet then
#                           restarts the init container with its own back-off
#   I4QEW_GATE_BACKOFF_MAX  longest pause between checks in seconds (default 30); pauses
#                           double from 1 s
#   I4QEW_TERMINATION_LOG   where the last failure is also written (default
#                           /dev/termination-log, if writable): `kubectl describe pod` shows it
# Exit status: 0 ready, 1 not ready within the timeout, 2 bad arguments or environment.
# POSIX sh and busybox: no bash, no jq.
set -u

root=${I4QEW_MODEL_ROOT:-/i4qew/models}
node=${I4QEW_NODE_NAME:-unknown-node}
limit=${I4QEW_GATE_TIMEOUT:-300}
maxdelay=${I4QEW_GATE_BACKOFF_MAX:-30}
termlog=${I4QEW_TERMINATION_LOG:-/dev/termination-log}
marker=.i4qew-ready

say() { printf 'i4qew-gate: %s\n' "$*" >&2; }
usage() { say "error: $*"; say "usage: gate.sh MODEL VERSION sha256:<64 hex>|any [MODEL VERSION DIGEST ...]"; exit 2; }

is_count() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
is_name() {
  case $1 in '' | .* | *[!A-Za-z0-9._-]*) return 1 ;; esac
  [ "${#1}" -le 128 ]
}
is_digest() {
  [ "$1" = any ] && return 0
  case $1 in sha256:*) ;; *) return 1 ;; esac
  hex=${1#sha256:}
  case $hex in *[!0-9a-f]*) return 1 ;; esac
  [ "${#hex}" -eq 64 ]
}

is_count "$limit" || usage "I4QEW_GATE_TIMEOUT must be whole seconds, not '$limit'"
is_count "$maxdelay" && [ "$maxdelay" -ge 1 ] || usage "I4QEW_GATE_BACKOFF_MAX must be whole seconds >= 1"
[ $# -ge 3 ] && [ $(($# % 3)) -eq 0 ] || usage "expected MODEL VERSION DIGEST triples, got $# arguments"
n=0
for a in "$@"; do
  case $((n % 3)) in
    0 | 1) is_name "$a" || usage "'$a' is not a model or version name" ;;
    2) is_digest "$a" || usage "'$a' is not sha256:<64 lowercase hex> or any" ;;
  esac
  n=$((n + 1))
done

# check MODEL VERSION DIGEST: 0 when ready, else 1 with $reason set
check() {
  dir=$root/$1/$2
  if [ ! -d "$dir" ]; then
    reason="absent: no directory $dir"; return 1
  fi
  if [ ! -f "$dir/$marker" ]; then
    reason="absent: $dir has no $marker (not staged yet, or still staging)"; return 1
  fi
  if ! head -n 1 "$dir/$marker" | grep -qx 'format=i4qew.model-ready/v1'; then
    reason="unreadable marker: $dir/$marker does not start with format=i4qew.model-ready/v1"; return 1
  fi
  got=$(sed -n 's/^digest=//p' "$dir/$marker" | head -n 1)
  mm=$(sed -n 's/^model=//p' "$dir/$marker" | head -n 1)
  mv=$(sed -n 's/^version=//p' "$dir/$marker" | head -n 1)
  if [ "$mm" != "$1" ] || [ "$mv" != "$2" ]; then
    reason="marker mismatch: $dir/$marker is for model '$mm' version '$mv'"; return 1
  fi
  if [ "$3" = any ]; then
    case $got in sha256:*) ;; *) reason="unreadable marker: $dir/$marker has no sha256 digest"; return 1 ;; esac
  elif [ "$got" != "$3" ]; then
    reason="digest mismatch: the marker has ${got:-no digest}, the workload declares $3"; return 1
  fi
  return 0
}

waited=0
delay=1
while :; do
  missing=
  i=0
  for a in "$@"; do
    i=$((i + 1))
    case $((i % 3)) in
      1) model=$a ;;
      2) version=$a ;;
      0)
        if ! check "$model" "$version" "$a"; then
          missing="model $model version $version is not ready on node $node: $reason"
          break
        fi
        ;;
    esac
  done
  if [ -z "$missing" ]; then
    i=0
    for a in "$@"; do
      i=$((i + 1))
      case $((i % 3)) in
        1) model=$a ;;
        2) version=$a ;;
        0)
          pin=$a
          [ "$a" = any ] && pin="$(sed -n 's/^digest=//p' "$root/$model/$version/$marker" | head -n 1), not pinned"
          say "ready: model $model version $version ($pin) on node $node"
          ;;
      esac
    done
    exit 0
  fi
  if [ "$waited" -ge "$limit" ]; then
    say "error: $missing; gave up after ${waited}s (I4QEW_GATE_TIMEOUT=$limit), the pod restarts this check"
    if [ -w "$termlog" ]; then printf '%s\n' "$missing" >"$termlog" 2>/dev/null || :; fi
    exit 1
  fi
  [ $((waited + delay)) -gt "$limit" ] && delay=$((limit - waited))
  say "waiting: $missing; next check in ${delay}s (${waited}s of ${limit}s)"
  sleep "$delay"
  waited=$((waited + delay))
  delay=$((delay * 2))
  [ "$delay" -gt "$maxdelay" ] && delay=$maxdelay
done
