"""The base of every wire object and the length limits requests share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["EMAIL_MAX", "NAME_MAX", "NOTE_MAX", "TEXT_MAX", "WireModel"]

NAME_MAX = 200
"""The longest customer name accepted, in characters."""
EMAIL_MAX = 254
"""The longest email address accepted (RFC 5321's path limit), in characters."""
TEXT_MAX = 20_000
"""The longest text any request may carry; the backend's `max_text_length` is usually lower."""
NOTE_MAX = 10_000
"""The longest note or instruction a request may carry; the backend's rule is tighter
(so that a client gets the rule's own explanation, not a bare length error)."""


class WireModel(BaseModel):
    """Base of every wire object: unknown fields are kept out, values are frozen."""

    model_config = ConfigDict(frozen=True, extra="ignore")
