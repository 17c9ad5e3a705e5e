"""Ids reported before the rules run: by the loader, the JSON Schema check and the
model build. Registered here so `docs/rules.md` and the corpus cover them too."""

from __future__ import annotations

from i4qew.rules.registry import describe

# workloads/app.yaml of the example repository (rules/examples.py) written out whole, for
# the examples that are about the text of a file rather than its values
_APP = (
    "# workloads/app.yaml (the whole file)\n"
    "apiVersion: edge.i4q.eu/v1alpha1\n"
    "kind: Workload\n"
    "metadata: {name: app, namespace: plant}\n"
    "spec:\n"
    "  image: registry.example.com/plant/app:1.0.0\n"
    "  placement: edge\n"
)

describe("repository-missing", "the repository root holds an i4qew.yaml", stage="load",
         passing=(
             "# i4qew.yaml\n"
             "metadata: {name: plant}   # at the root of the repository"
         ),
         failing="# i4qew.yaml (removed)")
describe("unsafe-path", "declarations are plain files inside the repository: symlinks are refused, not followed; "
         "file and folder names are UTF-8 without control, line-break or bidi characters",
         stage="load",
         passing=(
             "# workloads/app.yaml\n"
             "metadata: {name: app}   # a regular file"
         ),
         failing="# workloads/shared.yaml (a symlink to ../../shared/app.yaml)")
describe("file-too-large", "a declaration file is at most 16 MiB (an inventory file 64 MiB)", stage="load",
         passing="workloads/app.yaml   # a few KiB",
         failing="workloads/huge.yaml  # 17 MiB",
         not_run="a 17 MiB example cannot be shown; tests/corpus/test_cases.py (huge-file) writes a sparse "
                 "file one byte over the limit")
describe("unreadable", "every declaration file can be read and is a regular file", stage="load",
         passing=(
             "# workloads/app.yaml\n"
             "metadata: {name: app}   # a regular, readable file"
         ),
         failing="# workloads/pipe.yaml (a FIFO)")
describe("encoding", "files are UTF-8 text: no NUL bytes, no invalid UTF-8, no UTF-16, no control characters",
         stage="load",
         passing=(
             "# workloads/app.yaml\n"
             "metadata:\n"
             "  annotations: {example.com/note: caffè}   # UTF-8"
         ),
         failing=(
             "# workloads/app.yaml (Latin-1)\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: Workload\n"
             "metadata: {name: app, namespace: plant, annotations: {example.com/note: caffè}}   # è is the byte 0xe8\n"
             "spec: {image: registry.example.com/plant/app:1.0.0, placement: edge}"
         ))
describe("yaml-syntax", "files parse as YAML 1.2 (tabs never indent; nesting at most 64 levels)", stage="load",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  replicas: 2"
         ),
         failing=(
             _APP +
             "\treplicas: 2   # a tab indents"
         ))
describe("yaml-alias-limit", "aliases expand to at most 100,000 nodes and add at most 1 MiB of text to a file: "
         "alias bombs are refused before they reach a check or a chart",
         stage="load",
         passing=(
             _APP +
             "  resources:\n"
             "    requests: &small {cpu: 100m, memory: 128Mi}\n"
             "    limits: *small"
         ),
         failing=(
             "# workloads/lol.yaml\n"
             "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
             "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
             "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
             "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
             "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
             "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]   # 9^6 = 531,441 strings: a billion laughs, cut short"
         ))
describe("duplicate-key", "a key appears once per mapping (the problem points at the repeated key)", stage="load",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  replicas: 1"
         ),
         failing=(
             _APP +
             "  replicas: 1\n"
             "  replicas: 2"
         ))
describe("yamllint", "with a yamllint config at the repository root (.yamllint, .yamllint.yaml, .yamllint.yml), "
         "`i4qew validate` reports its findings on i4qew.yaml, workloads/, policies/, models/ and clusters/ "
         "(the message ends with yamllint's rule; syntax errors and lines i4qew already faults are not repeated)",
         stage="load",
         passing=(
             "# .yamllint\n"
             "extends: default\n"
             "rules:\n"
             "  document-start: disable\n"
             "  line-length: {max: 120}"
         ),
         failing=(
             "# .yamllint\n"
             "extends: default\n"
             "rules:\n"
             "  document-start: disable\n"
             "  line-length: {max: 120}\n"
             "# workloads/web.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: Workload\n"
             "metadata: {name: web, namespace: plant}\n"
             "spec:\n"
             "  image: registry.example.com/plant/web:1.0.0\n"
             "  placement:   edge   # too many spaces after colon (colons)"
         ))
describe("yaml-type", "mapping keys are strings; numbers fit in 64 bits; no .nan or .inf", stage="load",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  env: [{name: PORT, value: \"8080\"}]"
         ),
         failing=(
             _APP +
             "  nodeSelector: {8080: http}   # a number as a key"
         ))
describe("document-type", "each YAML document is a mapping (apiVersion, kind, metadata, spec)", stage="load",
         passing=_APP,
         failing=(
             "# workloads/app.yaml (the whole file)\n"
             "- apiVersion: edge.i4q.eu/v1alpha1\n"
             "  kind: Workload\n"
             "  metadata: {name: app, namespace: plant}\n"
             "  spec: {image: registry.example.com/plant/app:1.0.0, placement: edge}"
         ))
describe("api-version", "apiVersion is edge.i4q.eu/v1alpha1", stage="schema",
         passing=(
             "# workloads/app.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "apiVersion: edge.i4q.eu/v1"
         ))
describe("unknown-kind", "kind is Repository, Workload, PlacementPolicy or Model", stage="schema",
         passing=(
             "# workloads/app.yaml\n"
             "kind: Workload"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "kind: Workloads   # did you mean 'Workload'?"
         ))
describe("unknown-field", "no field outside the kind's schema (with a \"did you mean\")", stage="schema",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  replicas: 2"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  replica: 2   # did you mean 'replicas'?"
         ))
describe("missing-field", "required fields are present (a Workload's namespace may come from spec.defaults)",
         stage="schema",
         passing=(
             "# workloads/web.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: Workload\n"
             "metadata: {name: web, namespace: plant}\n"
             "spec:\n"
             "  image: registry.example.com/plant/web:1.0.0\n"
             "  placement: edge"
         ),
         failing=(
             "# workloads/web.yaml\n"
             "apiVersion: edge.i4q.eu/v1alpha1\n"
             "kind: Workload\n"
             "metadata: {name: web, namespace: plant}\n"
             "spec:\n"
             "  image: registry.example.com/plant/web:1.0.0   # no placement"
         ))
describe("schema", "values have the schema's type, enum or bounds (numbers where text is expected must be quoted)",
         stage="schema",
         passing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  model: {name: detector, version: \"1\", mountPath: /models}"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  model: {name: detector, version: 1, mountPath: /models}   # quote it"
         ))
describe("selector-syntax", "label selectors parse (kubectl syntax or matchLabels/matchExpressions); the column "
         "points inside the string", stage="build",
         passing=(
             "# policies/edge.yaml\n"
             "spec:\n"
             "  selector: \"site in (bologna, porto), !decommissioned\""
         ),
         failing=(
             "# policies/edge.yaml\n"
             "spec:\n"
             "  selector: \"site in bologna\""
         ))
describe("config-file", "spec.config.files name regular files inside the repository (no '..', no symlinks, "
         "UTF-8, at most 512 KiB)", stage="build",
         passing=(
             "# workloads/files/app.conf\n"
             "threshold = 0.5\n"
             "# workloads/app.yaml\n"
             "spec:\n"
             "  config: {mountPath: /etc/app, files: {app.conf: workloads/files/app.conf}}"
         ),
         failing=(
             "# workloads/app.yaml\n"
             "spec:\n"
             "  config: {mountPath: /etc/app, files: {app.conf: ../secrets/app.conf}}"
         ))
