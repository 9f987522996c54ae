"""The bots that draft replies, and the one place that picks which to use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.bots.base import Bot, BotReply, Turn
from backend.settings import BotSettings

if TYPE_CHECKING:
    from backend.knowledge import KnowledgeRows

__all__ = ["Bot", "BotReply", "Turn", "make_bot"]


def make_bot(
    settings: BotSettings,
    *,
    prompt: str | None = None,
    knowledge: KnowledgeRows | None = None,
    passages: int = 4,
    company: str | None = None,
) -> Bot:
    """The bot `settings` asks for: the offline FAQ bot or an OpenAI-compatible model.

    Both answer from `knowledge` (the company's indexed articles) when given; without
    it, the built-in bot answers from the example company's articles.
    """
    # Imported here so that choosing one bot never loads the other's dependencies.
    if settings.kind == "openai":
        from backend.bots.openai_compat import OpenAICompatBot

        return OpenAICompatBot(settings, prompt=prompt, knowledge=knowledge, passages=passages)
    from backend.bots.builtin import BuiltinBot, entries_from

    entries = entries_from(knowledge.articles()) if knowledge is not None else None
    return BuiltinBot(entries, company or "Larkspur Goods")
