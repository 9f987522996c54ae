"""The console's modal dialogs: each dismisses with a typed result, or `None` when cancelled.

Keyboard first: tab moves between fields, enter confirms, escape cancels.
Their styles live in `screens/conversation.tcss` and `screens/supervision.tcss`,
which the app loads once at start.
"""

from console.dialogs.confirm import ConfirmDialog
from console.dialogs.editor import DraftEditor
from console.dialogs.export import ExportChoice, ExportDialog
from console.dialogs.reasons import (
    EditChoice,
    EditConfirmDialog,
    ReasonChoice,
    ReasonDialog,
    RegenerateChoice,
    RegenerateDialog,
    RejectChoice,
    RejectDialog,
    TakeoverDialog,
)

__all__ = [
    "ConfirmDialog",
    "DraftEditor",
    "EditChoice",
    "EditConfirmDialog",
    "ExportChoice",
    "ExportDialog",
    "ReasonChoice",
    "ReasonDialog",
    "RegenerateChoice",
    "RegenerateDialog",
    "RejectChoice",
    "RejectDialog",
    "TakeoverDialog",
]
