"""The operator client's calls for an agent's working day (mixed into `AsyncBackendClient`):
finding in the queue, internal notes, the customer's history, assignment, saved replies."""

from __future__ import annotations

from pydantic import TypeAdapter

from ._base import _BaseClient
from ._models import ConversationSummary, Page
from ._pages import paginate
from ._queries import QueueQuery

_SUMMARIES = TypeAdapter(Page[ConversationSummary])

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
