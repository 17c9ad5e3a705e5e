"""The adversarial corpus: small hostile repositories, built at test time.

Each entry adds files (or symlinks, FIFOs, sparse files) to the base repository of
tests/support/hostile/repo.py and says which rule ids its problem lines must carry — or, with
no rule, that it is accepted and must render safely. Large and binary inputs are
generated here, never committed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.hostile.repo import CONFIG_FILE

Build = Callable[[Path], None]
MB = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    category: str
    name: str
    build: Build
    rules: frozenset[str]  # rule ids the problem lines must include; empty: accepted, renders safely

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"


def wl(spec: str = "", *, name: str = "app", meta: str = "", namespace: str = "plant",
       image: str = "registry.example.com/plant/app:1.0.0") -> str:
    """A Workload in block style; `spec` and `meta` are extra lines, already indented."""
    return (f"apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\n{meta}spec:\n  image: {image}\n  placement: edge\n{spec}")


def put(rel: str, data: str | bytes) -> Build:
    def build(root: Path) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return build


def chain(*builds: Build) -> Build:
    def build(root: Path) -> None:
        for b in builds:
            b(root)
    return build


def sparse(rel: str, size: int) -> Build:
    """A file of `size` bytes that occupies no disk: a guard that reads it would hang the test."""
    def build(root: Path) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as f:
            f.truncate(size)
    return build


def symlink(rel: str, to: str, *, directory: bool = False) -> Build:
    """`rel` (replacing what the base repository has there) as a symlink to `to`."""
    def build(root: Path) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        target.symlink_to(to, target_is_directory=directory)
    return build


def fifo(rel: str) -> Build:
    def build(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / rel)
    return build


def config_ref(ref: str) -> Build:
    return put("workloads/app.yaml", wl(f"  config:\n    mountPath: /etc/app\n    files:\n      app.conf: {json.dumps(ref)}\n"))


def E(category: str, name: str, build: Build, *rules: str) -> Entry:
    return Entry(category, name, build, frozenset(rules))


# --- aliases -------------------------------------------------------------------------------------

def _laughs(levels: int) -> str:
    out = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, levels):
        out += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    return out


def _long_string_aliases(size: int, copies: int) -> str:
    refs = ", ".join(["*s"] * copies)
    return wl(f'  args: [&s "{"x" * size}", {refs}]\n')


def _doubling(levels: int, size: int) -> str:
    """Each level a list of two aliases of the one before: 2**levels copies of one string."""
    out = f'  command: &l0 ["{"y" * size}"]\n'
    for i in range(1, levels):
        out += f"  c{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n"
    return wl(out)


def _merge_bomb(levels: int) -> str:
    out = "base: &m0 {k: v}\n"
    for i in range(1, levels):
        out += f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}\n"
    return out


ALIASES = [
    E("alias", "billion-laughs", put("workloads/bomb.yaml", _laughs(10)), "yaml-alias-limit"),
    E("alias", "billion-laughs-in-i4qew-yaml", put("i4qew.yaml", _laughs(10)), "yaml-alias-limit"),
    E("alias", "long-string-x1000", put("workloads/app.yaml", _long_string_aliases(100_000, 1000)), "yaml-alias-limit"),
    E("alias", "nested-doubling-2^17", put("workloads/app.yaml", _doubling(17, 64)), "yaml-alias-limit"),
    E("alias", "nested-doubling-long-strings", put("workloads/app.yaml", _doubling(12, 4096)), "yaml-alias-limit"),
    E("alias", "merge-key-bomb", put("workloads/m.yaml", _merge_bomb(40)), "yaml-alias-limit"),
    E("alias", "alias-as-mapping-key", put("workloads/k.yaml", "a: &a [1, 2]\n? *a\n: x\n"), "yaml-type"),
    E("alias", "billion-laughs-inventory", put("clusters/bomb.yaml", _laughs(10)), "yaml-alias-limit"),
    E("alias", "small-anchors-accepted", put("workloads/app.yaml", _long_string_aliases(1000, 50))),
]

# --- sizes -------------------------------------------------------------------------------------

SIZES = [
    E("size", "sparse-100mb-workload", sparse("workloads/huge.yaml", 100 * MB), "file-too-large"),
    E("size", "sparse-100mb-i4qew-yaml", sparse("i4qew.yaml", 100 * MB), "file-too-large"),
    E("size", "sparse-100mb-inventory", sparse("clusters/huge.yaml", 100 * MB), "file-too-large"),
    E("size", "sparse-100mb-config-file", chain(sparse("workloads/files/big.bin", 100 * MB),
                                                config_ref("workloads/files/big.bin")), "config-file"),
    E("size", "fifo-declaration", fifo("workloads/pipe.yaml"), "unreadable"),
    E("size", "fifo-config-file", chain(fifo("workloads/files/pipe"), config_ref("workloads/files/pipe")),
      "config-file"),
]

# --- nesting (10,000 levels) ----------------------------------------------------------------------

N = 10_000
NESTING = [
    E("nesting", "flow-sequences", put("workloads/deep.yaml", "[" * N + "]" * N + "\n"), "yaml-syntax"),
    E("nesting", "flow-sequences-unclosed", put("workloads/deep.yaml", "[" * N + "\n"), "yaml-syntax"),
    E("nesting", "flow-mappings", put("workloads/deep.yaml", "{a: " * N + "}" * N + "\n"), "yaml-syntax"),
    E("nesting", "json-objects", put("workloads/deep.yaml", '{"a": ' * N + "1" + "}" * N + "\n"), "yaml-syntax"),
    E("nesting", "block-sequences", put("workloads/deep.yaml", "- " * N + "x\n"), "yaml-syntax"),
    # 10,000 levels of block mappings are 50 MB of indentation: the size guard refuses them
    E("nesting", "block-mappings-10000", put("workloads/deep.yaml", "".join(" " * i + "a:\n" for i in range(N))),
      "file-too-large"),
    E("nesting", "block-mappings-2000", put("workloads/deep.yaml", "".join(" " * i + "a:\n" for i in range(2000))),
      "yaml-syntax"),
    E("nesting", "under-spec", put("workloads/app.yaml", wl("  args: " + "[" * N + "]" * N + "\n")), "yaml-syntax"),
    E("nesting", "inventory", put("clusters/deep.yaml", "[" * N + "]" * N + "\n"), "yaml-syntax"),
]

# --- encodings ---------------------------------------------------------------------------------

APP = wl()
ENCODINGS = [
    E("encoding", "nul-byte", put("workloads/app.yaml", APP.encode().replace(b"kind:", b"ki\0nd:")), "encoding"),
    E("encoding", "invalid-utf8", put("workloads/app.yaml", APP.encode() + b"# caff\xe8\n"), "encoding"),
    E("encoding", "overlong-utf8", put("workloads/app.yaml", APP.encode() + b"# \xc0\xaf\n"), "encoding"),
    E("encoding", "utf8-encoded-surrogate", put("workloads/app.yaml", APP.encode() + b"# \xed\xa0\x80\n"), "encoding"),
    E("encoding", "utf16-le-bom", put("workloads/app.yaml", b"\xff\xfe" + APP.encode("utf-16-le")), "encoding"),
    E("encoding", "utf16-be-bom", put("workloads/app.yaml", b"\xfe\xff" + APP.encode("utf-16-be")), "encoding"),
    E("encoding", "utf16-no-bom", put("workloads/app.yaml", APP.encode("utf-16-le")), "encoding"),
    E("encoding", "utf32-le-bom", put("workloads/app.yaml", b"\xff\xfe\x00\x00" + APP.encode("utf-32-le")), "encoding"),
    E("encoding", "utf16-i4qew-yaml", put("i4qew.yaml", "kind: Repository\n".encode("utf-16")), "encoding"),
    E("encoding", "escape-control-char", put("workloads/app.yaml", APP + "# \x1b[31mred\n"), "encoding"),
    E("encoding", "c1-control-char", put("workloads/app.yaml", APP + "# \x9b31m\n"), "encoding"),
    E("encoding", "lone-surrogate-escape", put("workloads/app.yaml", wl('  args: ["\\ud800"]\n')), "yaml-syntax"),
    E("encoding", "bom-mid-file", put("workloads/app.yaml", APP + "\ufeff# x\n"), "yaml-syntax"),
    E("encoding", "utf8-bom-accepted", put("workloads/app.yaml", "\ufeff" + APP)),
    E("encoding", "escaped-nul-in-env-value", put("workloads/app.yaml", wl('  env: [{name: A, value: "a\\0b"}]\n'))),
    E("encoding", "line-separators-in-value",
      put("workloads/app.yaml", wl('  env: [{name: A, value: "a\\u2028b\\u2029c\\x85d"}]\n'))),
]

# --- keys that collide after normalisation ----------------------------------------------------------

KEYS = [
    E("keys", "image-case-space-fullwidth",
      put("workloads/app.yaml", wl('  Image: x\n  "image ": y\n  \uff49\uff4d\uff41\uff47\uff45: z\n')), "unknown-field"),
    E("keys", "duplicate-quoted", put("workloads/app.yaml", wl('  "image": x\n')), "duplicate-key"),
    E("keys", "duplicate-escaped", put("workloads/app.yaml", wl('  "im\\x61ge": x\n')), "duplicate-key"),
    E("keys", "duplicate-explicit", put("workloads/app.yaml", wl("  ? image\n  : x\n")), "duplicate-key"),
    E("keys", "duplicate-in-flow", put("workloads/app.yaml", wl("  resources: {limits: {cpu: 1, cpu: 2}}\n")),
      "duplicate-key"),
    E("keys", "env-zero-width-space",
      put("workloads/app.yaml", wl('  env:\n    - {name: FOO, value: a}\n    - {name: "FOO\\u200b", value: b}\n')),
      "env-name"),
    E("keys", "env-twice", put("workloads/app.yaml", wl("  env:\n    - {name: FOO, value: a}\n    - {name: FOO, value: b}\n")),
      "env-name"),
    E("keys", "label-fullwidth", put("workloads/app.yaml", wl(meta="  labels: {team: a, \uff54\uff45\uff41\uff4d: b}\n")),
      "name-format"),
    E("keys", "annotation-nfc-nfd", put("workloads/app.yaml", wl(meta='  annotations: {"caf\\u00e9": a, "cafe\\u0301": b}\n')),
      "name-format"),
    E("keys", "config-key-zero-width",
      put("workloads/app.yaml", wl('  config:\n    mountPath: /etc/app\n    data: {a.conf: x, "a.conf\\u200b": y}\n')),
      "config-key"),
    E("keys", "config-key-in-data-and-files",
      put("workloads/app.yaml", wl(f"  config:\n    mountPath: /etc/app\n    data: {{app.conf: x}}\n"
                                   f"    files: {{app.conf: {CONFIG_FILE}}}\n")), "config-key"),
    E("keys", "environment-case", put("workloads/app.yaml", wl("  environments:\n    Dev: {replicas: 2}\n")),
      "unknown-environment"),
]

# --- Unicode confusables -------------------------------------------------------------------------

CONFUSABLES = [
    E("confusable", "cyrillic-a-in-workload-name", put("workloads/app.yaml", wl(name="\u0430pp")), "name-format"),
    E("confusable", "cyrillic-e-in-policy-reference",
      put("workloads/app.yaml", wl().replace("placement: edge", "placement: \u0435dge")), "unknown-policy"),
    E("confusable", "cyrillic-e-in-policy-name",
      put("policies/edge.yaml", "apiVersion: edge.i4q.eu/v1alpha1\nkind: PlacementPolicy\nmetadata:\n"
                                "  name: \u0435dge\nspec:\n  selector: env=edge\n"), "name-format", "unknown-policy"),
    E("confusable", "greek-omicron-in-namespace", put("workloads/app.yaml", wl(namespace="pl\u03bfnt")), "name-format"),
    E("confusable", "cyrillic-in-env-name", put("workloads/app.yaml", wl("  env: [{name: T\u041eKEN_FILE, value: x}]\n")),
      "env-name"),
    E("confusable", "cyrillic-in-selector", put("policies/edge.yaml",
                                               "apiVersion: edge.i4q.eu/v1alpha1\nkind: PlacementPolicy\nmetadata:\n"
                                               "  name: edge\nspec:\n  selector: \"\u0435nv=edge\"\n"), "selector-syntax"),
    E("confusable", "fullwidth-digits-in-image-tag",
      put("workloads/app.yaml", wl(image="registry.example.com/plant/app:\uff11.0")), "image-reference"),
]

# --- paths and symlinks ------------------------------------------------------------------------------

PATHS = [
    E("path", "config-dotdot", config_ref("../outside.txt"), "config-file"),
    E("path", "config-absolute", config_ref("/etc/passwd"), "config-file"),
    E("path", "config-dotdot-inside", config_ref("workloads/files/../../../../etc/passwd"), "config-file"),
    E("path", "config-backslash", config_ref("workloads\\files\\app.conf"), "config-file"),
    E("path", "config-home", config_ref("~/.ssh/id_rsa"), "config-file"),
    E("path", "config-symlink-to-etc-passwd",
      chain(symlink("workloads/files/passwd", "/etc/passwd"), config_ref("workloads/files/passwd")), "config-file"),
    E("path", "config-through-symlinked-folder",
      chain(symlink("workloads/etc", "/etc", directory=True), config_ref("workloads/etc/passwd")), "unsafe-path",
      "config-file"),
    E("path", "config-folder", config_ref("workloads/files"), "config-file"),
    E("path", "config-missing", config_ref("workloads/files/nope.conf"), "config-file"),
    E("path", "config-dot-slash-accepted", chain(put("workloads/files/app.conf", "x = 1\n"),
                                                 config_ref("./workloads//files/app.conf"))),
    E("path", "workload-symlink-to-etc-passwd", symlink("workloads/passwd.yaml", "/etc/passwd"), "unsafe-path"),
    E("path", "workload-symlinked-folder", symlink("workloads/shared", "/etc", directory=True), "unsafe-path"),
    E("path", "workloads-folder-is-a-symlink",
      chain(put("elsewhere/app.yaml", APP), symlink("workloads", "elsewhere", directory=True)), "unsafe-path"),
    E("path", "policies-folder-symlink-outside", symlink("policies", "/etc", directory=True), "unsafe-path",
      "unknown-policy"),
    E("path", "inventory-symlink", symlink("clusters/c.yaml", "/etc/passwd"), "unsafe-path"),
    E("path", "i4qew-yaml-symlink", chain(put("real.yaml", "x: 1\n"), symlink("i4qew.yaml", "real.yaml")),
      "unsafe-path"),
    E("path", "newline-in-folder-name", put("workloads/a\nb/app.yaml", APP), "unsafe-path"),
    E("path", "dotdot-like-folder-name-accepted", put("workloads/..a../app.yaml", APP)),
]

CORPUS: list[Entry] = [*ALIASES, *SIZES, *NESTING, *ENCODINGS, *KEYS, *CONFUSABLES, *PATHS]
