"""PostgreSQL's write locks: which transactions of different processes wait for which.

Each store here is a process's own (its own pool); a transaction is held open
in a thread while another store tries to write. Whether the second one waits
is read from PostgreSQL itself (an advisory lock not granted in `pg_locks`),
so nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg
import pytest

from backend.bots import make_bot
from backend.channels.chatwoot import ChatwootMessage, receive
from backend.domain.disclosure import disclosure_version
from backend.domain.journal import verify_chain
from backend.service import Hitl
from backend.settings import ReviewSettings, Settings
from backend.store import Store, connect
from backend_client import Action, Author, Customer, ReasonCode, Role

SECRET = "test-secret"
ESCALATE = "I want to talk to a real person"


@pytest.fixture
def url(pg_url: str) -> str:
    """The test's database (the tests here name it shortly: they pass it around a lot)."""
    return pg_url


@pytest.fixture
def stores(url: str) -> Iterator[list[Store]]:
    """Three processes' stores on one database."""
    opened = [connect(url) for _ in range(3)]
    yield opened
    for store in opened:
        store.close()


def waiting(url: str) -> int:
    """Advisory locks asked for on this database and not granted yet."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return int(row[0]) if row else 0


class Writer(threading.Thread):
    """A transaction on its own store and thread: `work` runs inside, then it waits for
    `finish` (when given) before committing."""

    def __init__(
        self,
        store: Store,
        scope: tuple[str, ...],
        work: Callable[[Store], Any] = lambda store: None,
        *,
        finish: threading.Event | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.store, self.scope, self.work, self.finish = store, scope, work, finish
        self.inside = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.store.transaction(scope=self.scope):
                self.work(self.store)
                self.inside.set()
                if self.finish is not None and not self.finish.wait(60):
                    raise TimeoutError("never told to finish")
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.done.set()


@contextmanager
def holding(writer: Writer) -> Iterator[Writer]:
    """`writer` inside its transaction for the duration; then it commits."""
    writer.finish = threading.Event()
    writer.start()
    assert writer.inside.wait(30), writer.error
    try:
        yield writer
    finally:
        writer.finish.set()
        writer.join(30)
    assert writer.error is None, writer.error


def settles(url: str, writer: Writer | Calling) -> str:
    """Wait until `writer` either committed or waits for a lock: 'done' or 'waiting'."""
    for _ in range(3000):
        if writer.done.wait(0.01):
            assert writer.error is None, writer.error
            return "done"
        if waiting(url):
            return "waiting"
    raise AssertionError("the writer neither finished nor waited for a lock")


def journal(store: Store, operator: Any, note: str) -> None:
    store.append_audit(
        SECRET, operator=operator, action=Action.PAUSE, reason_code=None, note=note,
        conversation_id=None, draft_id=None, bot=None, ai_text=None, final_text=None,
    )  # fmt: skip


def test_decisions_on_other_conversations_by_other_operators_do_not_wait(
    url: str, stores: list[Store]
) -> None:
    first, second, _ = stores
    with holding(Writer(first, ("conversation:c1", "operator:o1"))):
        other = Writer(second, ("conversation:c2", "operator:o2"), lambda s: s.set_meta("k", "v"))
        other.start()
        assert settles(url, other) == "done"
    assert first.get_meta("k") == "v"


@pytest.mark.parametrize(
    "scope",
    [("conversation:c1", "operator:o2"), ("conversation:c2", "operator:o1"), ()],
    ids=["same conversation", "same operator", "no scope"],
)
def test_a_transaction_waits_for_one_that_shares_what_it_decides_on(
    url: str, stores: list[Store], scope: tuple[str, ...]
) -> None:
    first, second, _ = stores
    with holding(Writer(first, ("conversation:c1", "operator:o1"), lambda s: s.set_meta("k", "1"))):
        later = Writer(second, scope, lambda s: s.set_meta("k", "2"))
        later.start()
        assert settles(url, later) == "waiting"
        assert not later.done.is_set()
    assert later.done.wait(30) and later.error is None
    assert first.get_meta("k") == "2"  # it wrote after the first committed


def test_a_scoped_transaction_waits_while_one_without_a_scope_runs(
    url: str, stores: list[Store]
) -> None:
    first, second, _ = stores
    with holding(Writer(first, ())):
        scoped = Writer(second, ("conversation:c9", "operator:o9"))
        scoped.start()
        assert settles(url, scoped) == "waiting"
    assert scoped.done.wait(30) and scoped.error is None


def test_journal_entries_from_side_by_side_decisions_form_one_chain(
    url: str, stores: list[Store]
) -> None:
    first, second, third = stores
    alice, _ = first.add_operator("alice", Role.AGENT)
    with holding(
        Writer(first, ("conversation:c1", "operator:o1"), lambda s: journal(s, alice, "one"))
    ):
        # A decision elsewhere proceeds until its own entry, then waits for the chain's head.
        other = Writer(
            second, ("conversation:c2", "operator:o2"), lambda s: journal(s, alice, "two")
        )
        other.start()
        assert settles(url, other) == "waiting"
    assert other.done.wait(30) and other.error is None
    rows = list(third.audit_rows())
    assert [r["note"] for r in rows] == ["one", "two"]
    assert verify_chain(rows, SECRET).ok


def test_events_of_side_by_side_transactions_commit_in_id_order(
    url: str, stores: list[Store]
) -> None:
    """A reader that has seen an id has seen every committed id below it."""
    from backend_client import EventType

    first, second, third = stores

    def announce(n: int) -> Callable[[Store], None]:
        return lambda s: s.append_event(EventType.AI_PAUSED, None, {"n": n})

    # The first appends, the second appends and commits first: the first's event must
    # not get a lower id than one a reader has already passed.
    with holding(Writer(first, ("conversation:c1", "operator:o1"), announce(1))):
        other = Writer(second, ("conversation:c2", "operator:o2"), announce(2))
        other.start()
        assert settles(url, other) == "done"
        passed = third.newest_event_id()
    events = third.events_after(0)
    assert [e.data["n"] for e in events] == [2, 1]
    assert all(e.id > passed for e in events if e.data["n"] == 1)


# -- the service's transactions: what opening a chat waits for ---------------------------


def service(store: Store, url: str, **settings_: Any) -> Hitl:
    """A process's rules on its own store (no HTTP around them)."""
    settings = Settings(db_url=url, secret=SECRET, **settings_)
    return Hitl(store, settings, make_bot(settings.bot))


def opens(hitl: Hitl) -> None:
    """A customer opens a chat."""
    hitl.start_chat(Customer(name="Ann"))


class Calling(threading.Thread):
    """A service call (`work`) on its own thread."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.result: Any = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.done.set()


def test_a_chat_opens_while_a_decision_on_another_conversation_is_under_way(
    url: str, stores: list[Store]
) -> None:
    first, second, third = stores
    service(third, url).start_chat(Customer(name="First"))  # journals the disclosure
    with holding(Writer(first, ("conversation:c1", "operator:o1"))):
        opening = Calling(lambda: service(second, url).start_chat(Customer(name="Second")))
        opening.start()
        assert settles(url, opening) == "done"
    assert [row["customer_name"] for row in third.db.query(
        "SELECT customer_name FROM conversations ORDER BY created_at"
    )] == ["First", "Second"]  # fmt: skip


def test_the_first_chats_of_a_disclosure_version_journal_it_once(
    url: str, stores: list[Store]
) -> None:
    """Two processes open the first chats of a version at once: one entry, one chain."""
    first, second, third = stores
    settings = Settings(db_url=url, secret=SECRET)
    version = disclosure_version(settings.disclosure_for(None)[1])
    with holding(Writer(first, (f"disclosure:{version}",))):
        openings = [Calling(partial(opens, service(store, url))) for store in (second, third)]
        for opening in openings:
            opening.start()
        for _ in range(3000):  # both wait for the version's lock, neither has journaled
            if waiting(url) == 2:
                break
            assert not any(opening.done.wait(0.01) for opening in openings)
        assert waiting(url) == 2
    for opening in openings:
        assert opening.done.wait(30) and opening.error is None, opening.error
    rows = list(third.audit_rows())
    assert [row["action"] for row in rows] == ["disclosure"]
    assert verify_chain(rows, SECRET).ok


@pytest.mark.parametrize("act", ["note", "assign", "complain", "correct"])
@pytest.mark.parametrize("elsewhere", [True, False], ids=["elsewhere", "same conversation"])
def test_work_on_one_conversation_waits_only_for_that_conversation(
    url: str, stores: list[Store], act: str, elsewhere: bool
) -> None:
    first, second, third = stores
    hitl = service(second, url)
    alice, _ = third.add_operator("alice", Role.AGENT)
    cid = hitl.start_chat(Customer(name="Ann")).id
    hitl.takeover(alice, cid, None, ReasonCode.CUSTOMER_REQUEST, None)
    said = hitl.send_message(alice, cid, "Your refund is on its way.").messages[-1]
    work = {
        "note": lambda: hitl.add_note(alice, cid, "rang her back"),
        "assign": lambda: hitl.assign(alice, cid, None, "alice"),
        "complain": lambda: hitl.complain(cid, "Nobody answers me"),
        "correct": lambda: hitl.correct(
            alice, cid, said.id, "Your refund left today.", ReasonCode.INCORRECT, None
        ),
    }[act]
    held = "conversation:other" if elsewhere else f"conversation:{cid}"
    with holding(Writer(first, (held, "operator:other"))):
        call = Calling(work)
        call.start()
        assert settles(url, call) == ("done" if elsewhere else "waiting")
    assert call.done.wait(30) and call.error is None, call.error


def test_a_pause_committed_on_another_process_stops_a_due_send_that_waited_for_it(
    url: str, stores: list[Store]
) -> None:
    """The stop button's promise across processes: the hold-window sender reads the
    pause inside its send, so one that commits while the sender waits is obeyed."""
    first, second, third = stores
    review = ReviewSettings(mode="flagged", confidence_threshold=0, hold_seconds=0)
    hitl = service(second, url, review=review)
    cid = hitl.start_chat(Customer(name="Ann")).id
    hitl.customer_turn(cid, "Where is my order?")
    draft = asyncio.run(hitl.draft_reply(cid))
    assert draft is not None and draft.send_at is not None  # held, and already due

    def pause(store: Store) -> None:  # the stop button, pressed on another process
        store.set_meta("ai_paused", "1")

    with holding(Writer(first, (), pause)):
        sender = Calling(hitl.send_due_drafts)
        sender.start()
        assert settles(url, sender) == "waiting"
    assert sender.done.wait(30) and sender.error is None, sender.error
    assert sender.result == 0
    assert [m.author for m in third.messages(cid)] == [Author.SYSTEM, Author.CUSTOMER]


# -- Chatwoot's webhooks: the link is read, then the linked chat locked --------------------


def from_chatwoot(chatwoot_id: int, message_id: int) -> ChatwootMessage:
    """A customer's message in a Chatwoot conversation (asking for a person: no drafting)."""
    return ChatwootMessage(1, chatwoot_id, message_id, ESCALATE, Customer(name="Cat"))


@pytest.mark.parametrize("elsewhere", [True, False], ids=["elsewhere", "its linked chat"])
def test_a_chatwoot_message_waits_only_for_a_decision_on_its_linked_chat(
    url: str, stores: list[Store], elsewhere: bool
) -> None:
    first, second, _ = stores
    hitl = service(second, url)
    assert receive(hitl, second, from_chatwoot(7, 1), None).startswith("taken")
    cid = second.chatwoot_chat(1, 7)
    held = "conversation:other" if elsewhere else f"conversation:{cid}"
    with holding(Writer(first, (held, "operator:o1"))):
        call = Calling(partial(receive, hitl, second, from_chatwoot(7, 2), None))
        call.start()
        assert settles(url, call) == ("done" if elsewhere else "waiting")
    assert call.done.wait(30) and call.error is None, call.error
    assert call.result == f"taken into conversation {cid}"


def test_a_scope_widens_only_before_the_first_append(url: str, stores: list[Store]) -> None:
    """After it, waiting for a scope lock under the append lock could deadlock."""
    store = stores[0]
    alice, _ = store.add_operator("alice", Role.AGENT)
    with pytest.raises(RuntimeError, match="widened after"):
        with store.transaction(scope=("conversation:c1",)):
            store.widen_scope("conversation:c2")  # before: fine
            journal(store, alice, "one")
            store.widen_scope("conversation:c3")
    assert list(store.audit_rows()) == []
