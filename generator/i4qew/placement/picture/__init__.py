"""The placement picture: a plan aggregated by site (`aggregate.py`), rendered as one
self-contained page (`page.py`) and as a small SVG (`svg.py`). docs/plan-html.md."""
