"""The Chatwoot agent bot, inbound: a signed webhook in, a customer turn in hitl out.

Chatwoot POSTs its agent-bot events to `/v1/integrations/chatwoot/webhook`,
signed `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
with `X-Chatwoot-Timestamp` (Unix seconds) and a `X-Chatwoot-Delivery` id.
Only a customer's own public message in a conversation the bot owns
(`pending`) becomes a customer turn; everything else (our own posts coming
back as `outgoing`, agents' messages, templates, private notes, status
events) is acknowledged and left alone, so the bot can never answer itself.
Replies go back through the outbox (`channels.chatwoot_out`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from backend_client import EMAIL_MAX, LANGUAGE_TAG_PATTERN, NAME_MAX, ConversationStatus, Customer

from ..errors import Unauthorized
from ..service import Hitl
from ..service.operator_admin import SYSTEM
from ..settings import ChatwootSettings
from ..store import Store
from .chatwoot_out import enqueue_backlog

SIGNATURE_WINDOW_SECONDS = 300
"""How far a webhook's timestamp may be from our clock (a replay after that is refused)."""
INCOMING = ("incoming", 0)
"""`message_type` of a customer's message: Chatwoot sends the name; older payloads the enum."""
FALLBACK_NAME = "Chatwoot customer"


def check_signature(
    settings: ChatwootSettings, headers: Mapping[str, str], raw: bytes, now: float
) -> None:
    """Raise `Unauthorized` unless the webhook is signed with our secret within the window."""
    if not settings.webhook_secret:
        raise Unauthorized("the Chatwoot agent bot is not configured: no webhook_secret")
    stamp = headers.get("x-chatwoot-timestamp", "")
    given = headers.get("x-chatwoot-signature", "")
    if not stamp.isdigit() or not given:
        raise Unauthorized("X-Chatwoot-Timestamp and X-Chatwoot-Signature are required")
    if abs(now - int(stamp)) > SIGNATURE_WINDOW_SECONDS:
        raise Unauthorized("X-Chatwoot-Timestamp is more than 5 minutes away from now")
    digest = hmac.new(
        settings.webhook_secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.encode(), f"sha256={digest}".encode()):
        raise Unauthorized("X-Chatwoot-Signature does not match the body")


@dataclass(frozen=True)
class ChatwootMessage:
    """A customer's message the bot answers: where it came from and who wrote it."""

    account_id: int
    chatwoot_id: int
    message_id: int | None
    text: str
    customer: Customer


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(conversation: Mapping[str, Any]) -> int | None:
    """The number of a Chatwoot conversation, as its dashboard and REST paths know it.

    Upstream's event data carries it as `id` (`EventDataPresenter#push_data` puts
    `display_id` there); a payload that names `display_id` itself (Chatwoot's
    documented webhook sample) is taken at its word, as `id` may then be the
    database's row id.
    """
    number = _int(conversation.get("display_id"))
    return number if number is not None else _int(conversation.get("id"))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _customer(sender: dict[str, Any], conversation: dict[str, Any]) -> Customer:
    """Name, email and browser language of the contact, as far as Chatwoot knows them."""
    contact = sender or _dict(_dict(conversation.get("meta")).get("sender"))
    name = contact.get("name")
    name = name.strip()[:NAME_MAX] if isinstance(name, str) and name.strip() else FALLBACK_NAME
    email = contact.get("email")
    email = email if isinstance(email, str) and 0 < len(email) <= EMAIL_MAX else None
    language = _dict(conversation.get("additional_attributes")).get("browser_language")
    if not isinstance(language, str) or not re.fullmatch(LANGUAGE_TAG_PATTERN, language):
        language = None
    return Customer(name=name, email=email, language=language)


def customer_message(payload: Any, account_id: int) -> ChatwootMessage | str:
    """The customer's message this event carries, or why the bot leaves the event alone."""
    body = _dict(payload)
    event = body.get("event")
    if event != "message_created":
        return f"ignored: {event!s} is not a new message"
    kind = body.get("message_type")
    if kind not in INCOMING:
        return f"ignored: a message of type {kind!s} (only incoming ones are answered)"
    if body.get("private") is not False and body.get("private") is not None:
        return "ignored: a private note"
    sender = _dict(body.get("sender"))
    if sender.get("type") not in (None, "contact"):
        return f"ignored: written by a {sender.get('type')!s}, not the customer"
    conversation = _dict(body.get("conversation"))
    if conversation.get("status") != "pending":
        return "ignored: the conversation is not the bot's (not pending)"
    account = _int(_dict(body.get("account")).get("id"))
    if account is None:
        account = _int(conversation.get("account_id"))
    if account is not None and account != account_id:
        return f"ignored: account {account} is not the configured one"
    chatwoot_id = _number(conversation)
    text = body.get("content")
    if chatwoot_id is None or not isinstance(text, str) or not text.strip():
        return "ignored: no conversation id or no text"
    return ChatwootMessage(
        account_id=account_id,
        chatwoot_id=chatwoot_id,
        message_id=_int(body.get("id")),
        text=text,
        customer=_customer(sender, conversation),
    )


def resolved_conversation(payload: Any, account_id: int) -> tuple[int, int] | str:
    """(account, conversation id) of a `conversation_resolved` event (Chatwoot's
    `Conversation#webhook_data`), or why the bot leaves the event alone."""
    body = _dict(payload)
    if body.get("event") != "conversation_resolved":
        return f"ignored: {body.get('event')!s} is not a resolution"
    account = _int(body.get("account_id"))
    if account is not None and account != account_id:
        return f"ignored: account {account} is not the configured one"
    chatwoot_id = _number(body)
    if chatwoot_id is None:
        return "ignored: no conversation id"
    return account_id, chatwoot_id


@contextmanager
def on_link(store: Store, account_id: int, chatwoot_id: int, *also: str) -> Iterator[str | None]:
    """A transaction on a Chatwoot conversation and the hitl chat it is linked to (yielded).

    On PostgreSQL it runs beside work on other conversations: it locks the Chatwoot
    conversation (links change only under that lock), reads the link, and locks the
    linked chat as a decision on it would, before writing anything. `also`: more
    names for its scope (`Hitl.disclosure_scope`, for a chat it may open).
    """
    with store.transaction(scope=[f"chatwoot:{account_id}:{chatwoot_id}", *also]):
        cid = store.chatwoot_chat(account_id, chatwoot_id)
        if cid is not None:
            store.widen_scope(f"conversation:{cid}")
        yield cid


def resolve(
    service: Hitl, store: Store, account_id: int, chatwoot_id: int, delivery: str | None
) -> str:
    """Chatwoot's agents resolved a conversation: its hitl chat closes too (journaled by the
    system, the reason in the note). Its next message starts a new chat, as after any close."""
    with on_link(store, account_id, chatwoot_id) as cid:
        if delivery and not store.claim_chatwoot_delivery(f"delivery:{delivery}"):
            return "duplicate"
        row = store.conversation_row(cid) if cid is not None else None
        if cid is None or row is None:
            return "ignored: no hitl chat for this conversation"
        if row["status"] == ConversationStatus.CLOSED:
            return f"ignored: conversation {cid} is closed already"
        service.close(SYSTEM, cid, None, note="resolved in Chatwoot")
    return f"closed conversation {cid}"


def receive(service: Hitl, store: Store, message: ChatwootMessage, delivery: str | None) -> str:
    """Take a customer's message once: into the Chatwoot conversation's hitl chat (a new chat,
    disclosure first, when there is none or it was closed). Returns what was done.

    One transaction: the delivery's id, the link, the disclosure's and the
    message's outbox rows commit together, or nothing does (Chatwoot's
    repeat then finds nothing taken). The draft is written in the background.
    """
    opening = service.disclosure_scope(service.disclosure(message.customer.language))
    with on_link(store, message.account_id, message.chatwoot_id, *opening) as cid:
        keys = []
        if message.message_id is not None:
            keys.append(f"message:{message.account_id}:{message.message_id}")
        if delivery:
            keys.append(f"delivery:{delivery}")
        # Both are claimed: a repeat under either name is dropped.
        if not all([store.claim_chatwoot_delivery(key) for key in keys]):
            return "duplicate"
        row = store.conversation_row(cid) if cid is not None else None
        if cid is None or row is None or row["status"] == ConversationStatus.CLOSED:
            cid = service.start_chat(message.customer).id
            store.link_chatwoot(cid, message.account_id, message.chatwoot_id)
            enqueue_backlog(store, cid)  # the disclosure: it was said before the link existed
        _, drafts = service.customer_turn(cid, message.text)
    if drafts:  # after the commit: the drafting worker reads the job this stored
        service.kick_drafting(cid)
    return f"taken into conversation {cid}"
