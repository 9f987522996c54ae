"""Transitional: the CLI moved to `hitl.cli`; only the audit export's columns remain here.

`console.export_view` imports `EXPORT_FIELDS` from this module. The console's
restructure gives the constant its own home (and deletes this file); until
then it is spelled out rather than imported from `backend.journal`, because
the console never imports the backend. `tests/test_cli.py` checks that it
matches the columns `hitl audit export` writes.
"""

EXPORT_FIELDS = (
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
    "hash",
    "ai_text",
    "final_text",
)
"""Every column of a journal entry and its texts, as `hitl audit export` writes them."""
