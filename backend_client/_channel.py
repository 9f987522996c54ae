"""The customer side of a chat, as a website widget would speak it."""

from __future__ import annotations

from pydantic import TypeAdapter

from ._base import _BaseClient, _parse
from ._models import (
    ChatStarted,
    Customer,
    Message,
    Page,
    SendMessageRequest,
    StartChatRequest,
)
from ._oversight import ComplaintReceipt, ComplaintRequest

_CHAT = TypeAdapter(ChatStarted)
_MESSAGE = TypeAdapter(Message)
_MESSAGE_PAGE = TypeAdapter(Page[Message])
_RECEIPT = TypeAdapter(ComplaintReceipt)


class ChannelClient(_BaseClient):
    """The customer side of a chat, as a website widget would speak it."""

    async def start_chat(
        self, name: str, email: str | None = None, *, language: str | None = None
    ) -> ChatStarted:
        """Start a chat; keep the returned `customer_token` for the calls after.

        `language` (a BCP 47 tag such as `de-AT`) picks the disclosure the chat opens with.
        """
        body = StartChatRequest(customer=Customer(name=name, email=email, language=language))
        response = await self._send("POST", "/v1/channel/conversations", json=body)
        return _parse(_CHAT, response)

    async def say(self, chat: ChatStarted, text: str) -> Message:
        """Send a customer message."""
        response = await self._send(
            "POST",
            f"/v1/channel/conversations/{chat.id}/messages",
            json=SendMessageRequest(text=text),
            headers=_customer_auth(chat),
        )
        return _parse(_MESSAGE, response)

    async def messages(self, chat: ChatStarted, after: str | None = None) -> list[Message]:
        """What the customer can see: delivered messages, after the id `after`."""
        response = await self._send(
            "GET",
            f"/v1/channel/conversations/{chat.id}/messages",
            params={"after": after},
            headers=_customer_auth(chat),
            attempts=2,
        )
        return _parse(_MESSAGE_PAGE, response).items

    async def complain(self, chat: ChatStarted, text: str | None = None) -> ComplaintReceipt:
        """Ask for a person to look at this conversation (a complaint, GDPR art. 22(3))."""
        response = await self._send(
            "POST",
            f"/v1/channel/conversations/{chat.id}/complaint",
            json=ComplaintRequest(text=text),
            headers=_customer_auth(chat),
        )
        return _parse(_RECEIPT, response)


def _customer_auth(chat: ChatStarted) -> dict[str, str]:
    return {"Authorization": f"Bearer {chat.customer_token}"}
