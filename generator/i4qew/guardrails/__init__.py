"""Platform guardrails: what a workload may run with, per namespace (i4qew.yaml
`spec.guardrails`), and the pod security the charts actually render.

    model.py     the guardrails of i4qew.yaml as typed values; the built-in default
    security.py  the pod and container securityContext a workload deploys with
    pss.py       the Pod Security Standards level a rendered pod meets, check by check
    diff.py      what changed in the guardrails between two revisions (plan --base)

Pure and below the model (which holds a `Guardrails`), the rules and the
compilers: they all judge with the same functions. The problem lines of
`plan --base` are rules/guard_changes.py.
"""
