"""The Chatwoot agent bot, outbound: what hitl posts back to Chatwoot, through the outbox.

A plug-in of the outbox (`channels.outbox`): inside the transaction of every
change to a chat that came from Chatwoot it writes the REST calls that change
calls for, and the outbox's worker sends them in order, retrying with backoff.

- a delivered message (the disclosure, an approved or edited reply, what a
  person writes while holding the chat, the hand-off notice) becomes
  `POST {base_url}/api/v1/accounts/{account}/conversations/{id}/messages`
  `{content, message_type: "outgoing", private: false}`;
- an escalation or a takeover hands the conversation to Chatwoot's agents: a
  private note saying why, then `POST …/toggle_status {status: "open"}`; a
  hand-back to the AI sets it `pending` again (the bot's) with a note.

A draft is never a delivered message, so nothing AI-written leaves before a
person let it (or the review mode did).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from backend_client import Action, ConversationStatus, Event

from ..settings import ChatwootSettings, Settings
from ..store import Store
from ..store.outbox import Delivery
from .outbox import DeliveryFailed, Outbox, post
from .webhooks import DELIVERED_AUTHORS

log = logging.getLogger("hitl.chatwoot")

Changed = Callable[[str], None]
"""Told the id of a chat whose deliveries started or stopped failing."""

CHANNEL = "chatwoot"
"""The outbox's name for these deliveries."""
PERSON = frozenset({ConversationStatus.ESCALATED, ConversationStatus.HUMAN})
"""hitl statuses in which a person, not the AI, answers."""


def conversation_path(account_id: int, chatwoot_id: int) -> str:
    """The conversation's REST path below Chatwoot's base URL (the outbox's target)."""
    return f"api/v1/accounts/{account_id}/conversations/{chatwoot_id}"


def _post_message(store: Store, cid: str, target: str, key: str, text: str, private: bool) -> None:
    body = {"content": text, "message_type": "outgoing", "private": private}
    kind = "note" if private else "message"
    store.enqueue(key, CHANNEL, target, cid, kind, {"path": "messages", "json": body})


def enqueue_backlog(store: Store, cid: str) -> None:
    """Queue every message already delivered in a chat just linked to Chatwoot (the disclosure).

    The keys are the ones the event hook uses, so nothing is queued twice.
    """
    link = store.chatwoot_link(cid)
    if link is None:
        return
    target = conversation_path(*link)
    for message in store.messages(cid):
        if message.author in DELIVERED_AUTHORS:
            _post_message(store, cid, target, f"chatwoot_{message.id}", message.text, False)


def handoff(
    before: str | None, status: str, reason: str | None, holder: str | None
) -> tuple[str | None, str] | None:
    """(the Chatwoot status to set or None, the private note) a change in hitl calls for.

    `reason` is the escalation's reason, or for a takeover the operator's reason code.
    """
    now, was = ConversationStatus(status), ConversationStatus(before) if before else None
    if now is ConversationStatus.HUMAN:
        why = f" (reason: {reason.replace('_', ' ')})" if reason else ""
        note = f"hitl: {holder or 'a person'} took this conversation over in hitl{why}."
        return (None if was in PERSON else "open", note)
    if now is ConversationStatus.ESCALATED and was not in PERSON:
        why = (reason or "a person is needed").replace("_", " ")
        return ("open", f"hitl: the AI handed this conversation to a person ({why}).")
    if now in (ConversationStatus.BOT, ConversationStatus.AWAITING_REVIEW) and was in PERSON:
        return ("pending", "hitl: handed back to the AI assistant; a person reviews its replies.")
    return None


def takeover_reason(store: Store, cid: str) -> str | None:
    """The reason code of the newest takeover of a chat (journalled in the same transaction)."""
    takeovers = [e for e in store.audit_entries_for(cid) if e.action is Action.TAKEOVER]
    last = takeovers[-1].reason_code if takeovers else None
    return None if last is None else last.value


def enqueue_chatwoot(
    store: Store, settings: Settings, event: Event, said: list[tuple[str, dict[str, Any]]]
) -> None:
    """The outbox rows an event of a Chatwoot chat calls for (none for other chats)."""
    cid = event.conversation_id
    link = store.chatwoot_link(cid) if cid is not None else None
    if cid is None or link is None:
        return
    target = conversation_path(*link)
    for kind, data in said:
        if kind == "message.delivered":
            key = f"chatwoot_{data['message_id']}"
            _post_message(store, cid, target, key, data["text"], False)
        elif kind == "conversation.status":
            row = store.conversation_row(cid) or {}
            holder = store.operator_name(row.get("holder")) if row.get("holder") else None
            reason = data["reason"]
            if data["status"] == ConversationStatus.HUMAN:
                reason = takeover_reason(store, cid)
            step = handoff(data["before"], data["status"], reason, holder)
            if step is None:
                continue
            status, note = step
            _post_message(store, cid, target, f"chatwoot_{event.id}_note", note, True)
            if status is not None:
                body = {"path": "toggle_status", "json": {"status": status}}
                store.enqueue(f"chatwoot_{event.id}_status", CHANNEL, target, cid, "status", body)


class ChatwootSender:
    """Sends one Chatwoot delivery: the REST call, with the bot's access token."""

    def __init__(self, settings: ChatwootSettings, changed: Changed | None = None) -> None:
        self.settings = settings
        self.changed = changed
        """Told a chat's id when its first failure starts or its recovery ends a problem."""

    async def __call__(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        """POST it; `DeliveryFailed` (shown as "not delivered: …") unless Chatwoot took it."""
        base, token = self.settings.base_url, self.settings.api_access_token
        try:
            if not base or not token:
                raise DeliveryFailed("Chatwoot is no longer configured")
            url = f"{base.rstrip('/')}/{delivery.target}/{delivery.body['path']}"
            headers = {"api_access_token": token}
            await post(client, url, json=delivery.body["json"], headers=headers)
        except DeliveryFailed:
            if delivery.attempts == 0:
                self._tell(delivery)
            raise
        if delivery.attempts > 0:
            self._tell(delivery)

    def _tell(self, delivery: Delivery) -> None:
        # The outbox records the attempt right after this returns, before anything else
        # runs on the loop, so whoever is told reads the new state.
        if self.changed is None or delivery.conversation_id is None:
            return
        try:
            self.changed(delivery.conversation_id)
        except Exception:  # telling is a courtesy: the delivery's own fate must not change
            log.exception("announcing a delivery problem failed")


def plug_in(outbox: Outbox, changed: Changed | None = None) -> None:
    """Make the outbox deliver to Chatwoot (when the agent bot is configured); `changed` is
    told when a chat's deliveries start or stop failing (so consoles show it live)."""
    if outbox.settings.chatwoot.enabled:
        outbox.enqueuers.append(enqueue_chatwoot)
        outbox.senders[CHANNEL] = ChatwootSender(outbox.settings.chatwoot, changed)
