"""The conversation screen end to end: a real backend on loopback, the real app, a Pilot.

Each test drives the console as an operator would (keys, dialogs) and checks
what the customer and the journal see, and what the operator is told.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from backend_client import Author, ChatStarted, ConversationStatus, ReasonCode, Role
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs import (
    DraftEditor,
    EditConfirmDialog,
    RegenerateDialog,
    RejectDialog,
    TakeoverDialog,
)
from console.screens.conversation import ConversationScreen
from console.widgets.composer import Composer
from tests.console_helpers import console_for
from tests.helpers import Backend, CountingTransport, LiveServer, until

SIZE = (140, 45)


def notes(app: HitlApp) -> list[str]:
    """The text of every notification the app has shown so far."""
    return [str(notification.message) for notification in app._notifications]


async def open_screen(app: HitlApp, pilot: Pilot[Any], chat: ChatStarted) -> ConversationScreen:
    """Open `chat` and wait until it is loaded and the app knows who is signed in."""
    await until(pilot, lambda: app.me is not None)
    # From inside the app, so the screen's tasks see this app as theirs even
    # when a test runs two apps in one loop (Textual keeps the app in a contextvar).
    app.call_later(app.open_conversation, chat.id)
    screen: ConversationScreen = await until(
        pilot,
        lambda: app.screen if isinstance(app.screen, ConversationScreen) else None,
    )
    await until(pilot, lambda: screen.detail is not None)
    return screen


async def customer_sees(backend: Backend, chat: ChatStarted) -> list[tuple[Author, str]]:
    """What the customer can see in their chat window."""
    async with backend.channel() as channel:
        return [(m.author, m.text) for m in await channel.messages(chat)]


async def pick_reason(pilot: Pilot[Any], reason: ReasonCode) -> None:
    """Move the reason picker's highlight to `reason` (it starts with none)."""
    steps = list(ReasonCode).index(reason) + 1
    for _ in range(steps):
        await pilot.press("down")


async def test_approve_sends_the_draft_to_the_customer(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        draft = screen.detail.draft if screen.detail else None
        assert draft is not None
        # The draft is on screen, with its confidence.
        assert draft.text[:30] in str(screen.query_one("#draft-text", Static).render())
        await pilot.press("a")
        await until(pilot, lambda: screen.detail and screen.detail.draft is None)
        assert (Author.AI, draft.text) in await customer_sees(live_backend, chat)
        await until(pilot, lambda: any("Approved" in note for note in notes(app)))
        # The transcript shows the sent reply, marked as the AI's.
        last_row = screen.query_one("#transcript").query("MessageRow").last()
        assert str(last_row.render()).startswith(" AI  reviewed by alice")


async def test_edit_with_a_reason_sends_the_edited_text_and_journals_the_reason(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    edited = "Your order left our warehouse today; the tracking link is in your email."
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        await pilot.press("e")
        editor = await until(pilot, lambda: isinstance(app.screen, DraftEditor) and app.screen)
        editor.query_one(TextArea).text = edited
        await pilot.press("ctrl+s")
        dialog = await until(
            pilot, lambda: isinstance(app.screen, EditConfirmDialog) and app.screen
        )
        # The diff shows the new words.
        assert "tracking link" in str(dialog.query_one("#diff", Static).render())
        # Enter without a reason does not confirm.
        await pilot.press("tab")  # to the reason picker...
        await pilot.press("tab")  # ...and on to the note
        await pilot.press("enter")
        assert app.screen is dialog
        assert "Pick a reason" in str(dialog.query_one("#dialog-error", Static).render())
        await pick_reason(pilot, ReasonCode.INCOMPLETE)
        await pilot.press("enter")
        await until(pilot, lambda: screen.detail and screen.detail.draft is None)
        assert (Author.AI, edited) in await customer_sees(live_backend, chat)

    async with live_backend.client("sam") as sam:
        entries = (await sam.list_audit(action="edit")).items
    assert [(e.reason_code, e.final_text) for e in entries] == [(ReasonCode.INCOMPLETE, edited)]


async def test_reject_escalates_the_conversation(live_backend: Backend, tmp_path: Path) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RejectDialog))
        await pick_reason(pilot, ReasonCode.INCORRECT)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: screen.detail and screen.detail.status is ConversationStatus.ESCALATED,
        )
        assert screen.detail is not None and screen.detail.draft is None
        assert "escalated" in str(screen.query_one("#conversation-header", Static).render())


async def test_regenerate_brings_a_new_draft(live_backend: Backend, tmp_path: Path) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        assert screen.detail is not None and screen.detail.draft is not None
        first = screen.detail.draft
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, RegenerateDialog))
        await pilot.press(*"be more formal")
        await pilot.press("enter")  # on to the reason picker
        await pick_reason(pilot, ReasonCode.TONE)
        await pilot.press("enter")
        new = await until(
            pilot,
            lambda: (
                (screen.detail and screen.detail.draft and screen.detail.draft.id != first.id)
                and screen.detail.draft
            ),
        )
        assert new.text != first.text
        assert new.instruction == "be more formal"


async def test_takeover_write_and_hand_back(live_backend: Backend, tmp_path: Path) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TakeoverDialog))
        await pilot.press("down", "enter")  # the first takeover reason: the customer asked
        await until(pilot, lambda: screen.held_by_me)
        composer = screen.query_one(Composer)
        assert composer.display and composer.writing
        assert "You hold this chat; the AI is silent here" in str(
            screen.query_one("#hold-banner", Static).render()
        )

        await pilot.press(*"Hi, Ada here")
        await pilot.press("enter")
        await until(pilot, lambda: composer.value == "")
        async with live_backend.client("sam") as sam:
            taken = [e for e in (await sam.list_audit(action="takeover")).items]
        assert [e.reason_code for e in taken] == [ReasonCode.CUSTOMER_REQUEST]
        assert (Author.HUMAN, "Hi, Ada here") in await customer_sees(live_backend, chat)

        await pilot.press("escape")  # leaves the composer, so keys are keys again
        assert app.screen is screen
        await pilot.press("h")
        await until(pilot, lambda: screen.detail and screen.detail.status is ConversationStatus.BOT)
        assert not screen.query_one(Composer).display


async def test_two_consoles_deciding_one_draft(live_backend: Backend, tmp_path: Path) -> None:
    chat = await live_backend.chat("Where is my order?")
    alice, bob = console_for(live_backend, tmp_path), console_for(live_backend, tmp_path, "bob")
    async with alice.run_test(size=SIZE) as alice_pilot, bob.run_test(size=SIZE) as bob_pilot:
        alice_screen = await open_screen(alice, alice_pilot, chat)
        bob_screen = await open_screen(bob, bob_pilot, chat)
        # Both approve in the same instant, so neither view has heard of the
        # other's decision yet. (Pressing `a` in turn leaves a gap in which the
        # live stream may already have told the second console, whose key
        # then does nothing: no race left to test.)
        # call_later runs each action inside its own app (two apps share this loop).
        alice.call_later(alice_screen.action_approve)
        bob.call_later(bob_screen.action_approve)

        def refusals() -> list[tuple[HitlApp, str]]:
            return [
                (app, note)
                for app in (alice, bob)
                for note in notes(app)
                if note.startswith("Could not approve")
            ]

        # Notifications reach the app one message after the screen handled
        # the result, so wait for them rather than for the screens.
        await until(alice_pilot, refusals)
        await until(bob_pilot, lambda: not alice_screen.busy and not bob_screen.busy)
        refused = refusals()
        assert len(refused) == 1, (notes(alice), notes(bob))
        loser, note = refused[0]
        winner = "bob" if loser is alice else "alice"
        assert f"it was approved by {winner}" in note
        # The loser's screen shows the delivered reply: its view was refreshed.
        loser_screen = loser.screen
        assert isinstance(loser_screen, ConversationScreen) and loser_screen.detail is not None
        ai_messages = [m for m in loser_screen.detail.messages if m.author is Author.AI]
        assert len(ai_messages) == 1
    messages = await customer_sees(live_backend, chat)
    assert [author for author, _ in messages].count(Author.AI) == 1


async def test_a_trainer_is_not_offered_approve(live_backend: Backend, tmp_path: Path) -> None:
    # Issue 15 changed this: the trainer's keys no longer offer Approve (and then
    # refuse); the key does nothing, and the backend would refuse it anyway.
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path, "tina")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        assert screen.check_action("approve", ()) is False
        await pilot.press("a")
        await pilot.pause()
        assert not any(n.startswith("Could not approve") for n in notes(app))
        assert screen.detail is not None and screen.detail.draft is not None
        assert not screen.busy
    assert Author.AI not in [author for author, _ in await customer_sees(live_backend, chat)]


async def test_a_lost_connection_keeps_the_edit_for_a_retry(
    live_backend: Backend, live_server: LiveServer, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    edited = "Your parcel is on its way and arrives tomorrow."
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        await pilot.press("e")
        editor = await until(pilot, lambda: isinstance(app.screen, DraftEditor) and app.screen)
        editor.query_one(TextArea).text = edited
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, EditConfirmDialog))
        await pick_reason(pilot, ReasonCode.INCORRECT)

        live_server.stop()
        await pilot.press("enter")
        await until(pilot, lambda: any("connection lost" in n for n in notes(app)))
        assert not screen.busy and screen.detail and screen.detail.draft is not None

        live_server.start()
        await pilot.press("e")
        editor = await until(pilot, lambda: isinstance(app.screen, DraftEditor) and app.screen)
        assert editor.query_one(TextArea).text == edited
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, EditConfirmDialog))
        await pick_reason(pilot, ReasonCode.INCORRECT)
        await pilot.press("enter")
        await until(pilot, lambda: screen.detail and screen.detail.draft is None)
    assert (Author.AI, edited) in await customer_sees(live_backend, chat)


async def test_an_operator_added_after_the_console_started_is_shown_by_name(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        # Nina joins after the console loaded the operator directory, and
        # takes over the conversation alice is looking at.
        nina, token = live_backend.store.add_operator("nina", Role.AGENT)
        live_backend.tokens["nina"] = token
        async with live_backend.client("nina") as client:
            detail = await client.get_conversation(chat.id)
            await client.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        banner = screen.query_one("#hold-banner", Static)
        await until(pilot, lambda: "nina holds this conversation" in str(banner.render()))
        assert "held by nina" in str(screen.query_one("#conversation-header", Static).render())
        assert app.operator_name(nina.id) == "nina"  # the queue's holder column too


async def test_an_approve_costs_one_request_and_no_refetch(
    live_backend: Backend, tmp_path: Path
) -> None:
    """The decision's response is the conversation after it, and the events that follow
    say nothing new: an approval sends its POST and nothing else. Only news (the
    customer writing again) makes the screen fetch the conversation."""
    chat = await live_backend.chat("Where is my order?")
    transport = CountingTransport()
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["alice"], config_path=tmp_path / "x.toml"
    )
    app = make_app(config, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat)
        draft = screen.detail.draft if screen.detail else None
        assert draft is not None
        await until(pilot, lambda: app.queue.get(chat.id) is not None and not app.loading)
        # The screen's own loads are done.
        await until(pilot, lambda: all(w.is_finished for w in app.workers if w.group == "load"))
        transport.requests.clear()
        await pilot.press("a")
        await until(pilot, lambda: any("Approved" in note for note in notes(app)))

        # The approval's events reach the app (the queue row leaves review)...
        def status() -> ConversationStatus:
            row = app.queue.get(chat.id)
            assert row is not None
            return row.status

        await until(pilot, lambda: status() is ConversationStatus.BOT)
        # ...and then, in order on the same stream, news: the customer writes again (asking
        # for a person, so that no new draft follows as more news at a moment of its own).
        said = "Thanks! Can I talk to a human about the invoice?"
        async with live_backend.channel() as channel:
            await channel.say(chat, said)
        await until(
            pilot,
            lambda: (
                screen.detail is not None
                and any(message.text == said for message in screen.detail.messages)
            ),
        )
        assert screen.detail is not None
        assert screen.detail.status is ConversationStatus.ESCALATED  # no draft to follow
        assert transport.requests == [
            ("POST", f"/v1/drafts/{draft.id}/approve"),
            ("GET", f"/v1/conversations/{chat.id}"),
        ]
