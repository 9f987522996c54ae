"""The queue's virtual list, driven through a small app and the Pilot."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.message import Message

from backend_client import ConversationStatus, ConversationSummary, Customer, Flag
from console.live.queue_state import QueueFilter, QueueState
from console.render.labels import format_waiting
from console.widgets.queue_list import QueueList
from tests.helpers import until

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def summary(
    cid: str,
    status: ConversationStatus = ConversationStatus.AWAITING_REVIEW,
    *,
    version: int = 1,
    name: str | None = None,
    waiting: int | None = 0,
    **extra: Any,
) -> ConversationSummary:
    """A row waiting `waiting` seconds before NOW."""
    return ConversationSummary(
        id=cid,
        status=status,
        version=version,
        customer=Customer(name=name or f"Customer {cid}"),
        waiting_since=NOW - timedelta(seconds=waiting) if waiting is not None else None,
        created_at=NOW - timedelta(hours=1),
        updated_at=NOW - timedelta(hours=1),
        **extra,
    )


class QueueApp(App[None]):
    """Just the list, recording what it posts."""

    def __init__(self, state: QueueState) -> None:
        super().__init__()
        self.state = state
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        yield QueueList(self.state, clock=lambda: NOW)

    def on_queue_list_highlighted(self, message: QueueList.Highlighted) -> None:
        self.posted.append(message)

    def on_queue_list_opened(self, message: QueueList.Opened) -> None:
        self.posted.append(message)

    def highlighted(self) -> list[str | None]:
        return [m.conversation_id for m in self.posted if isinstance(m, QueueList.Highlighted)]

    def opened(self) -> list[str]:
        return [m.conversation_id for m in self.posted if isinstance(m, QueueList.Opened)]


def line_text(queue_list: QueueList, y: int) -> str:
    return queue_list.render_line(y).text


def screen_text(app: App[None]) -> str:
    """What the screenshot shows, with the SVG's escapes undone."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def make_state(*rows: ConversationSummary) -> QueueState:
    state = QueueState()
    state.load(rows)
    return state


async def test_rows_appear_longest_waiting_first() -> None:
    state = make_state(
        summary("a", waiting=12, name="Ada", last_message="Where is my parcel?"),
        summary(
            "b",
            ConversationStatus.ESCALATED,
            waiting=245,
            name="Bob",
            flags=[Flag.REFUND, Flag.PII],
        ),
        summary("c", ConversationStatus.HUMAN, waiting=3720, name="Cy", holder="ana"),
    )
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        lines = [line_text(queue_list, y) for y in range(4)]
        assert lines[0].startswith("◆  1h02m Cy")
        assert "ana" in lines[0]
        assert lines[1].startswith("▲  4m05s Bob")
        assert "refund pii" in lines[1]
        assert lines[2].startswith("●    12s Ada")
        assert "Where is my parcel?" in lines[2]
        assert lines[3].strip() == ""
        assert all(len(line) == queue_list.scrollable_content_region.width for line in lines)
        # The first row is highlighted on mount.
        assert app.highlighted() == ["c"]


async def test_j_k_and_arrows_move_the_cursor_and_post_highlighted() -> None:
    state = make_state(*(summary(f"c{i}", waiting=100 - i) for i in range(5)))
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j", "j", "down", "k")
        await pilot.pause()
        assert app.highlighted() == ["c0", "c1", "c2", "c3", "c2"]
        queue_list = app.query_one(QueueList)
        assert queue_list.highlighted_id == "c2"
        await pilot.press("up", "up", "up")  # stops at the top, no extra message
        await pilot.pause()
        assert app.highlighted()[-2:] == ["c1", "c0"]
        assert queue_list.cursor_index == 0


async def test_enter_opens_the_highlighted_conversation() -> None:
    state = make_state(*(summary(f"c{i}", waiting=100 - i) for i in range(5)))
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        assert app.opened() == ["c2"]


async def test_a_changed_conversation_is_redrawn() -> None:
    state = make_state(summary("a", name="Ada", last_message="hello"))
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        assert "hello" in line_text(queue_list, 0)

        state.load([summary("a", version=2, name="Ada", last_message="I want a refund")])
        # A burst of notifications: one repaint.
        for _ in range(50):
            queue_list.changed({"a"})
        await pilot.pause()
        assert "I want a refund" in line_text(queue_list, 0)
        assert "I want a refund" in screen_text(app)


async def test_cursor_follows_its_conversation_when_rows_resort() -> None:
    state = make_state(*(summary(f"c{i}", waiting=100 - i) for i in range(5)))
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j", "j")  # on c2
        queue_list = app.query_one(QueueList)
        # c2 now waits longest: it moves to the top and the cursor goes with it.
        rows = state.rows()
        state.load([r for r in rows if r.id != "c2"] + [summary("c2", version=2, waiting=500)])
        queue_list.changed({"c2"})
        await pilot.pause()
        assert queue_list.highlighted_id == "c2"
        assert queue_list.cursor_index == 0

        # When the highlighted row leaves, the cursor stays at its index.
        await pilot.press("j")  # on c0, index 1
        state.load([r for r in state.rows() if r.id != "c0"])
        queue_list.changed({"c0"})
        await pilot.pause()
        assert queue_list.cursor_index == 1
        assert queue_list.highlighted_id == "c1"
        assert app.highlighted()[-1] == "c1"


async def test_ten_thousand_rows_render_and_end_reaches_the_last() -> None:
    rows = [summary(f"c{i:05d}", waiting=20_000 - i, name=f"Person {i}") for i in range(10_000)]
    state = make_state(*rows)
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        assert queue_list.virtual_size.height == 10_000
        await pilot.press("end")
        await pilot.pause()
        assert queue_list.highlighted_id == "c09999"
        assert "Person 9999" in screen_text(app)
        await pilot.press("pageup", "home")
        await pilot.pause()
        assert queue_list.highlighted_id == "c00000"
        assert "Person 0 " in screen_text(app)


async def test_customer_text_is_shown_literally() -> None:
    state = make_state(
        summary(
            "x",
            name="[bold red]Mallory[/]",
            last_message="\x1b]0;PWNED\x07[link=http://evil]click[/link]\nnext line",
        )
    )
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        line = line_text(queue_list, 0)
        assert "[bold red]Mallory[/]" in line
        assert "[link=http://evil]click[/link] next line" in line
        assert "PWNED" not in line
        screenshot = screen_text(app)
        assert "[bold red]Mallory[/]" in screenshot


async def test_filter_and_me_choose_the_rows() -> None:
    state = make_state(
        summary("r", ConversationStatus.AWAITING_REVIEW, waiting=30),
        summary("e", ConversationStatus.ESCALATED, waiting=20),
        summary("m", ConversationStatus.HUMAN, holder="ana", waiting=10),
    )
    app = QueueApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        queue_list.filter = QueueFilter.ESCALATED
        await pilot.pause()
        assert queue_list.virtual_size.height == 1
        assert queue_list.highlighted_id == "e"
        queue_list.me = "ana"
        queue_list.filter = QueueFilter.MINE
        await pilot.pause()
        assert queue_list.highlighted_id == "m"
        queue_list.me = "bo"
        await pilot.pause()
        assert queue_list.highlighted_id is None
        assert line_text(queue_list, 0).strip() == ""


def test_waiting_time_format() -> None:
    assert format_waiting(None) == ""
    assert format_waiting(-3) == "0s"
    assert format_waiting(12) == "12s"
    assert format_waiting(245) == "4m05s"
    assert format_waiting(3720) == "1h02m"
    assert format_waiting(2 * 86400 + 3 * 3600) == "2d03h"


async def test_waiting_time_ticks_on_visible_rows() -> None:
    now = [NOW]
    state = make_state(summary("a", waiting=58, name="Ada"))

    class TickingApp(QueueApp):
        def compose(self) -> ComposeResult:
            yield QueueList(self.state, clock=lambda: now[0])

    app = TickingApp(state)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        assert "58s" in screen_text(app)
        now[0] = NOW + timedelta(seconds=7)
        # The once-a-second tick repaints it (the test waits for the tick, no longer).
        await until(pilot, lambda: "1m05s" in screen_text(app), timeout=1.5)
        assert "1m05s" in line_text(queue_list, 0)


async def test_a_position_bar_shows_where_the_window_is_and_jumps_on_click() -> None:
    state = make_state(*(summary(f"c{i:03d}", waiting=1000 - i) for i in range(200)))
    app = QueueApp(state)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        height = queue_list.scrollable_content_region.height

        def bar() -> str:
            return "".join(line_text(queue_list, y)[-1] for y in range(height))

        # 20 of 200 rows: a thumb of two lines at the top, track below.
        assert bar() == "┃┃" + "│" * (height - 2)
        assert line_text(queue_list, 0)[:-1].rstrip().endswith("c000")
        await pilot.press("end")
        await pilot.pause()
        assert bar() == "│" * (height - 2) + "┃┃"
        # A click on the bar's middle line jumps to the middle of the queue.
        await pilot.click(QueueList, offset=(queue_list.size.width - 1, height // 2))
        await pilot.pause()
        assert queue_list.highlighted_id == f"c{round(10 / 19 * 199):03d}"


async def test_no_bar_when_every_row_fits() -> None:
    state = make_state(*(summary(f"c{i}", waiting=10 - i) for i in range(3)))
    app = QueueApp(state)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        assert "┃" not in line_text(queue_list, 0) and "│" not in line_text(queue_list, 0)


async def test_the_wheel_scrolls_the_list() -> None:
    state = make_state(*(summary(f"c{i:03d}", waiting=1000 - i) for i in range(200)))
    app = QueueApp(state)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        queue_list = app.query_one(QueueList)
        # A wheel notch over the list, as the terminal's mouse reports it.
        queue_list.post_message(
            events.MouseScrollDown(queue_list, 5, 5, 0, 1, 0, False, False, False)
        )
        await pilot.pause()
        assert queue_list.scroll_offset.y > 0
        assert not line_text(queue_list, 0).startswith("●  16m40s Customer c000")
