"""Old path of `console.live.queue_state`, kept only until benchmarks/bench_queue.py moves.

Nothing in the console imports it; delete it when the benchmarks import the new path.
"""

from console.live.queue_state import QueueFilter, QueueRow, QueueState

__all__ = ["QueueFilter", "QueueRow", "QueueState"]
