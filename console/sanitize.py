"""Old path of `console.render.sanitize`, kept only until benchmarks/bench_queue.py moves.

Nothing in the console imports it; delete it when the benchmarks import the new path.
"""

from console.render.sanitize import safe_text, sanitize

__all__ = ["safe_text", "sanitize"]
