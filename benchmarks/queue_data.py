"""bench_queue's data: the conversations, their wire pages, the update plans, the settings.

Deterministic for the same arguments, so every child process of a run (each
widget in its own) sees the same queue.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from backend_client import ConversationStatus, ConversationSummary, Flag, Page
from console.live.feed import FIRST_PAGE, PAGE


@dataclass
class Settings:
    """How long a run measures: the parent sets it from the command line, children get it too."""

    samples: int = 200
    """Key presses per key."""
    event_seconds: float = 3.0
    """How long the producer sends events."""


RUN = Settings()
"""This process's settings (`--quick`, `--samples`, `--seconds` change it)."""

SIZE = (160, 50)
KEY_GAP = 0.03
"""Idle time before each press, so each sample starts from a quiet app."""
RATE = 1_000
"""Events per second."""
VISIBLE_EVERY = 10
"""Every tenth event changes a row on screen."""
DRAIN = 2.0
"""How long after the last event a visible change may still reach a frame."""
LOAD_BUDGET = 60.0
"""A widget whose first frame takes longer than this is not measured further."""
CHILD_TIMEOUT = 240.0
"""The most one child process may take."""
PER_TRANSACTION = 5

FIRST_NAMES = "Ada Bo Chen Dana Emeka Farah Gus Hana Ivan Jo Kemal Lea Mia Noor Otto Pia".split()
LAST_NAMES = "Nguyen Smith Okafor Garcia Müller Rossi Tanaka Haddad Kowalski Silva Dubois".split()
PHRASES = [
    "Where is my order? It said two days and it has been a week",
    "I was charged twice for the same subscription this month",
    "Can I change the delivery address for order 4471?",
    "The app logs me out every time I open the settings page",
    "I'd like a refund for the damaged headphones, photos attached",
    "Thanks, that fixed it!",
    "Your last answer did not help at all, I want to talk to a person",
    "How do I export my invoices as PDF for my accountant?",
    "The discount code SPRING24 is not accepted at checkout",
    "Please delete my account and all data you hold about me",
]
STATUSES = [
    (ConversationStatus.BOT, 40),
    (ConversationStatus.AWAITING_REVIEW, 25),
    (ConversationStatus.ESCALATED, 15),
    (ConversationStatus.HUMAN, 20),
]
FLAGS = list(Flag)
COLUMNS = [("", 2), ("Waiting", 6), ("Name", 20), ("Flags", 16), ("Holder", 12)]
"""DataTable columns and widths, as QueueList lays them out; the preview takes the rest."""
GLYPHS = {
    ConversationStatus.BOT: ("·", "dim"),
    ConversationStatus.AWAITING_REVIEW: ("●", "yellow"),
    ConversationStatus.ESCALATED: ("▲", "bold red"),
    ConversationStatus.HUMAN: ("◆", "cyan"),
    ConversationStatus.CLOSED: ("✓", "green"),
}


# -- the data ----------------------------------------------------------------------


def build_summaries(
    rows: int, epoch: float, holders: list[str] | None = None
) -> list[ConversationSummary]:
    """`rows` open conversations, the same for the same arguments, parsed as the wire would."""
    return [ConversationSummary.model_validate(data) for data in summary_data(rows, epoch, holders)]


def summary_data(
    rows: int, epoch: float, holders: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The wire data of `build_summaries`, one conversation at a time.

    Conversations someone waits on wait from seconds to days; a lower index
    has waited longer, so the longest waiting are the first indices.
    """
    rng = random.Random(rows)
    holders = holders or ["op_alice", "op_bob", "op_carol", "op_dan", "op_eve"]
    now = datetime.fromtimestamp(epoch, UTC)
    step = min(2.0, 3 * 86_400 / max(rows, 1))
    statuses, weights = zip(*STATUSES, strict=True)
    for index in range(rows):
        status = rng.choices(statuses, weights)[0]
        waits = status is not ConversationStatus.BOT and rng.random() < 0.85
        waiting = now - timedelta(seconds=(rows - index) * step + 5) if waits else None
        created = now - timedelta(seconds=(rows - index) * step + 60 + rng.random() * 600)
        flags = (
            rng.sample(FLAGS, rng.randint(0, 2))
            if status is ConversationStatus.AWAITING_REVIEW
            else []
        )
        data = {
            "id": f"c{index:07d}",
            "status": status.value,
            "version": 1 + rng.randint(0, 6),
            "holder": rng.choice(holders) if status is ConversationStatus.HUMAN else None,
            "customer": {
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "email": f"customer{index}@example.com",
            },
            "waiting_since": waiting.isoformat() if waiting else None,
            "created_at": created.isoformat(),
            "updated_at": (created + timedelta(seconds=30)).isoformat(),
            "last_message": f"{rng.choice(PHRASES)} (#{index})",
            "flags": [flag.value for flag in flags],
        }
        yield data


WIRE_PAGE = TypeAdapter(Page[ConversationSummary])
"""How the client parses a page of `GET /v1/conversations` (`AsyncBackendClient._parse`)."""


def wire_pages(rows: int, epoch: float) -> list[bytes]:
    """The snapshot as `GET /v1/conversations` sends it: JSON pages in the server's order.

    500 conversations, then 1,000 a page, as the console asks for them.
    """
    data = list(summary_data(rows, epoch))
    data.sort(
        key=lambda d: (
            d["waiting_since"] is None,
            datetime.fromisoformat(d["waiting_since"] or d["created_at"]),
            datetime.fromisoformat(d["created_at"]),
            d["id"],
        )
    )
    cuts = [0, *range(FIRST_PAGE, len(data), PAGE), len(data)]
    return [
        json.dumps({"items": data[start:end], "next_cursor": None}).encode()
        for start, end in itertools.pairwise(cuts)
    ]


def top_ids(summaries: Iterable[ConversationSummary], count: int) -> list[str]:
    """The `count` longest waiting conversations: the top of the queue."""
    waiting = [s for s in summaries if s.waiting_since is not None]
    waiting.sort(key=lambda s: (s.waiting_since, s.updated_at, s.id))
    return [s.id for s in waiting[:count]]


def plan_updates(
    ids: list[str], top: list[str], count: int, seed: int = 1
) -> list[tuple[str, str]]:
    """`count` (conversation id, kind) updates: every tenth on screen, the rest anywhere.

    Kinds: `preview` (a new last message, the row keeps its place), `waits`
    (the customer writes again: waiting from now) and `answered` (nobody waits).
    """
    rng = random.Random(seed)
    on_screen = set(top)
    # The rest leave the top alone, so the rows on screen stay on screen.
    elsewhere = [cid for cid in ids if cid not in on_screen]
    plan = []
    for number in range(count):
        if number % VISIBLE_EVERY == 0:
            plan.append((top[(number // VISIBLE_EVERY) % len(top)], "preview"))
        else:
            kind = rng.choice(("preview", "preview", "waits", "answered"))
            plan.append((rng.choice(elsewhere), kind))
    return plan


def producer_plan(
    rows: int, epoch: float, shown: int, count: int
) -> tuple[list[tuple[str, str]], dict[str, ConversationSummary]]:
    """The in-process producer's `plan_updates`, and the summaries it starts from.

    Made again from the seed rather than kept from the snapshot: the console
    keeps only its own slim rows, and anything the bench held on to (even one
    summary's id string) would keep the snapshot's memory resident and count
    it against the widget. One conversation at a time, so it costs no memory.
    """
    ids: list[str] = []
    waiting: list[tuple[datetime, datetime, str]] = []
    for data in summary_data(rows, epoch):
        ids.append(data["id"])
        if data["waiting_since"] is not None:
            since = datetime.fromisoformat(data["waiting_since"])
            waiting.append((since, datetime.fromisoformat(data["updated_at"]), data["id"]))
    top = [cid for *_, cid in heapq.nsmallest(shown, waiting)]  # as `top_ids` orders them
    plan = plan_updates(ids, top, count)
    wanted = {cid for cid, _ in plan}
    source = {
        data["id"]: ConversationSummary.model_validate(data)
        for data in summary_data(rows, epoch)
        if data["id"] in wanted
    }
    return plan, source


def updated(summary: ConversationSummary, kind: str, number: int) -> ConversationSummary:
    """`summary` after an update of `kind` (the in-process producer's version of the store)."""
    now = datetime.now(UTC)
    change: dict[str, Any] = {
        "version": summary.version + 1,
        "updated_at": now,
        "last_message": f"{PHRASES[number % len(PHRASES)]} (update {number})",
    }
    if kind == "waits":
        change["waiting_since"] = now
    elif kind == "answered":
        change["waiting_since"] = None
    return summary.model_copy(update=change)


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount, _unit = line.split()
            values[name] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS (Linux), so a peak is the widget's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# -- what a child reports ------------------------------------------------------------


@dataclass
class Result:
    """What one child measured (times in ms, memory in MB)."""

    widget: str
    rows: int
    mode: str
    first_frame: float | None = None
    """From the first page handed over to the first frame with every visible line drawn."""
    snapshot_in: float | None = None
    """From the first page handed over to the first frame after the last page was folded in."""
    rss_first: float | None = None
    """RSS once the whole snapshot is in."""
    rss_data: float | None = None
    """Of `rss_first`, what the conversations alone took before any widget saw them."""
    gc_longest: float = 0.0
    """The longest garbage-collector pause while the app ran (ms)."""
    rss_peak: float | None = None
    down: list[float] = field(default_factory=list)
    pagedown: list[float] = field(default_factory=list)
    event: list[float] = field(default_factory=list)
    events_sent: int = 0
    events_visible: int = 0
    events_not_drawn: int = 0
    frames: int = 0
    note: str = ""


class GcPauses:
    """A `gc.callbacks` hook that keeps the longest collection (seconds)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """Called by the collector at the start and the end of each collection."""
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._started)
