"""Environment branches: publish and promote with git plumbing, never a force push.

    publish.py   the checked-out commit, rendered, as one commit on an environment branch
    promote.py   the source commit a branch was built from, rendered for the next environment
    land.py      the attempt loop: read the remote head, decide, commit, push, retry
    branch.py    drift: the head against the last genuine i4qew commit
    trailers.py  what i4qew writes into its commits and how it recognises them
    objects.py   blob and tree ids in memory; only missing objects written (fast-import, mktree)
    source.py    the source commit's inputs and their fingerprint
    remote.py    ls-remote / fetch / push and their failures (exit 4)
    credentials.py  tokens only through the environment (redaction: i4qew.text.redact)
    git.py       the one way gitops runs git (plumbing, C locale, no prompts, stderr redacted)
    identity.py  author and committer
    settings.py  i4qew.yaml as of a commit
    rendering.py the render of a source commit (validation, compile) as gitops needs it
    charts.py    promotion's check that charts differ only in environment values
    describe.py  the promotion merge request's description
See docs/gitops.md.
"""
