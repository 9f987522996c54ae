"""The customer's side of a conversation: starting a chat, saying something, reading replies."""

from __future__ import annotations

import secrets
from typing import NamedTuple

from backend_client import Action, Author, ChatStarted, ConversationStatus, Customer, Message, Page

from ..domain import policy, signals, transitions
from ..domain.disclosure import disclosure_version
from ..domain.transitions import Act
from ..errors import Conflict, Invalid
from .drafting import DraftWorkers
from .operator_admin import SYSTEM

CUSTOMER_NAME_LIMIT = 200


class Disclosure(NamedTuple):
    """The AI disclosure a chat opens with: its language key, its words, their version."""

    key: str | None
    text: str
    version: str


class CustomerTurns(DraftWorkers):
    """What customers do, and what the AI does in answer."""

    def start_chat(self, customer: Customer) -> ChatStarted:
        """A customer opens a chat: the AI disclosure is its first message (invariant 2)."""
        policy.check_text("customer.name", customer.name, CUSTOMER_NAME_LIMIT)
        token = secrets.token_urlsafe(24)
        # A new conversation is nobody else's yet: on PostgreSQL it opens beside decisions
        # and other openings, under a name of its own (its new customer token; only a hash
        # of it reaches PostgreSQL).
        disclosure = self.disclosure(customer.language)
        scope = [f"opening:{token}", *self.disclosure_scope(disclosure)]
        with self.store.transaction(scope=scope):
            cid = self.store.create_conversation(customer, token)
            self._disclose(cid, disclosure)
            self._publish(cid, created=True)
        return ChatStarted(id=cid, customer_token=token)

    def disclosure_scope(self, disclosure: Disclosure) -> list[str]:
        """What opening a chat with `disclosure` decides on that others share (for
        `store.transaction`'s scope): nothing, except while its version is not
        journaled yet; the first chats it opens take the version's lock, so its entry
        is written once. The flag, once set, is never cleared, so reading it before
        the transaction is safe."""
        if self.store.get_meta(_journaled(disclosure.version)) is None:
            return [f"disclosure:{disclosure.version}"]
        return []

    def disclosure(self, language: str | None) -> Disclosure:
        """The disclosure a customer speaking `language` is shown."""
        key, text = self.settings.disclosure_for(language)
        return Disclosure(key, text, disclosure_version(text))

    def _disclose(self, cid: str, disclosure: Disclosure) -> None:
        """Open the chat with the disclosure and record its version.

        The version goes on the conversation; the first chat a version opens
        also journals it (`_journal_disclosure`).
        """
        key, text, version = disclosure
        self.store.update_conversation(cid, disclosure_version=version)
        self._say(cid, Author.SYSTEM, text)
        self._journal_disclosure(version, key, text)

    def _journal_disclosure(self, version: str, key: str | None, text: str) -> None:
        """One system entry per disclosure version, when it first opens a chat (art. 50).

        Its words are the entry's HMAC'd `final_text`; its note names the
        version and the language key. It has no conversation, so erasing a
        person never removes the proof of which words a version is; each
        conversation names the version it was shown (`disclosure_version`).
        A changed text is a new version, journaled by the first chat it opens.
        """
        seen = _journaled(version)
        if self.store.get_meta(seen) is not None:
            return
        self.store.set_meta(seen, self.store.now())
        note = f"version {version}, language {key or 'default'}"
        self.record_decision(SYSTEM, Action.DISCLOSURE, note=note, final_text=text)

    async def customer_says(self, cid: str, text: str) -> Message:
        """A customer message: supersedes a pending draft, may escalate, else the AI drafts.

        The draft is written in the background (`drafting`): this returns once the
        message and its drafting job are stored, never waiting on the model.
        """
        message, drafts = self.customer_turn(cid, text)
        if drafts:
            self.kick_drafting(cid)
        return message

    def customer_turn(self, cid: str, text: str) -> tuple[Message, bool]:
        """`customer_says` without starting the drafting: one transaction (or part of the
        caller's, e.g. a channel's that records the delivery with it). True when a drafting
        job was stored: the caller then calls `kick_drafting(cid)` after its commit."""
        policy.check_text("text", text, self.settings.max_text_length)
        with self._on_conversation(cid):
            row = self._conversation(cid)
            status = ConversationStatus(row["status"])
            if not transitions.allows(status, Act.CUSTOMER_WRITES):
                raise Conflict("this conversation is closed; start a new chat")
            message = self._say(cid, Author.CUSTOMER, text)
            self._supersede_pending(cid)
            fields = {}
            if row["waiting_since"] is None:
                fields["waiting_since"] = message.created_at.isoformat()
            status = self._move(cid, Act.CUSTOMER_WRITES, **fields)
            reason = signals.escalation_reason(text, self.settings.assistant.escalation_phrases)
            if reason is not None and transitions.allows(status, Act.ESCALATE):
                self._escalate(cid, reason, tell_customer=True)
                status = ConversationStatus.ESCALATED
            drafts = transitions.allows(status, Act.DRAFT_WAITS)
            if drafts:
                self.store.add_draft_job(cid, message.id)
            self._publish(cid)
        return message, drafts

    def customer_messages(self, cid: str, after: str | None) -> Page[Message]:
        """What the customer sees: delivered messages only, never a pending draft."""
        self._conversation(cid)
        if after is not None and not self.store.message_exists(cid, after):
            raise Invalid("after", f"no message {after!r} in this conversation")
        return Page[Message](items=self.store.messages(cid, after))


def _journaled(version: str) -> str:
    """The meta key set once a disclosure version's entry is in the journal."""
    return f"disclosure_journaled:{version}"
