"""Walking a paged list: every list call answers `{items, next_cursor}`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from ._models import Page

T = TypeVar("T")


async def paginate(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Every item of a paged list, in order: `fetch(cursor)` gets one page, the first with None.

    Pages are fetched only as the caller reads on, so stopping early costs nothing more.
    """
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
