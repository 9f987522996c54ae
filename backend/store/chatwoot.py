"""The Chatwoot agent bot's rows: which hitl chat each Chatwoot conversation is, what was seen."""

from __future__ import annotations

from .common import Connection

SEEN_DAYS = 7
"""How long a taken webhook delivery is remembered (a repeat later than this is news)."""


class ChatwootRows(Connection):
    """Links between Chatwoot conversations and hitl chats, and the deliveries taken."""

    def claim_chatwoot_delivery(self, key: str) -> bool:
        """Remember a webhook delivery; False when it was taken before (a repeat)."""
        now = self.now()
        cutoff = self.later(-SEEN_DAYS * 86_400)
        # Webhooks for different Chatwoot conversations are taken side by side on
        # PostgreSQL: each prunes what no other is pruning, so none waits for another.
        expired = "SELECT key FROM chatwoot_seen WHERE seen_at < ?"
        if self.dialect == "postgresql":
            expired += " FOR UPDATE SKIP LOCKED"
        self.db.execute(f"DELETE FROM chatwoot_seen WHERE key IN ({expired})", [cutoff])
        row = self.db.execute(
            "INSERT INTO chatwoot_seen (key, seen_at) VALUES (?, ?) "
            "ON CONFLICT (key) DO NOTHING RETURNING key",
            [key, now],
        ).fetchone()
        return row is not None

    def chatwoot_chat(self, account_id: int, chatwoot_id: int) -> str | None:
        """The hitl chat a Chatwoot conversation was last linked to, if any."""
        row = self.db.execute(
            "SELECT conversation_id FROM chatwoot_links WHERE account_id = ? AND chatwoot_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [account_id, chatwoot_id],
        ).fetchone()
        return None if row is None else str(row[0])

    def link_chatwoot(self, cid: str, account_id: int, chatwoot_id: int) -> None:
        """Record that hitl chat `cid` is this Chatwoot conversation."""
        self.db.execute(
            "INSERT INTO chatwoot_links (conversation_id, account_id, chatwoot_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            [cid, account_id, chatwoot_id, self.now()],
        )

    def chatwoot_link(self, cid: str) -> tuple[int, int] | None:
        """(account id, Chatwoot conversation id) of a hitl chat that came from Chatwoot."""
        row = self.db.execute(
            "SELECT account_id, chatwoot_id FROM chatwoot_links WHERE conversation_id = ?", [cid]
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))
