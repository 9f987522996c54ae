"""What the queue list tells its owner: the cursor moved, a conversation was opened.

The messages keep the `queue_list` namespace, so handlers stay
`on_queue_list_highlighted` and `on_queue_list_opened`.
"""

from __future__ import annotations

from textual.message import Message

from console.widgets.virtual_list import VirtualList

__all__ = ["Highlighted", "Opened"]


class Highlighted(Message, namespace="queue_list"):
    """The cursor moved to another conversation (None: the list is empty)."""

    def __init__(self, queue_list: VirtualList, conversation_id: str | None) -> None:
        super().__init__()
        self.queue_list = queue_list
        self.conversation_id = conversation_id

    @property
    def control(self) -> VirtualList:
        """The list the cursor moved in."""
        return self.queue_list


class Opened(Message, namespace="queue_list"):
    """The operator asked to open a conversation (enter or double click)."""

    def __init__(self, queue_list: VirtualList, conversation_id: str) -> None:
        super().__init__()
        self.queue_list = queue_list
        self.conversation_id = conversation_id

    @property
    def control(self) -> VirtualList:
        """The list the conversation was opened from."""
        return self.queue_list
