"""The audit journal: one entry per decision, a chain that catches tampering, erasure, listing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backend.domain.journal import GENESIS, Checkpoint, verify_chain
from backend.settings import Settings
from backend.verify_worker import VerifyWorkers
from backend_client import (
    Action,
    AuditEntry,
    ForbiddenError,
    InvalidRequestError,
    ReasonCode,
    Role,
    StaleVersionError,
    VerifyResult,
)
from tests.helpers import Backend, behind_the_backends_back, columns_of, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"


async def audit(backend: Backend, **filters: str) -> list[AuditEntry]:
    """Every journal entry matching `filters`, newest first."""
    async with backend.client("sam") as sam:
        return (await sam.list_audit(limit=1000, **filters)).items


async def decisions(backend: Backend) -> list[AuditEntry]:
    """The journal without the system entry of the disclosure version the first chat showed."""
    return [e for e in await audit(backend) if e.action is not Action.DISCLOSURE]


async def verify(backend: Backend) -> VerifyResult:
    async with backend.client("sam") as sam:
        return await sam.verify_audit()


# -- one entry per decision ------------------------------------------------------------------


async def test_approve_is_journalled(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.approve(draft.id, draft.version)

    [entry, disclosure] = await audit(backend)
    assert disclosure.action is Action.DISCLOSURE and disclosure.prev_hash == GENESIS
    assert entry.action is Action.APPROVE
    assert entry.actor == backend.operator_ids["alice"]
    assert entry.role is Role.AGENT
    assert entry.reason_code is None and entry.note is None
    assert entry.conversation_id == chat.id and entry.draft_id == draft.id
    assert entry.ai_text == entry.final_text == draft.text
    assert entry.bot is not None and entry.bot.name == "builtin-faq"
    assert entry.prev_hash == disclosure.hash


async def test_edit_is_journalled_with_both_texts(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("bob") as bob:
        await bob.edit(draft.id, draft.version, "Two to four days.", ReasonCode.TONE, "too long")

    [entry] = await decisions(backend)
    assert entry.action is Action.EDIT
    assert entry.actor == backend.operator_ids["bob"]
    assert entry.reason_code is ReasonCode.TONE
    assert entry.note == "too long"
    assert entry.ai_text == draft.text
    assert entry.final_text == "Two to four days."


@pytest.mark.parametrize("regenerate", [False, True])
async def test_reject_is_journalled(backend: Backend, regenerate: bool) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.reject(
            draft.id, draft.version, ReasonCode.OTHER, "wrong country", regenerate=regenerate
        )

    [entry] = await decisions(backend)
    assert entry.action is Action.REJECT
    assert entry.reason_code is ReasonCode.OTHER
    assert entry.note == "wrong country"
    assert entry.ai_text == draft.text
    assert entry.final_text is None


async def test_regenerate_is_journalled_with_the_instruction(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.regenerate(draft.id, draft.version, "shorter", ReasonCode.TONE, "wordy")

    [entry] = await decisions(backend)
    assert entry.action is Action.REGENERATE
    assert entry.reason_code is ReasonCode.TONE
    assert entry.note is not None
    assert "wordy" in entry.note and "shorter" in entry.note
    assert entry.draft_id == draft.id


async def test_conversation_decisions_are_journalled(backend: Backend) -> None:
    chat = await backend.chat("human")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        detail = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        detail = await alice.send_message(chat.id, "Hello")  # writing is not a decision
        detail = await alice.handback(chat.id, detail.version)
        detail = await alice.takeover(chat.id, detail.version, ReasonCode.POLICY, "again")
    async with backend.client("sam") as sam:
        detail = await sam.release(chat.id, detail.version, ReasonCode.OTHER, "stuck")
        await sam.close(chat.id, detail.version)
        await sam.pause_ai()
        await sam.pause_ai()  # already paused: nothing to record
        await sam.resume_ai()

    entries = list(reversed(await decisions(backend)))
    alice_id, sam_id = backend.operator_ids["alice"], backend.operator_ids["sam"]
    assert [(e.action, e.actor, e.role, e.reason_code, e.note) for e in entries] == [
        (Action.TAKEOVER, alice_id, Role.AGENT, ReasonCode.CUSTOMER_REQUEST, None),
        (Action.HANDBACK, alice_id, Role.AGENT, None, None),
        (Action.TAKEOVER, alice_id, Role.AGENT, ReasonCode.POLICY, "again"),
        (Action.RELEASE, sam_id, Role.SUPERVISOR, ReasonCode.OTHER, "stuck"),
        (Action.CLOSE, sam_id, Role.SUPERVISOR, None, None),
        (Action.PAUSE, sam_id, Role.SUPERVISOR, None, None),
        (Action.RESUME, sam_id, Role.SUPERVISOR, None, None),
    ]
    assert [e.conversation_id for e in entries[:5]] == [chat.id] * 5
    assert [e.seq for e in entries] == list(range(2, 9))  # 1: the disclosure's version
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:], strict=False))


async def test_refused_decisions_leave_no_entry(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("tina") as tina:
        with pytest.raises(ForbiddenError):
            await tina.approve(draft.id, draft.version)
    async with backend.client("alice") as alice:
        with pytest.raises(InvalidRequestError, match="note"):
            await alice.reject(draft.id, draft.version, ReasonCode.OTHER)
        with pytest.raises(StaleVersionError):
            await alice.approve(draft.id, draft.version + 5)

    assert await decisions(backend) == []


# -- tampering ---------------------------------------------------------------------------------


@pytest.fixture
async def journal(backend: Backend) -> Backend:
    """A backend whose journal holds 7 entries, with texts in entries 1 (the disclosure's
    version, journaled by the first chat), 2, 3, 5 and 6."""
    for text in ("Soon.", "Next week."):
        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)
        async with backend.client("alice") as alice:
            await alice.approve(draft.id, draft.version)
            async with backend.channel() as channel:
                await channel.say(chat, "What payment methods do you accept?")
                await backend.drafted()
            draft = await pending_draft(backend, chat)
            await alice.edit(draft.id, draft.version, text, ReasonCode.INCOMPLETE, "note")
            detail = await alice.get_conversation(chat.id)
            await alice.close(chat.id, detail.version)
    result = await verify(backend)
    assert result.ok and result.entries == 7 and result.first_bad is None
    return backend


async def test_an_untouched_journal_verifies(journal: Backend) -> None:
    result = await verify(journal)
    entries = await audit(journal)
    assert result.ok is True
    assert result.head == entries[0].hash
    assert result.reason is None


async def test_an_edited_note_is_caught(journal: Backend, settings: Settings) -> None:
    with behind_the_backends_back(settings) as db:
        db.execute("UPDATE audit SET note = 'nothing to see' WHERE seq = 2")

    result = await verify(journal)

    assert result.ok is False
    assert result.first_bad == 2
    assert result.reason is not None and "hash" in result.reason


@pytest.mark.parametrize("column", ["ai_text_hmac", "final_text_hmac"])
async def test_an_edited_text_hmac_is_caught(
    journal: Backend, settings: Settings, column: str
) -> None:
    with behind_the_backends_back(settings) as db:
        db.execute(f"UPDATE audit SET {column} = ? WHERE seq = 4", ["0" * 64])

    result = await verify(journal)

    assert (result.ok, result.first_bad) == (False, 4)
    assert result.reason


@pytest.mark.parametrize("column", ["ai_text", "final_text"])
async def test_an_edited_text_is_caught(journal: Backend, settings: Settings, column: str) -> None:
    with behind_the_backends_back(settings) as db:
        db.execute(f"UPDATE audit_texts SET {column} = 'We never said that.' WHERE seq = 5")

    result = await verify(journal)

    assert (result.ok, result.first_bad) == (False, 5)
    assert result.reason is not None and "HMAC" in result.reason and column in result.reason


async def test_an_edited_actor_with_a_recomputed_hash_is_caught(
    journal: Backend, settings: Settings
) -> None:
    """Rewriting one entry and its own hash still breaks the link from the next entry."""
    from backend.domain.journal import entry_hash

    with behind_the_backends_back(settings) as db:
        cursor = db.execute("SELECT * FROM audit WHERE seq = 3")
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
        row["actor"] = journal.operator_ids["bob"]
        db.execute(
            "UPDATE audit SET actor = ?, hash = ? WHERE seq = 3", [row["actor"], entry_hash(row)]
        )

    result = await verify(journal)

    assert (result.ok, result.first_bad) == (False, 4)
    assert result.reason is not None and "prev_hash" in result.reason


@pytest.mark.parametrize("seq", [1, 3, 5])
async def test_a_deleted_entry_is_caught(journal: Backend, settings: Settings, seq: int) -> None:
    with behind_the_backends_back(settings) as db:
        db.execute("DELETE FROM audit_texts WHERE seq = ?", [seq])
        db.execute("DELETE FROM audit WHERE seq = ?", [seq])

    result = await verify(journal)

    assert (result.ok, result.first_bad) == (False, seq)
    assert result.reason is not None and "missing" in result.reason


async def test_swapped_entries_are_caught(journal: Backend, settings: Settings) -> None:
    with behind_the_backends_back(settings) as db:
        columns = [c for c in columns_of(db, "audit") if c != "seq"]
        rows = {
            seq: db.execute(
                f"SELECT {', '.join(columns)} FROM audit WHERE seq = ?", [seq]
            ).fetchone()
            for seq in (2, 3)
        }
        assignments = ", ".join(f"{c} = ?" for c in columns)
        for seq, other in ((2, 3), (3, 2)):
            db.execute(f"UPDATE audit SET {assignments} WHERE seq = ?", [*rows[other], seq])

    result = await verify(journal)

    assert (result.ok, result.first_bad) == (False, 2)
    assert result.reason


async def test_dropped_last_entries_are_caught_with_a_checkpoint(
    journal: Backend, settings: Settings
) -> None:
    store = journal.store
    secret: str = journal.app.state.hitl.secret
    taken = await verify(journal)
    assert taken.head is not None
    checkpoint = Checkpoint.loads(Checkpoint(entries=taken.entries, head=taken.head).dumps())

    with behind_the_backends_back(settings) as db:
        db.execute("DELETE FROM audit_texts WHERE seq >= 5")
        db.execute("DELETE FROM audit WHERE seq >= 5")

    # Without the checkpoint a shorter chain is still a valid chain...
    assert (await verify(journal)).ok is True
    # ...with it, the missing tail shows.
    result = verify_chain(store.audit_rows(), secret, checkpoint)
    assert (result.ok, result.first_bad) == (False, 5)
    assert result.reason is not None and "removed" in result.reason


async def test_a_rewritten_tail_is_caught_with_a_checkpoint(
    journal: Backend, settings: Settings
) -> None:
    secret: str = journal.app.state.hitl.secret
    taken = await verify(journal)
    assert taken.head is not None
    checkpoint = Checkpoint(entries=taken.entries, head=taken.head)
    with behind_the_backends_back(settings) as db:
        for table, key in (("audit_fts", "rowid"), ("audit_texts", "seq"), ("audit", "seq")):
            db.execute(f"DELETE FROM {table} WHERE {key} = 7")
    async with journal.client("sam") as sam:
        await sam.pause_ai()  # the backend appends a new entry 7 on top

    assert (await verify(journal)).ok is True
    result = verify_chain(journal.store.audit_rows(), secret, checkpoint)
    assert (result.ok, result.first_bad) == (False, 7)


async def test_a_checkpoint_of_the_current_head_passes(journal: Backend) -> None:
    secret: str = journal.app.state.hitl.secret
    taken = await verify(journal)
    assert taken.head is not None
    async with journal.client("sam") as sam:
        await sam.pause_ai()

    result = verify_chain(
        journal.store.audit_rows(), secret, Checkpoint(entries=taken.entries, head=taken.head)
    )

    assert result.ok is True and result.entries == 8


async def test_erasing_a_conversations_texts_keeps_the_chain_verifiable(
    journal: Backend,
) -> None:
    target = (await audit(journal, action="edit"))[-1].conversation_id
    assert target is not None
    # Through the erasure decision: texts deleted without one are tampering (issue 14.5).
    async with journal.client("ada") as ada:
        await ada.erase(target)

    result = await verify(journal)
    entries = await audit(journal, conversation=target)
    others = [e for e in await audit(journal) if e.conversation_id != target]

    assert [e.action for e in entries][0] == Action.ERASE
    assert result.ok is True and result.entries == 8
    assert [(e.ai_text, e.final_text) for e in entries] == [(None, None)] * 4
    assert all(
        e.ai_text_hmac or e.final_text_hmac for e in entries if e.action not in ("close", "erase")
    )
    assert any(e.final_text == "Next week." for e in others)
    assert await audit(journal, q="Soon") == []
    assert [e.action for e in await audit(journal, q="Next week")] == [Action.EDIT]


# -- listing -----------------------------------------------------------------------------------


async def test_audit_filters(journal: Backend) -> None:
    chat = await journal.chat("human")
    async with journal.client("bob") as bob:
        detail = await bob.get_conversation(chat.id)
        await bob.takeover(chat.id, detail.version, ReasonCode.OTHER, "Refund dispute Zebra42")

    everything = await audit(journal)
    by_bob = await audit(journal, actor=journal.operator_ids["bob"])
    edits = await audit(journal, action="edit")
    incomplete = await audit(journal, reason_code="incomplete")
    of_chat = await audit(journal, conversation=chat.id)

    assert len(everything) == 8  # with the disclosure version's entry
    assert [e.action for e in by_bob] == [Action.TAKEOVER]
    assert [e.action for e in edits] == [Action.EDIT, Action.EDIT]
    assert incomplete == edits
    assert of_chat == by_bob
    assert await audit(journal, q="zebra42") == by_bob  # notes, any case
    assert await audit(journal, q="dispute refund") == by_bob  # every word, any order
    assert [e.final_text for e in await audit(journal, q="Soon")] == ["Soon."]  # texts
    assert await audit(journal, q="nowhere-to-be-found") == []
    assert await audit(journal, q='" OR 1=1 --') == []
    assert await audit(journal, action="approve", actor=journal.operator_ids["bob"]) == []


@pytest.mark.parametrize("limit", [1, 2, 4, 6, 10])
async def test_audit_pages_newest_first(journal: Backend, limit: int) -> None:
    seqs: list[int] = []
    cursor: str | None = None
    async with journal.client("sam") as sam:
        while True:
            page = await sam.list_audit(limit=limit, cursor=cursor)
            assert len(page.items) <= limit
            seqs += [e.seq for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        filtered = await sam.list_audit(action="close", limit=1)
        assert filtered.next_cursor is not None
        rest = await sam.list_audit(action="close", limit=1, cursor=filtered.next_cursor)

    assert seqs == [7, 6, 5, 4, 3, 2, 1]
    assert [e.seq for e in filtered.items + rest.items] == [7, 4]
    assert rest.next_cursor is None


def test_a_verification_that_fails_in_its_process_fails_here_too(tmp_path: Path) -> None:
    # The check runs in a child process; its error comes back, nothing hangs.
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        VerifyWorkers().verify(tmp_path / "no-such.db", "test-secret")
