"""The journal's columns: part of the protocol, since anyone may recompute the chain.

`hitl audit verify` (the backend), `hitl audit export` (the command line) and
the override log's export (the console) all read them from here, so the three
can never disagree on the columns or their order.
"""

from __future__ import annotations

__all__ = ["AUDIT_EXPORT_FIELDS", "AUDIT_HASHED_FIELDS"]

AUDIT_HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "action",
    "reason_code",
    "note",
    "conversation_id",
    "draft_id",
    "bot_name",
    "bot_model",
    "ai_text_hmac",
    "final_text_hmac",
    "prev_hash",
)
"""The columns of the `audit` table an entry's hash commits to, in this order."""

AUDIT_EXPORT_FIELDS = (*AUDIT_HASHED_FIELDS, "hash", "ai_text", "final_text")
"""The columns of an audit export: the hashed fields, the entry's hash, its texts."""
