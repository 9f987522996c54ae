"""The audit journal's hash chain: how an entry is hashed, and how a chain is checked.

Each entry commits to the previous entry's hash, so editing, deleting or
reordering any entry breaks every hash after it. Texts are not hashed
directly: an entry holds an HMAC of each text (keyed by the server secret),
and the texts live in a separate table, so erasing a customer's data
(GDPR art. 17) leaves the chain verifiable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend_client import AUDIT_EXPORT_FIELDS, AUDIT_HASHED_FIELDS, VerifyResult

GENESIS = "0" * 64
"""The `prev_hash` of the first entry."""


def text_hmac(secret: str, text: str | None) -> str | None:
    """HMAC-SHA256 of a text under the server secret; None for no text."""
    if text is None:
        return None
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The exact bytes an entry's hash is taken over: its hashed fields as sorted, compact JSON."""
    fields = {name: entry.get(name) for name in AUDIT_HASHED_FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical encoding of an entry."""
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at some moment, kept outside the database."""

    entries: int
    head: str

    def dumps(self) -> str:
        """One line of text to keep somewhere safe."""
        return json.dumps({"entries": self.entries, "head": self.head})

    @classmethod
    def loads(cls, text: str) -> Checkpoint:
        """Read a checkpoint written by `dumps`; ValueError saying why when it is not one."""
        try:
            data = json.loads(text)
            entries, head = data["entries"], data["head"]
        except (ValueError, TypeError, KeyError):
            raise ValueError('not a checkpoint (expected {"entries": N, "head": "…"})') from None
        if not isinstance(entries, int) or entries < 0 or not isinstance(head, str):
            raise ValueError("not a checkpoint (entries must be a count, head a hash)")
        return cls(entries=entries, head=head)


def verify_chain(
    entries: Iterable[Mapping[str, Any]],
    secret: str,
    checkpoint: Checkpoint | None = None,
) -> VerifyResult:
    """Check a journal, in `seq` order, and name the first entry that does not hold.

    Each row needs the hashed fields plus `hash`, and may carry `ai_text` and
    `final_text` (None when erased): a text that is present must match its HMAC.
    """
    prev = GENESIS
    count = 0
    head: str | None = None
    checkpoint_seen = checkpoint is None or checkpoint.entries == 0

    def bad(seq: int, why: str) -> VerifyResult:
        return VerifyResult(ok=False, entries=count, head=head, first_bad=seq, reason=why)

    missing: dict[str | None, list[tuple[int, str]]] = {}
    """Entries (seq, at) whose text is gone, by conversation, until an erasure of it (or a
    retention run whose cutoff is after them) covers them."""
    for row in entries:
        seq = row["seq"]
        if not isinstance(seq, int):
            return bad(count + 1, f"its seq is not a number ({type(seq).__name__})")
        malformed = _malformed(row)
        if malformed is not None:
            return bad(seq, malformed)
        if seq != count + 1:
            return bad(count + 1, f"entry {count + 1} is missing (next is {seq})")
        if row["prev_hash"] != prev:
            return bad(seq, "does not follow the entry before it (prev_hash differs)")
        if entry_hash(row) != row["hash"]:
            return bad(seq, "its content was changed (hash differs)")
        for name in ("ai_text", "final_text"):
            text = row.get(name)
            if text is not None and text_hmac(secret, text) != row.get(f"{name}_hmac"):
                return bad(seq, f"its {name} was changed (HMAC differs)")
            if text is None and row.get(f"{name}_hmac") is not None:
                missing.setdefault(row.get("conversation_id"), []).append((seq, row["at"]))
        if row["action"] == "erase":
            # An erasure covers the texts of its conversation's entries before it.
            missing.pop(row.get("conversation_id"), None)
        cutoff = retention_cutoff(row)
        if cutoff is not None:
            # A retention run covers the texts of every entry older than its cutoff.
            for key in list(missing):
                missing[key] = [(s, at) for s, at in missing[key] if at >= cutoff]
                if not missing[key]:
                    del missing[key]
        if checkpoint is not None and seq == checkpoint.entries:
            if row["hash"] != checkpoint.head:
                return bad(seq, "history was rewritten since the checkpoint (head differs)")
            checkpoint_seen = True
        prev = row["hash"]
        head = prev
        count = seq
    if not checkpoint_seen and checkpoint is not None:
        return VerifyResult(
            ok=False,
            entries=count,
            head=head,
            first_bad=count + 1,
            reason=f"the journal ends at {count} entries but the checkpoint has "
            f"{checkpoint.entries}: entries were removed from the end",
        )
    if missing:
        first = min(seq for seqs in missing.values() for seq, _ in seqs)
        return VerifyResult(
            ok=False,
            entries=count,
            head=head,
            first_bad=first,
            reason="its texts were deleted, but no erasure of its conversation covers that",
        )
    return VerifyResult(ok=True, entries=count, head=head)


RETENTION_CUTOFF = "journal texts before: "
"""How a retention entry's note states its cutoff (the note is hashed, so it cannot move)."""


def retention_cutoff(row: Mapping[str, Any]) -> str | None:
    """The cutoff a retention entry dropped journal texts before, as stored; None otherwise."""
    note = row.get("note")
    if row.get("action") != "retention" or not isinstance(note, str):
        return None
    for line in note.splitlines():
        if line.startswith(RETENTION_CUTOFF):
            return line.removeprefix(RETENTION_CUTOFF).strip()
    return None


def _malformed(row: Mapping[str, Any]) -> str | None:
    """Why a row cannot be an entry (a BLOB or a number where text belongs), or None."""
    for name in AUDIT_EXPORT_FIELDS:
        value = row.get(name)
        if name == "seq":
            continue
        if value is not None and not isinstance(value, str):
            return f"its {name} is not text (a {type(value).__name__})"
    return None
