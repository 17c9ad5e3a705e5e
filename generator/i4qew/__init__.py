"""i4qew: place and deploy AI workloads on ACM-managed edge clusters through GitOps."""

from __future__ import annotations

__version__ = "0.2.0"
