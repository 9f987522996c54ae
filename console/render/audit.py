"""The override log in words: the chain's state, why a call failed, one entry in full."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from backend_client import AuditEntry, BackendError, ConnectionLostError, VerifyResult
from console.render.diff import describe_texts
from console.render.labels import spoken
from console.render.sanitize import safe_text

__all__ = ["chain_summary", "describe_failure", "entry_detail"]


def chain_summary(result: VerifyResult) -> Text:
    """The header line: verified with its head, or where the chain broke."""
    if result.ok:
        head = f", head {result.head[:8]}…" if result.head else ""
        return Text(f"Chain verified: {result.entries} entries{head}")
    reason = f": {result.reason}" if result.reason else ""
    return Text(f"Chain BROKEN at entry {result.first_bad}{reason}")


def describe_failure(error: BaseException | None) -> str:
    """Why a call failed, in words fit for a person (the server's own, when it gave any)."""
    if isinstance(error, ConnectionLostError):
        return f"Could not reach the backend ({error})"
    if isinstance(error, BackendError):
        return str(error) or type(error).__name__
    if isinstance(error, OSError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def entry_detail(entry: AuditEntry, who: str, variables: Mapping[str, str]) -> Text:
    """One journal entry in full for the detail panel; `who` names its actor."""
    when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    text = Text.assemble((f"Entry {entry.seq}", "bold"), f"  {when}\n")
    text.append("who     ")
    text.append_text(safe_text(who, single_line=True))
    text.append(f" ({entry.role.value})\n")
    text.append(f"action  {entry.action.value}\n")
    reason = spoken(entry.reason_code) if entry.reason_code else "—"
    text.append(f"reason  {reason}\n")
    text.append("note    ")
    text.append_text(safe_text(entry.note) if entry.note else Text("—"))
    text.append("\n")
    if entry.conversation_id is not None:
        text.append("chat    ")
        text.append_text(safe_text(entry.conversation_id, single_line=True))
        text.append("  (enter opens it)\n", style="dim")
    if entry.bot is not None:
        text.append("bot     ")
        text.append_text(safe_text(f"{entry.bot.name} / {entry.bot.model}", single_line=True))
        text.append("\n")
    text.append(f"hash    {entry.hash[:16]}…\n\n", style="dim")
    erased_ai = entry.ai_text is None and entry.ai_text_hmac is not None
    erased_final = entry.final_text is None and entry.final_text_hmac is not None
    if erased_ai or erased_final:
        text.append("Texts erased ", style="bold")
        text.append("(the journal keeps only their HMAC, so the chain still verifies)\n")
        return text
    if entry.ai_text is None and entry.final_text is None:
        return text
    text.append("AI proposed → sent\n", style="bold")
    text.append_text(describe_texts(variables, entry.ai_text, entry.final_text))
    return text
