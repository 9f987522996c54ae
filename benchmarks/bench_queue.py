"""How fast the console's queue draws, against Textual's DataTable on the same data.

Run: `python benchmarks/bench_queue.py` (10,000 and 100,000 rows, about 4
minutes on two cores) or `python benchmarks/bench_queue.py --quick` (2,000
rows, 50 presses per key, 1.5 s of events: about half a minute).

What it measures. Each widget runs in a process of its own (so one's memory
is not the other's), inside `App.run_test(size=(160, 50))` with a driver that
does what a terminal driver does, short of the terminal: Textual's headless
driver skips encoding frames, so this one says it is not headless and counts
the bytes of every frame instead (the encoding is part of a frame's cost).
A frame is a call of `App._display` that wrote bytes; `post_display_hook`
timestamps it. Both widgets fill the screen and show the same six columns
(status glyph, waiting time, name, flags, holder, preview) of the same
deterministic conversations (mixed statuses, names, previews, waiting times
from seconds to days).

The snapshot reaches both widgets as it reaches the console: in pages, as
`GET /v1/conversations` sends them (longest waiting first; 500 conversations,
then 1,000 a page), one message per page. In-process the pages are the JSON
the API would send, made before the app starts; each is parsed on the app's
loop when it is handed over (the client's `validate_json`, the console's own
work) and posted with one turn of the event loop between pages (an instant
network); on loopback a task pages through the API and posts each page as it
arrives. Either way the next page waits until the first one is drawn, as the
console's worker does.

- QueueList: the real `console.widgets.queue_list.QueueList` over a
  `QueueState`; the bench subclass only notes which row version each line
  drew. Pages go through `begin_reload`/`add_page`/`end_reload`, events
  through `QueueState.apply(event)`, both then `QueueList.changed` (a page
  with `now=True`); as the console's app does.
- DataTable: one `add_row(..., key=id)` per conversation (cells are `Text`,
  as untrusted text must be; column widths fixed, so it measures no cell),
  cursor_type "row"; an event validates the summary and `update_cell`s the
  cells that changed, by key. It never moves a row (DataTable cannot insert
  at a position: each page is appended, in queue order within the page),
  so it does less than QueueList, which keeps the order.
- floor (keys only): `FloorList`, a ScrollView with the same cursor keys
  whose lines are 64 strips made once, and no scrollbar. A key's frame there
  costs only what Textual does to put 160×50 cells on screen, so DataTable's
  time over the floor's is the most any Textual widget could beat it by.

Figures:

- first full frame: the app is already up with an empty widget; from
  parsing the first page (500 conversations; on loopback, from the moment
  it was parsed) to the first frame after
  every visible line was drawn with a row. The issue's target (≤ 500 ms at
  100k) is for this.
- whole snapshot in: from the same moment to the first frame after the last
  page was folded in (every conversation is in the list). In-process this
  is the widget's own cost; on loopback it includes the HTTP requests.
- keystroke to frame: a `Key` event sent through the driver, as a terminal's
  input thread does, to the first frame after the cursor moved; 200 presses
  of down and 200 of pagedown, each from an idle app (30 ms apart). The
  presses start at the top, so after the first screenful every down scrolls
  the window by a line, as holding the key does.
- event to frame: 1,000 `conversation.updated` events a second for 3 s; a
  tenth of them change a row on screen (preview text; the row keeps its
  place), the rest hit random rows (two thirds new preview, one third a
  customer who waits again or was answered: QueueList moves those rows). For
  every event on a visible row, from the moment it was due to the first
  frame that drew that row at that version. In-process the producer is a task
  on the app's event loop on an absolute schedule, so a busy loop delays it
  and the delay counts. On loopback the backend runs in its own process on
  127.0.0.1 (seeded with direct SQL inside `store.transaction()`, for speed);
  a producer task there updates conversations through the store, five per
  transaction (`update_conversation` + `publish_conversation`, so each event
  pays the SQLite commit, the hub, SSE and the socket), and the console reads
  `/v1/events` with `AsyncBackendClient.events()` and applies each event as it
  arrives; the latency runs from the event's `at` (stamped by the backend) to
  the frame, on the wall clock both processes share. The loopback run loads
  its snapshot through the API, and runs at the smallest size only.
- RSS: VmRSS once the whole snapshot is in minus VmRSS before the app was
  made (the pages' JSON already built, and held until RSS is read, so they
  are in both), and the peak (VmHWM, reset at the baseline) minus the same
  baseline. The JSON's size is shown on its own line for scale. The
  DataTable target keeps the parsed summaries (it diffs cells against
  them); QueueState keeps slim rows of its own and, as the app does, drops
  each page once it is folded in. The longest garbage-collector pause
  (`gc.callbacks`) while the app ran is printed too.

Where things are: this script parses the arguments and prints; `queue_data`
(the conversations, wire pages, update plans, `Result`), `queue_targets` (the
three widgets behind one interface), `queue_app` (the app that stamps frames,
and one child's run), `queue_server` (the loopback backend), `queue_report`
(the child processes and the tables); `harness` and `frames` are shared with
the other benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

from queue_app import run_one
from queue_data import RATE, RUN, SIZE, Result
from queue_report import child, floor_lines, loopback_lines, table
from queue_server import serve
from queue_targets import TARGETS


def main(sizes: list[int], loopback_rows: int | None) -> None:
    """Every child, then the figures."""
    epoch = time.time()
    largest = max(sizes)
    print(
        f"Queue at {SIZE[0]}×{SIZE[1]}, {RATE:,} events/s for {RUN.event_seconds:g} s, "
        f"{RUN.samples} presses per key; each widget in its own process "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start)."
    )
    print("Ratio = DataTable / QueueList (higher is better for QueueList).")
    started = time.monotonic()
    for rows in sizes:
        ql = child("queuelist", rows, epoch, loopback=False)
        dt = child("datatable", rows, epoch, loopback=False)
        floor = child("floor", rows, epoch, loopback=False)
        print(f"\n{rows:,} conversations, events in-process")
        print("\n".join(table(ql, dt, largest)))
        print("\n".join(floor_lines(floor, dt)))
    if loopback_rows:
        ql = child("queuelist", loopback_rows, epoch, loopback=True)
        dt = child("datatable", loopback_rows, epoch, loopback=True)
        print(
            f"\n{loopback_rows:,} conversations, events from the backend on loopback "
            "(its own process; snapshot through the API)"
        )
        print("\n".join(loopback_lines(ql, dt)))
    print(f"\n(total {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--quick", action="store_true", help="2,000 rows only (about 30 s)")
    parser.add_argument("--no-loopback", action="store_true", help="skip the loopback run")
    parser.add_argument("--one", choices=sorted(TARGETS), help=argparse.SUPPRESS)
    parser.add_argument("--loopback", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--epoch", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--samples", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [2_000] if args.quick else [int(size) for size in args.rows.split(",")]
    if args.quick:
        RUN.samples, RUN.event_seconds = 50, 1.5
    RUN.samples = args.samples or RUN.samples
    RUN.event_seconds = args.seconds or RUN.event_seconds
    if args.serve:
        serve(sizes[0], args.epoch, args.port, Path(args.db))
    elif args.one:
        mode = "loopback" if args.loopback else "in-process"
        outcome = Result(args.one, sizes[0], mode)
        asyncio.run(run_one(args.one, sizes[0], args.epoch, args.loopback, outcome))
        print("RESULT " + json.dumps(outcome.__dict__), flush=True)
    else:
        main(sizes, None if args.no_loopback else min(sizes))
