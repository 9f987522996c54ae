"""`hitl export pairs`: training data from the backend, as the token's role may see it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from backend_client import AsyncBackendClient, ReasonCode, TrainingPair


def pair_line(pair: TrainingPair) -> str:
    """One JSONL line: the conversation so far, the rejected AI draft, the chosen human text."""
    record = {
        "conversation_id": pair.conversation_id,
        "draft_id": pair.draft_id,
        "audit_seq": pair.audit_seq,
        "at": pair.at.isoformat(),
        "action": pair.action.value,
        "context": [{"role": t.author.value, "text": t.text} for t in pair.context],
        "rejected": pair.rejected,
        "reason_code": pair.reason_code.value if pair.reason_code else None,
        "note": pair.note,
        "operator_role": pair.operator_role.value,
        "bot": pair.bot.model_dump() if pair.bot else None,
        "masked": pair.masked,
    }
    if pair.chosen is not None:
        # A rejection nobody has answered yet has no chosen text: the key is left out.
        record["chosen"] = pair.chosen
    return json.dumps(record, ensure_ascii=False)


async def export_pairs(
    client: AsyncBackendClient,
    out: TextIO,
    *,
    since: str | None = None,
    reason: ReasonCode | None = None,
    unmasked: bool = False,
    on_progress: Callable[[int], None] | None = None,
    every: int = 100,
) -> int:
    """Write every preference pair as JSONL to `out`, page by page; returns the count.

    `on_progress(count)` is told every `every` pairs (the console's progress line).
    """
    count = 0
    async for pair in client.iter_training_pairs(
        since=since, reason_code=reason, unmasked=unmasked
    ):
        out.write(pair_line(pair) + "\n")
        count += 1
        if on_progress is not None and count % every == 0:
            on_progress(count)
    return count


def default_pairs_path(now: datetime | None = None) -> Path:
    """`~/hitl-pairs-<timestamp>.jsonl`."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path.home() / f"hitl-pairs-{stamp}.jsonl"


async def export_pairs_to_file(
    client: AsyncBackendClient, path: Path, on_progress: Callable[[int], None] | None = None
) -> int:
    """`hitl export pairs --out path` from the console: written under `.part`, renamed when
    whole (a failed export leaves no file that looks complete); returns the count."""
    path = path.expanduser()
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as out:
            count = await export_pairs(client, out, on_progress=on_progress)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count
