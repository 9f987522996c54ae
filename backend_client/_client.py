"""The typed async client of the operator API (the customer side is in `_channel`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import BaseModel, TypeAdapter

from ._base import (
    DECISION_ATTEMPTS,
    DEFAULT_TIMEOUT,
    RETRY_FIRST,
    VERIFY_TIMEOUT,
    _BaseClient,
    _parse,
)
from ._channel import ChannelClient
from ._enums import (
    ReasonCode,
)
from ._events import StateCallback, stream_events
from ._models import (
    AIState,
    AuditEntry,
    ChatStarted,
    ConversationDetail,
    ConversationSummary,
    EditRequest,
    Event,
    Message,
    Metrics,
    Operator,
    Page,
    ReasonRequest,
    RegenerateRequest,
    RejectRequest,
    SendMessageRequest,
    Timeline,
    TrainingPair,
    VerifyResult,
)
from ._oversight_client import OversightCalls
from ._pages import paginate
from ._queries import AuditQuery, QueueQuery, TrainingQuery
from ._workday_client import WorkdayCalls

_DETAIL = TypeAdapter(ConversationDetail)
_SUMMARY_PAGE = TypeAdapter(Page[ConversationSummary])
_AI_STATE = TypeAdapter(AIState)
_OPERATOR = TypeAdapter(Operator)
_OPERATOR_PAGE = TypeAdapter(Page[Operator])
_MESSAGE = TypeAdapter(Message)
_MESSAGE_PAGE = TypeAdapter(Page[Message])
_CHAT = TypeAdapter(ChatStarted)
_AUDIT_PAGE = TypeAdapter(Page[AuditEntry])
_VERIFY = TypeAdapter(VerifyResult)
_TIMELINE = TypeAdapter(Timeline)
_METRICS = TypeAdapter(Metrics)
_PAIR_PAGE = TypeAdapter(Page[TrainingPair])


class AsyncBackendClient(WorkdayCalls, OversightCalls, _BaseClient):
    """The operator API: the queue, conversations and every decision on them.

    Decision calls take the version the caller last saw and send it as
    `If-Match`; each call makes one `Idempotency-Key` and reuses it when a
    dropped connection forces a retry, so a decision applies exactly once.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry_first: float = RETRY_FIRST,
    ) -> None:
        super().__init__(
            base_url,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
            retry_first=retry_first,
        )
        self.token = token

    async def _decide(
        self,
        path: str,
        version: int | None,
        body: BaseModel | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ConversationDetail:
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        response = await self._send(
            "POST", path, json=body, headers=headers, attempts=DECISION_ATTEMPTS
        )
        return _parse(_DETAIL, response)

    # -- reading -----------------------------------------------------------

    async def me(self) -> Operator:
        """Who this token belongs to."""
        return await self._get("/v1/me", _OPERATOR)

    async def operators(self) -> list[Operator]:
        """Every operator (id, name, role): to show people by name."""
        return (await self._get("/v1/operators", _OPERATOR_PAGE)).items

    async def list_conversations(
        self, query: QueueQuery | None = None, /, **fields: Any
    ) -> Page[ConversationSummary]:
        """One page of the queue, longest waiting first: `query`, or its fields by keyword.

        `q` (id, customer name or email), `flag`, `reason_code` and
        `include_closed` search past conversations, e.g. for replay.
        """
        params = QueueQuery.of(query, fields).params()
        return await self._get("/v1/conversations", _SUMMARY_PAGE, params)

    def iter_conversations(
        self, query: QueueQuery | None = None, /, *, page_size: int = 500, **fields: Any
    ) -> AsyncIterator[ConversationSummary]:
        """Every conversation `query` matches, fetched page by page."""
        first = QueueQuery.of(query, {**fields, "limit": page_size})
        return paginate(
            lambda cursor: self.list_conversations(first.model_copy(update={"cursor": cursor}))
        )

    async def get_conversation(self, conversation_id: str) -> ConversationDetail:
        """One conversation: transcript, pending draft, holder, version."""
        return await self._get(f"/v1/conversations/{conversation_id}", _DETAIL)

    async def ai_state(self) -> AIState:
        """Whether AI sending is paused, and the review mode."""
        return await self._get("/v1/ai", _AI_STATE)

    async def timeline(self, conversation_id: str) -> Timeline:
        """Messages, drafts and decisions of a conversation in order, for replay."""
        return await self._get(f"/v1/conversations/{conversation_id}/timeline", _TIMELINE)

    async def list_audit(
        self, query: AuditQuery | None = None, /, **fields: Any
    ) -> Page[AuditEntry]:
        """One page of the override log, newest first (supervisor and admin)."""
        params = AuditQuery.of(query, fields).params()
        return await self._get("/v1/audit", _AUDIT_PAGE, params)

    def iter_audit(
        self, query: AuditQuery | None = None, /, *, page_size: int = 500, **fields: Any
    ) -> AsyncIterator[AuditEntry]:
        """Every entry of the override log `query` matches, newest first, page by page."""
        first = AuditQuery.of(query, {**fields, "limit": page_size})
        return paginate(lambda cursor: self.list_audit(first.model_copy(update={"cursor": cursor})))

    async def verify_audit(self, *, timeout: float = VERIFY_TIMEOUT) -> VerifyResult:
        """Check the journal's hash chain on the server.

        This reads every entry: at a million it takes tens of seconds, so it
        gets its own timeout and is not retried (a retry would start over).
        """
        response = await self._send("GET", "/v1/audit/verify", timeout=timeout)
        return _parse(_VERIFY, response)

    async def metrics(self) -> Metrics:
        """Override rates, review times, fast approvals, queue sizes (supervisor)."""
        return await self._get("/v1/metrics", _METRICS)

    async def training_pairs(
        self, query: TrainingQuery | None = None, /, **fields: Any
    ) -> Page[TrainingPair]:
        """One page of preference pairs from overridden drafts, oldest first."""
        params = TrainingQuery.of(query, fields).params()
        return await self._get("/v1/training/pairs", _PAIR_PAGE, params)

    def iter_training_pairs(
        self, query: TrainingQuery | None = None, /, *, page_size: int = 500, **fields: Any
    ) -> AsyncIterator[TrainingPair]:
        """Every preference pair `query` matches, fetched page by page."""
        first = TrainingQuery.of(query, {**fields, "limit": page_size})
        return paginate(
            lambda cursor: self.training_pairs(first.model_copy(update={"cursor": cursor}))
        )

    # -- deciding drafts ---------------------------------------------------

    async def approve(
        self, draft_id: str, version: int, *, idempotency_key: str | None = None
    ) -> ConversationDetail:
        """Send the draft as the AI wrote it."""
        return await self._decide(
            f"/v1/drafts/{draft_id}/approve", version, idempotency_key=idempotency_key
        )

    async def edit(
        self,
        draft_id: str,
        version: int,
        text: str,
        reason_code: ReasonCode,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ConversationDetail:
        """Send `text` instead of the draft."""
        body = EditRequest(text=text, reason_code=reason_code, note=note)
        return await self._decide(
            f"/v1/drafts/{draft_id}/edit", version, body, idempotency_key=idempotency_key
        )

    async def reject(
        self,
        draft_id: str,
        version: int,
        reason_code: ReasonCode,
        note: str | None = None,
        *,
        regenerate: bool = False,
        idempotency_key: str | None = None,
    ) -> ConversationDetail:
        """Discard the draft; the conversation escalates unless `regenerate`."""
        body = RejectRequest(reason_code=reason_code, note=note, regenerate=regenerate)
        return await self._decide(
            f"/v1/drafts/{draft_id}/reject", version, body, idempotency_key=idempotency_key
        )

    async def regenerate(
        self,
        draft_id: str,
        version: int,
        instruction: str,
        reason_code: ReasonCode,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ConversationDetail:
        """Discard the draft and ask the AI for a new one, following `instruction`."""
        body = RegenerateRequest(instruction=instruction, reason_code=reason_code, note=note)
        return await self._decide(
            f"/v1/drafts/{draft_id}/regenerate", version, body, idempotency_key=idempotency_key
        )

    # -- deciding conversations --------------------------------------------

    async def takeover(
        self,
        conversation_id: str,
        version: int,
        reason_code: ReasonCode,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ConversationDetail:
        """Hold the conversation: the AI goes silent in it, only you may write."""
        body = ReasonRequest(reason_code=reason_code, note=note)
        return await self._decide(
            f"/v1/conversations/{conversation_id}/takeover",
            version,
            body,
            idempotency_key=idempotency_key,
        )

    async def send_message(
        self, conversation_id: str, text: str, *, idempotency_key: str | None = None
    ) -> ConversationDetail:
        """Write to the customer in a conversation you hold."""
        return await self._decide(
            f"/v1/conversations/{conversation_id}/messages",
            None,
            SendMessageRequest(text=text),
            idempotency_key=idempotency_key,
        )

    async def handback(
        self, conversation_id: str, version: int, *, idempotency_key: str | None = None
    ) -> ConversationDetail:
        """Give a held conversation back to the AI."""
        return await self._decide(
            f"/v1/conversations/{conversation_id}/handback",
            version,
            idempotency_key=idempotency_key,
        )

    async def release(
        self,
        conversation_id: str,
        version: int,
        reason_code: ReasonCode,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ConversationDetail:
        """Supervisor: end someone else's hold; the conversation escalates."""
        body = ReasonRequest(reason_code=reason_code, note=note)
        return await self._decide(
            f"/v1/conversations/{conversation_id}/release",
            version,
            body,
            idempotency_key=idempotency_key,
        )

    async def close(
        self, conversation_id: str, version: int, *, idempotency_key: str | None = None
    ) -> ConversationDetail:
        """Close the conversation."""
        return await self._decide(
            f"/v1/conversations/{conversation_id}/close",
            version,
            idempotency_key=idempotency_key,
        )

    async def erase(
        self, conversation_id: str, *, idempotency_key: str | None = None
    ) -> ConversationDetail:
        """Admin: erase the customer's personal data from a conversation (GDPR art. 17)."""
        return await self._decide(
            f"/v1/conversations/{conversation_id}/erase", None, idempotency_key=idempotency_key
        )

    async def resume_ai(self) -> AIState:
        """Supervisor: let the AI send again."""
        response = await self._send("POST", "/v1/ai/resume", attempts=DECISION_ATTEMPTS)
        return _parse(_AI_STATE, response)

    # -- the live stream ---------------------------------------------------

    def events(
        self, since: int | None = None, on_state: StateCallback | None = None
    ) -> AsyncIterator[Event]:
        """Live events after id `since` (from now on when None), surviving any drop.

        Reconnects with backoff and `Last-Event-ID`; yields each event once, in
        order; a `reset` event means reload the queue, then keep reading.
        `on_state` hears `live`, `reconnecting` and `offline`. Raises
        `UnauthorizedError` / `ForbiddenError` rather than retrying forever.
        """
        return stream_events(self._http, since, on_state)


__all__ = ["AsyncBackendClient", "ChannelClient"]
