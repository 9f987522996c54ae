"""Payment cards are hidden from every role in the console, and masked with their expiry and
CVV: one rule (`backend_client.mask_cards`) that the backend's masking and the console share."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_client import mask_cards
from console.app import make_app
from console.config import ConsoleConfig
from console.screens.conversation import ConversationScreen
from tests.helpers import Backend, until

CARD_TEXT = "Charge it to 4111 1111 1111 1111, exp 09/28, CVV 123 please"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CARD_TEXT, "Charge it to [card] please"),
        ("card ４１１１ １１１１ １１１１ １１１１ ok", "card [card] ok"),
        ("4111\u200b1111\u200b1111\u200b1111 valid thru 12/27", "[card]"),
        ("order 1234567890123 (not Luhn-valid: 1234 5678 9012 3456)", None),
        ("Where is my parcel? Order 12345, sent 03/11.", None),
    ],
)
def test_cards_with_their_expiry_and_cvv_are_masked(text: str, expected: str | None) -> None:
    assert mask_cards(text) == (text if expected is None else expected)


@pytest.mark.parametrize("operator", ["alice", "sam", "ada"])
async def test_no_role_sees_a_card_in_the_console(
    live_backend: Backend, tmp_path: Path, operator: str
) -> None:
    chat = await live_backend.chat(CARD_TEXT, name="Cara Card")
    config = ConsoleConfig(
        url=live_backend.url,
        token=live_backend.tokens[operator],
        config_path=tmp_path / "none.toml",
    )
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.me is not None and app.queue.get(chat.id) is not None)
        queue_screen = app.export_screenshot()
        app.call_later(app.open_conversation, chat.id)
        screen = await until(
            pilot, lambda: app.screen if isinstance(app.screen, ConversationScreen) else None
        )
        await until(pilot, lambda: screen.detail is not None)
        await pilot.pause()
        conversation_screen = app.export_screenshot()
    for shown in (queue_screen, conversation_screen):
        assert "4111" not in shown and "CVV" not in shown
    assert "[card]" in conversation_screen
