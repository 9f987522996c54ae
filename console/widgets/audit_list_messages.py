"""What the override log's list tells its owner: highlighted, page wanted, selected.

The messages keep the `audit_list` namespace, so handlers stay
`on_audit_list_highlighted` and so on.
"""

from __future__ import annotations

from textual.message import Message

from backend_client import AuditEntry
from console.widgets.virtual_list import VirtualList

__all__ = ["Highlighted", "PageWanted", "Selected"]


class Highlighted(Message, namespace="audit_list"):
    """The cursor was put on an entry (by a key, a click, or the first page)."""

    def __init__(
        self, audit_list: VirtualList, entry: AuditEntry | None, index: int, loaded: int
    ) -> None:
        super().__init__()
        self.audit_list = audit_list
        self.entry = entry
        """The entry, or None while its page is fetched again."""
        self.index = index
        self.loaded = loaded
        """How many entries the list holds (where the next page would start)."""

    @property
    def control(self) -> VirtualList:
        """The list the cursor moved in."""
        return self.audit_list


class PageWanted(Message, namespace="audit_list"):
    """A dropped page is in view again: fetch it with `cursor`, then `fill` it."""

    def __init__(self, audit_list: VirtualList, number: int, cursor: str | None) -> None:
        super().__init__()
        self.audit_list = audit_list
        self.number = number
        self.cursor = cursor

    @property
    def control(self) -> VirtualList:
        """The list that wants the page."""
        return self.audit_list


class Selected(Message, namespace="audit_list"):
    """Enter (or a double click) on an entry."""

    def __init__(self, audit_list: VirtualList, entry: AuditEntry) -> None:
        super().__init__()
        self.audit_list = audit_list
        self.entry = entry

    @property
    def control(self) -> VirtualList:
        """The list the entry was chosen in."""
        return self.audit_list
