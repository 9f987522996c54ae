"""AI drafts and their fate."""

from __future__ import annotations

import json
from typing import Any

from backend_client import (
    BotIdentity,
    Draft,
    DraftStatus,
    Source,
)

from .common import Connection, new_id

# Every draft read carries its place among its conversation's drafts (1 = the first),
# counted rather than stored, so no migration and no write path has to keep it right.
_SELECT_DRAFTS = (
    "SELECT d.*, (SELECT count(*) FROM drafts e WHERE e.conversation_id = d.conversation_id "
    "AND e.seq <= d.seq) AS ordinal FROM drafts d"
)


class DraftRows(Connection):
    """Drafts."""

    def _draft_from_row(self, r: dict[str, Any]) -> Draft:
        bot = BotIdentity(name=r["bot_name"], model=r["bot_model"]) if r["bot_name"] else None
        return Draft(
            id=r["id"],
            conversation_id=r["conversation_id"],
            text=r["text"],
            confidence=r["confidence"],
            rationale=r["rationale"],
            sources=[Source(**s) for s in json.loads(r["sources"])],
            flags=json.loads(r["flags"]),
            status=r["status"],
            version=r["version"],
            created_at=r["created_at"],
            send_at=r["send_at"],
            bot=bot,
            instruction=r["instruction"],
            decided_by=r["decided_by"],
            decided_at=r["decided_at"],
            final_text=r["final_text"],
            ordinal=r.get("ordinal"),
        )

    def add_draft(
        self,
        cid: str,
        *,
        text: str,
        confidence: float,
        rationale: str,
        sources: list[Source],
        flags: list[str],
        bot: BotIdentity,
        instruction: str | None,
        send_at: str | None,
    ) -> Draft:
        """Insert a pending draft (in the current transaction)."""
        did = new_id("d")
        self.db.execute(
            "INSERT INTO drafts (id, conversation_id, text, confidence, rationale, sources, "
            "flags, status, created_at, send_at, bot_name, bot_model, instruction) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
            [
                did,
                cid,
                text,
                confidence,
                rationale,
                json.dumps([s.model_dump() for s in sources]),
                json.dumps(sorted(flags)),
                self.now(),
                send_at,
                bot.name,
                bot.model,
                instruction,
            ],
        )
        draft = self.draft(did)
        assert draft is not None
        return draft

    def draft(self, did: str) -> Draft | None:
        """A draft by id."""
        rows = list(self.db.query(f"{_SELECT_DRAFTS} WHERE d.id = ?", [did]))
        return self._draft_from_row(rows[0]) if rows else None

    def draft_conversation(self, did: str) -> str | None:
        """The conversation a draft belongs to (it never changes), or None without the draft."""
        row = self.db.execute("SELECT conversation_id FROM drafts WHERE id = ?", [did]).fetchone()
        return str(row[0]) if row else None

    def pending_draft(self, cid: str) -> Draft | None:
        """The draft waiting for a decision in a conversation, if any."""
        rows = list(
            self.db.query(
                f"{_SELECT_DRAFTS} WHERE d.conversation_id = ? AND d.status = 'pending' "
                "ORDER BY d.seq DESC LIMIT 1",
                [cid],
            )
        )
        return self._draft_from_row(rows[0]) if rows else None

    def drafts_of(self, cid: str) -> list[Draft]:
        """Every draft of a conversation, oldest first."""
        rows = self.db.query(f"{_SELECT_DRAFTS} WHERE d.conversation_id = ? ORDER BY d.seq", [cid])
        return [self._draft_from_row(r) for r in rows]

    def decide_draft(
        self,
        did: str,
        status: DraftStatus,
        *,
        decided_by: str | None,
        final_text: str | None = None,
    ) -> Draft:
        """Record a draft's fate (in the current transaction), bump its version."""
        self.db.execute(
            "UPDATE drafts SET status = ?, version = version + 1, decided_by = ?, "
            "decided_at = ?, final_text = ?, send_at = NULL WHERE id = ?",
            [status.value, decided_by, self.now(), final_text, did],
        )
        draft = self.draft(did)
        assert draft is not None
        return draft

    def due_drafts(self) -> list[Draft]:
        """Pending drafts whose hold window has passed."""
        rows = self.db.query(
            f"{_SELECT_DRAFTS} WHERE d.status = 'pending' AND d.send_at IS NOT NULL "
            "AND d.send_at <= ? ORDER BY d.send_at",
            [self.now()],
        )
        return [self._draft_from_row(r) for r in rows]

    # -- audit journal ----------------------------------------------------------------
