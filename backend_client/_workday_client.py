"""The operator client's calls for an agent's working day (mixed into `AsyncBackendClient`):
finding in the queue, internal notes, the customer's history, assignment, saved replies."""

from __future__ import annotations

import uuid

from pydantic import TypeAdapter

from ._base import DECISION_ATTEMPTS, _BaseClient, _parse
from ._models import ConversationDetail, ConversationSummary, Page
from ._pages import paginate
from ._queries import QueueQuery
from ._workday import (
    AssignRequest,
    Note,
    NoteRequest,
    Presence,
    SavedReply,
    SavedReplyRequest,
    WorkdaySettings,
)

_SUMMARIES = TypeAdapter(Page[ConversationSummary])
_DETAIL = TypeAdapter(ConversationDetail)
_NOTE = TypeAdapter(Note)
_NOTES = TypeAdapter(Page[Note])
_REPLY = TypeAdapter(SavedReply)
_REPLIES = TypeAdapter(Page[SavedReply])
_PRESENCE = TypeAdapter(Presence)
_WORKDAY = TypeAdapter(WorkdaySettings)

FIND_PAGE = 1000
"""Conversations per page when collecting what a find matched."""


class WorkdayCalls(_BaseClient):
    """What agents expect from a support console, beyond reviewing drafts."""

    async def find_in_queue(self, words: str) -> frozenset[str]:
        """The ids of open conversations matching `words` (each word in the id, the customer's
        name or email, a message's text, or a flag of the pending draft)."""
        first = QueueQuery(find=words, limit=FIND_PAGE)

        async def page(cursor: str | None) -> Page[ConversationSummary]:
            query = first.model_copy(update={"cursor": cursor})
            return await self._get("/v1/conversations", _SUMMARIES, query.params())

        return frozenset([summary.id async for summary in paginate(page)])

    # -- internal notes ----------------------------------------------------------------------

    async def add_note(self, conversation_id: str, text: str) -> Note:
        """Keep an internal note on a conversation (colleagues see it; the customer never)."""
        response = await self._send(
            "POST", f"/v1/conversations/{conversation_id}/notes", json=NoteRequest(text=text)
        )
        return _parse(_NOTE, response)

    async def notes(self, conversation_id: str) -> list[Note]:
        """A conversation's internal notes, oldest first."""
        return (await self._get(f"/v1/conversations/{conversation_id}/notes", _NOTES)).items

    # -- assignment --------------------------------------------------------------------------

    async def assign(
        self, conversation_id: str, version: int | None, operator: str | None
    ) -> ConversationDetail:
        """Assign a conversation to an operator (id or name), or to nobody (None)."""
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        response = await self._send(
            "POST",
            f"/v1/conversations/{conversation_id}/assign",
            json=AssignRequest(operator=operator),
            headers=headers,
            attempts=DECISION_ATTEMPTS,
        )
        return _parse(_DETAIL, response)

    # -- the customer's history --------------------------------------------------------------

    async def history(self, conversation_id: str) -> list[ConversationSummary]:
        """The customer's other conversations, newest first (same email, else same name)."""
        path = f"/v1/conversations/{conversation_id}/history"
        return (await self._get(path, _SUMMARIES)).items

    # -- saved replies -----------------------------------------------------------------------

    async def saved_replies(self) -> list[SavedReply]:
        """The team's library of replies, by title."""
        return (await self._get("/v1/saved-replies", _REPLIES)).items

    async def add_saved_reply(self, title: str, text: str) -> SavedReply:
        """Supervisor: add a saved reply."""
        body = SavedReplyRequest(title=title, text=text)
        response = await self._send("POST", "/v1/saved-replies", json=body)
        return _parse(_REPLY, response)

    async def replace_saved_reply(self, reply_id: str, title: str, text: str) -> SavedReply:
        """Supervisor: replace a saved reply."""
        body = SavedReplyRequest(title=title, text=text)
        response = await self._send("PUT", f"/v1/saved-replies/{reply_id}", json=body, attempts=2)
        return _parse(_REPLY, response)

    async def delete_saved_reply(self, reply_id: str) -> None:
        """Supervisor: remove a saved reply."""
        await self._send("DELETE", f"/v1/saved-replies/{reply_id}")

    # -- who else is here, and the team's promises -------------------------------------------

    async def viewing(self, conversation_id: str, *, leaving: bool = False) -> Presence:
        """Say I have the conversation open (or not, `leaving`); learn who else has."""
        path = f"/v1/conversations/{conversation_id}/presence"
        params = {"leaving": "true"} if leaving else None
        response = await self._send("POST", path, params=params)
        return _parse(_PRESENCE, response)

    async def workday_settings(self) -> WorkdaySettings:
        """The team's promises: the escalation SLA, the complaint's reply time."""
        return await self._get("/v1/workday", _WORKDAY)
