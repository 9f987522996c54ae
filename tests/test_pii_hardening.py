"""Personal data that reached trainers (issue 14.3): names in free text, lowercase IBANs,
card numbers hidden by Unicode, expiry dates and CVVs, and search as an oracle."""

from __future__ import annotations

import pytest

from backend.domain.pii import mask_pii
from backend_client import ReasonCode
from tests.helpers import Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CARD = "4111111111111111"


@pytest.mark.parametrize(
    "text",
    [
        "iban de89370400440532013000 please",
        "card 4111\u00a01111\u00a01111\u00a01111 thanks",
        "card 4111\u200b1111\u200b1111\u200b1111 thanks",
        "card \uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11"
        "\uff11\uff11\uff11\uff11 thanks",
    ],
    ids=["lowercase-iban", "nbsp-card", "zero-width-card", "full-width-card"],
)
def test_hidden_numbers_are_masked_after_normalisation(text: str) -> None:
    masked = mask_pii(text)
    digits = "".join(ch for ch in masked if ch.isdigit())
    assert len(digits) < 6, masked


def test_expiry_and_cvv_next_to_a_card_are_part_of_it() -> None:
    masked = mask_pii(f"my card {CARD} exp 09/28, CVV 123 ok")
    assert "09/28" not in masked and "123" not in masked, masked
    assert masked.endswith(" ok")


def test_the_customers_name_is_masked_in_free_text() -> None:
    masked = mask_pii(
        "Thanks Zacharias Quintero, ZACHARIAS QUINTERO, and Zacharias again",
        names=["Zacharias Quintero"],
    )
    assert "zacharias" not in masked.lower() and "quintero" not in masked.lower(), masked
    # A part of a name that is also a word is hidden only where it is written as a name.
    assert mask_pii("the customer called", names=["Jo Customer"]) == "the customer called"


async def test_a_trainer_sees_no_name_in_notes_instructions_or_texts(backend: Backend) -> None:
    async with backend.channel() as channel:
        chat = await channel.start_chat("Zacharias Quintero", "zq@example.com")
        await channel.say(chat, "Hi, this is Zacharias Quintero, where is my parcel?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        detail = await alice.regenerate(
            draft.id,
            draft.version,
            "greet Zacharias by name",
            ReasonCode.TONE,
            note="Quintero asked twice",
        )
        assert detail.draft is not None
        await alice.edit(
            detail.draft.id,
            detail.draft.version,
            "Thanks Zacharias Quintero, it ships today.",
            ReasonCode.TONE,
        )
    async with backend.client("tina") as tina:
        seen = (await tina.timeline(chat.id)).model_dump_json()
        seen += (await tina.get_conversation(chat.id)).model_dump_json()
        seen += (await tina.training_pairs()).model_dump_json()
    assert "zacharias" not in seen.lower() and "quintero" not in seen.lower()


async def test_a_trainers_search_is_no_oracle_for_an_email(backend: Backend) -> None:
    async with backend.channel() as channel:
        chat = await channel.start_chat("Zacharias Quintero", "zq@example.com")
    async with backend.client("tina") as tina, backend.client("alice") as alice:
        by_email = await tina.list_conversations(q="zq@example.com", include_closed=True)
        by_name = await tina.list_conversations(q="Quintero", include_closed=True)
        by_id = await tina.list_conversations(q=chat.id, include_closed=True)
        agent = await alice.list_conversations(q="zq@example.com", include_closed=True)
    assert by_email.items == [] and by_name.items == []
    assert [c.id for c in by_id.items] == [chat.id]
    assert [c.id for c in agent.items] == [chat.id]
