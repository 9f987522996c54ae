"""The bots that draft replies, and the one place that picks which to use."""

from __future__ import annotations

from backend.bots.base import Bot, BotReply, Turn
from backend.settings import BotSettings

__all__ = ["Bot", "BotReply", "Turn", "make_bot"]


def make_bot(settings: BotSettings) -> Bot:
    """The bot `settings` asks for: the offline FAQ bot or an OpenAI-compatible model."""
    # Imported here so that choosing one bot never loads the other's dependencies.
    if settings.kind == "openai":
        from backend.bots.openai_compat import OpenAICompatBot

        return OpenAICompatBot(settings)
    from backend.bots.builtin import BuiltinBot

    return BuiltinBot()
