"""bench_queue's parent side: one child process per measurement, and the tables."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from harness import HERE, ROOT, pct
from queue_data import CHILD_TIMEOUT, RUN, Result

BENCH = str(HERE / "bench_queue.py")
"""The script a child runs (with `--one`)."""


def child(kind: str, rows: int, epoch: float, loopback: bool) -> Result:
    """Run one measurement in a fresh process; its Result, or a note why there is none."""
    cmd = [sys.executable, BENCH, "--one", kind, "--rows", str(rows), "--epoch", str(epoch)]
    cmd += ["--samples", str(RUN.samples), "--seconds", str(RUN.event_seconds)]
    if loopback:
        cmd.append("--loopback")
    mode = "loopback" if loopback else "in-process"
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        return Result(kind, rows, mode, note=f"not measurable (> {CHILD_TIMEOUT:.0f} s)")
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return Result(**json.loads(line.removeprefix("RESULT ")))
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return Result(kind, rows, mode, note="failed: " + " | ".join(tail))


@dataclass
class Metric:
    """One line of the table."""

    name: str
    get: Callable[[Result], float | None]
    target: float | None
    unit: str
    compare: bool = True
    """False for context lines: no ratio, no 10× check."""


def metrics(rows: int, largest: int) -> list[Metric]:
    """The table's lines; absolute targets that the issue sets at 100k apply to the largest run."""
    at_top = rows == largest
    return [
        Metric("first full frame", lambda r: r.first_frame, 500 if at_top else None, "ms"),
        Metric("whole snapshot in", lambda r: r.snapshot_in, None, "ms"),
        Metric("down p50", lambda r: pct(r.down, 50), None, "ms"),
        Metric("down p95", lambda r: pct(r.down, 95), 20, "ms"),
        Metric("page-down p50", lambda r: pct(r.pagedown, 50), None, "ms"),
        Metric("page-down p95", lambda r: pct(r.pagedown, 95), 50, "ms"),
        Metric("event→frame p50", lambda r: pct(r.event, 50), None, "ms"),
        Metric("event→frame p99", lambda r: pct(r.event, 99), 50, "ms"),
        Metric("RSS above baseline", lambda r: r.rss_first, 150 if at_top else None, "MB"),
        Metric("  (the snapshot's JSON)", lambda r: r.rss_data, None, "MB", compare=False),
        Metric("peak RSS above baseline", lambda r: r.rss_peak, None, "MB"),
        Metric("longest GC pause", lambda r: r.gc_longest, None, "ms", compare=False),
    ]


def table(ql: Result, dt: Result, largest: int) -> list[str]:
    """The lines of one size's table."""
    head = f"{'metric':<26}{'QueueList':>12}{'DataTable':>12}{'ratio':>9}{'target':>10}  met?  10×?"
    lines = [head, "-" * len(head)]
    for metric in metrics(ql.rows, largest):
        q, d = metric.get(ql), metric.get(dt)
        ratio = d / q if q and d is not None and metric.compare else None
        target = f"≤{metric.target:g} {metric.unit}" if metric.target is not None else ""
        met = "" if metric.target is None or q is None else ("yes" if q <= metric.target else "NO")
        if not metric.compare:
            tenfold = ""
        elif d is None or ratio is None:
            tenfold = "n/a"
        else:
            tenfold = "yes" if ratio >= 10 else "no"
        lines.append(
            f"{metric.name:<26}{_cell(q)}{_cell(d)}"
            f"{(f'{ratio:.1f}×' if ratio is not None else '—'):>9}{target:>10}  {met:<4}  {tenfold}"
        )
    for result in (ql, dt):
        lines.append(_footnote(result))
    return lines


def _cell(value: float | None) -> str:
    return f"{value:>12.1f}" if value is not None else f"{'—':>12}"


def _footnote(result: Result) -> str:
    if result.note:
        return f"  {result.widget}: {result.note}"
    return (
        f"  {result.widget}: {result.events_visible} of {result.events_sent} events changed a "
        f"visible row, {result.events_not_drawn} of those never drawn; {result.frames} frames"
    )


def floor_lines(floor: Result, dt: Result) -> list[str]:
    """Textual's own cost of a key's frame, and so the best ratio any widget could reach."""
    if floor.note:
        return [f"  floor: {floor.note}"]
    lines = ["Textual's floor (FloorList: precomputed lines, no scrollbar), same keys, same start:"]
    for name, samples, theirs in (
        ("down", floor.down, dt.down),
        ("page-down", floor.pagedown, dt.pagedown),
    ):
        cells = []
        for q in (50, 95):
            mine, other = pct(samples, q), pct(theirs, q)
            if mine is None:
                continue
            best = f", DataTable / floor {other / mine:.1f}×" if other else ""
            cells.append(f"p{q} {mine:.1f} ms{best}")
        lines.append(f"  {name:<10} " + " · ".join(cells))
    return lines


def loopback_lines(ql: Result, dt: Result) -> list[str]:
    """The loopback section."""
    lines = []
    for name, get in (("first full frame", "first_frame"), ("whole snapshot in", "snapshot_in")):
        a, b = getattr(ql, get), getattr(dt, get)
        ratio = f"{b / a:.1f}×" if a and b is not None else "—"
        lines.append(f"{name:<26}{_cell(a)}{_cell(b)}{ratio:>9}")
    for name, q in (("p50", 50), ("p99", 99)):
        a, b = pct(ql.event, q), pct(dt.event, q)
        ratio = f"{b / a:.1f}×" if a and b is not None else "—"
        lines.append(f"{'event→frame ' + name:<26}{_cell(a)}{_cell(b)}{ratio:>9}")
    lines += [_footnote(ql), _footnote(dt)]
    return lines
