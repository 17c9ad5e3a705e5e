"""Ids reported before the rules run: by the loader, the JSON Schema check and the
model build. Registered here so `docs/rules.md` and the corpus cover them too."""

from __future__ import annotations

from i4qew.rules.registry import describe

describe("repository-missing", "the repository root holds an i4qew.yaml", stage="load",
         passing="i4qew.yaml at the root of the repository",
         failing="no i4qew.yaml (run `i4qew init` to create one)")
describe("unsafe-path", "declarations are plain files inside the repository: symlinks are refused, not followed; "
         "file and folder names are UTF-8 without control, line-break or bidi characters",
         stage="load",
         passing="workloads/app.yaml   # a regular file",
         failing="workloads/app.yaml -> ../../etc/app.yaml   # a symlink")
describe("file-too-large", "a declaration file is at most 16 MiB (an inventory file 64 MiB)", stage="load",
         passing="workloads/app.yaml   # a few KiB",
         failing="workloads/huge.yaml  # 17 MiB")
describe("unreadable", "every declaration file can be read and is a regular file", stage="load",
         passing="workloads/app.yaml   # a regular, readable file",
         failing="workloads/pipe.yaml  # a FIFO")
describe("encoding", "files are UTF-8 text: no NUL bytes, no invalid UTF-8, no UTF-16, no control characters",
         stage="load",
         passing="name: caffè          # UTF-8",
         failing="name: caff\\xe8       # Latin-1 byte")
describe("yaml-syntax", "files parse as YAML 1.2 (tabs never indent; nesting at most 64 levels)", stage="load",
         passing="spec:\n  replicas: 2",
         failing="spec:\n\treplicas: 2   # a tab indents")
describe("yaml-alias-limit", "aliases expand to at most 100,000 nodes and add at most 1 MiB of text to a file: "
         "alias bombs are refused before they reach a check or a chart",
         stage="load",
         passing="defaults: &d {cpu: 100m}\nrequests: *d",
         failing='a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
                 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n...   # nine levels: a billion laughs")
describe("duplicate-key", "a key appears once per mapping (the problem points at the repeated key)", stage="load",
         passing="replicas: 1\nimage: app:1.0",
         failing="replicas: 1\nreplicas: 2")
describe("yamllint", "with a yamllint config at the repository root (.yamllint, .yamllint.yaml, .yamllint.yml), "
         "`i4qew validate` reports its findings on i4qew.yaml, workloads/, policies/, models/ and clusters/ "
         "(the message ends with yamllint's rule; syntax errors and lines i4qew already faults are not repeated)",
         stage="load",
         passing="# .yamllint: indentation: {indent-sequences: whatever}\nitems:\n- name: a   # kubectl's style",
         failing="# .yamllint: extends: default\nitems:\n- name: a   # wrong indentation (indentation)")
describe("yaml-type", "mapping keys are strings; numbers fit in 64 bits; no .nan or .inf", stage="load",
         passing='labels: {"8080": http}',
         failing="labels: {8080: http}")
describe("document-type", "each YAML document is a mapping (apiVersion, kind, metadata, spec)", stage="load",
         passing="apiVersion: edge.i4q.eu/v1alpha1\nkind: Workload\n...",
         failing="- apiVersion: edge.i4q.eu/v1alpha1\n  kind: Workload")
describe("api-version", "apiVersion is edge.i4q.eu/v1alpha1", stage="schema",
         passing="apiVersion: edge.i4q.eu/v1alpha1",
         failing="apiVersion: edge.i4q.eu/v1")
describe("unknown-kind", "kind is Repository, Workload, PlacementPolicy or Model", stage="schema",
         passing="kind: Workload",
         failing="kind: Workloads   # did you mean 'Workload'?")
describe("unknown-field", "no field outside the kind's schema (with a \"did you mean\")", stage="schema",
         passing="spec:\n  replicas: 2",
         failing="spec:\n  replica: 2   # did you mean 'replicas'?")
describe("missing-field", "required fields are present (a Workload's namespace may come from spec.defaults)",
         stage="schema",
         passing="spec:\n  image: app:1.0\n  placement: lrt",
         failing="spec:\n  image: app:1.0   # no placement")
describe("schema", "values have the schema's type, enum or bounds (numbers where text is expected must be quoted)",
         stage="schema",
         passing='model: {name: lrt-forecaster, version: "2"}',
         failing="model: {name: lrt-forecaster, version: 2}   # quote it")
describe("selector-syntax", "label selectors parse (kubectl syntax or matchLabels/matchExpressions); the column "
         "points inside the string", stage="build",
         passing='selector: "env=lrt, site in (bologna, haifa), !decommissioned"',
         failing='selector: "env=lrt, site in bologna"')
describe("config-file", "spec.config.files name regular files inside the repository (no '..', no symlinks, "
         "UTF-8, at most 512 KiB)", stage="build",
         passing="files: {app.yaml: workloads/files/app.yaml}",
         failing="files: {app.yaml: ../secrets/app.yaml}")
