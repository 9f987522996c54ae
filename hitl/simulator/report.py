"""`hitl simulate`: the engine with a live progress display, then a summary table."""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Sequence

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from hitl.simulator.engine import SimulationStats, simulate

UNREACHABLE_AFTER = 5
"""`run_cli` gives up after this many connection errors without one success."""


def run_cli(
    url: str,
    customers: int = 20,
    rate: float = 1.0,
    duration: float | None = None,
    chats: int | None = None,
    seed: int = 0,
) -> int:
    """`hitl simulate`: run the simulator with a live display, then print a summary.

    Progress goes to stderr, the summary table to stdout. Ctrl-C stops the
    run and still prints the summary. Returns 0, or 1 when not one call to
    the backend succeeded (for instance when nothing listens at `url`).
    """
    progress = Console(stderr=True)
    latest = SimulationStats()
    interrupted = False
    unreachable = False

    async def main() -> None:
        nonlocal latest, unreachable
        task: asyncio.Task[SimulationStats] | None = None

        def show(stats: SimulationStats) -> None:
            nonlocal latest, unreachable
            latest = stats
            live.update(_progress_view(url, stats))
            # Without this a run with no end would retry a dead URL forever.
            if (
                task is not None
                and stats.all_failed
                and stats.errors["ConnectionLostError"] >= UNREACHABLE_AFTER
            ):
                unreachable = True
                task.cancel()

        with Live(_progress_view(url, latest), console=progress, transient=True) as live:
            task = asyncio.create_task(
                simulate(
                    url,
                    customers=customers,
                    rate=rate,
                    duration=duration,
                    chats=chats,
                    seed=seed,
                    on_progress=show,
                )
            )
            try:
                latest = await task
            except asyncio.CancelledError:
                if not unreachable:
                    raise

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        interrupted = True
    Console().print(_summary(latest, interrupted=interrupted))
    if latest.all_failed:
        progress.print(Text(_failure_line(url, latest), style="red"))
        return 1
    return 0


def _progress_view(url: str, stats: SimulationStats) -> Group:
    return Group(
        Text.assemble("simulating customers at ", (url, "bold"), ("  Ctrl-C to stop", "dim")),
        Text(
            f"chats {stats.chats_started} · messages {stats.messages_sent} · "
            f"replies {stats.replies_seen} · errors {stats.errors.total()} · "
            f"{_duration(stats.elapsed)}"
        ),
    )


def _summary(stats: SimulationStats, *, interrupted: bool) -> Group:
    title = "simulation (stopped)" if interrupted else "simulation"
    totals = Table(title=title, show_header=False, title_justify="left")
    totals.add_column("what")
    totals.add_column("value", justify="right")
    rows = [
        ("chats started", str(stats.chats_started)),
        ("chats finished", str(stats.chats_finished)),
        ("chats shown the AI disclosure", str(stats.chats_greeted)),
        ("chats with a reply", str(stats.chats_answered)),
        ("messages sent", str(stats.messages_sent)),
        ("replies seen", str(stats.replies_seen)),
        ("errors", str(stats.errors.total())),
        ("first reply, median", _latency(stats.first_reply_latencies, 0.5)),
        ("first reply, p90", _latency(stats.first_reply_latencies, 0.9)),
        ("elapsed", _duration(stats.elapsed)),
    ]
    for what, value in rows:
        totals.add_row(what, value)
    parts: list[Table] = [totals]
    if stats.by_kind:
        kinds = Table(title="chats by kind", title_justify="left")
        kinds.add_column("kind")
        kinds.add_column("chats", justify="right")
        for kind, chats in sorted(stats.by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
            kinds.add_row(kind, str(chats))
        parts.append(kinds)
    if stats.errors:
        errors = Table(title="errors", title_justify="left")
        errors.add_column("type")
        errors.add_column("count", justify="right")
        errors.add_column("last message")
        for name, count in stats.errors.most_common():
            # Server messages can echo customer text: never let Rich or the
            # terminal interpret them.
            errors.add_row(name, str(count), Text(_printable(stats.last_error.get(name, ""))))
        parts.append(errors)
    return Group(*parts)


def _failure_line(url: str, stats: SimulationStats) -> str:
    if stats.errors["ConnectionLostError"]:
        return f"error: cannot reach the hitl backend at {url}"
    name, count = stats.errors.most_common(1)[0]
    detail = _printable(stats.last_error.get(name, ""))
    return f"error: every request to {url} failed ({count}× {name}: {detail})"


def _latency(values: Sequence[float], quantile: float) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        value = values[0]
    else:
        value = statistics.quantiles(values, n=100, method="inclusive")[round(quantile * 100) - 1]
    # Without a human in the loop replies take milliseconds; with one, seconds.
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _printable(text: str, limit: int = 120) -> str:
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m hitl.simulator`: the same as `hitl simulate`."""
    parser = argparse.ArgumentParser(
        prog="python -m hitl.simulator", description="Simulate customers chatting."
    )
    parser.add_argument("--url", required=True, help="the backend's base URL")
    parser.add_argument("--customers", type=int, default=20, help="chats at once (20)")
    parser.add_argument("--rate", type=float, default=1.0, help="new chats per second (1)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--chats", type=int, help="stop after this many chats")
    parser.add_argument("--seed", type=int, default=0, help="picks the scenarios (0)")
    args = parser.parse_args(argv)
    return run_cli(args.url, args.customers, args.rate, args.duration, args.chats, args.seed)
