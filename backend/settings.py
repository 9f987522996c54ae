"""The backend's configuration: one `Settings`, built once and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend_client import ReviewMode

DEFAULT_DISCLOSURE = (
    "Hi, I'm Nova, an AI assistant for Larkspur Goods. A person reviews what I write. "
    'To talk to a person at any time, just write "human".'
)


class ReviewSettings(BaseModel):
    """The review gate."""

    mode: ReviewMode = ReviewMode.ALL
    """`all`: a human approves every AI reply; `flagged`: confident, unflagged
    drafts go out after a hold window; `off`: drafts go out at once."""
    confidence_threshold: float = Field(0.75, ge=0, le=1)
    """In mode `flagged`, drafts below this confidence wait for a human."""
    hold_seconds: float = Field(10.0, ge=0)
    """In mode `flagged`, how long a draft waits before it goes out on its own."""
    low_confidence: float = Field(0.45, ge=0, le=1)
    """Drafts below this confidence are flagged `low_confidence`; two in a row escalate."""


class BotSettings(BaseModel):
    """Which bot writes the drafts."""

    kind: Literal["builtin", "openai"] = "builtin"
    """`builtin`: the offline FAQ bot; `openai`: any OpenAI-compatible chat endpoint."""
    base_url: str = "http://127.0.0.1:11434/v1"
    """For `openai`: the endpoint's base URL (…/v1)."""
    model: str = "gpt-4o-mini"
    """For `openai`: the model name to ask for."""
    api_key: str | None = None
    """For `openai`: the bearer key, if the endpoint needs one."""
    timeout_seconds: float = 30.0
    """For `openai`: how long to wait for a reply."""


WebhookEvent = Literal["message.delivered", "conversation.escalated", "conversation.closed"]
WEBHOOK_EVENTS: tuple[WebhookEvent, ...] = (
    "message.delivered",
    "conversation.escalated",
    "conversation.closed",
)
"""What a signed webhook can announce."""


class WebhookSettings(BaseModel):
    """One `[[webhooks]]` entry: where to POST, the signing secret, which events."""

    url: str = Field(pattern=r"^https?://")
    """Any URL the company chooses, loopback included."""
    secret: str = Field(pattern=r"^whsec_[A-Za-z0-9+/]+={0,2}$", min_length=24)
    """Standard Webhooks secret: `whsec_` then base64 of at least 24 random bytes."""
    events: list[WebhookEvent] = Field(default_factory=lambda: list(WEBHOOK_EVENTS))
    """The events to send (all three unless listed)."""


class ChatwootSettings(BaseModel):
    """The Chatwoot agent bot: where Chatwoot is, and the two secrets."""

    base_url: str | None = Field(None, pattern=r"^https?://")
    """Chatwoot's address, e.g. `https://chat.example.com`; unset = the bot is off."""
    account_id: int = Field(1, ge=1)
    """The Chatwoot account the inbox belongs to."""
    api_access_token: str | None = None
    """The agent bot's access token (sent as `api_access_token`)."""
    webhook_secret: str | None = None
    """The secret Chatwoot signs its webhooks with (`X-Chatwoot-Signature`)."""

    @property
    def enabled(self) -> bool:
        """Whether the bot is configured."""
        return bool(self.base_url and self.api_access_token and self.webhook_secret)


class OutboxSettings(BaseModel):
    """How deliveries to the outside are retried."""

    first_retry_seconds: float = Field(1.0, gt=0)
    """The wait after the first failure; it doubles after each one."""
    max_retry_seconds: float = Field(300.0, gt=0)
    """The longest wait between two attempts."""
    max_attempts: int = Field(30, ge=1)
    """After this many failures a delivery is given up (and shown as not delivered)."""


class Settings(BaseSettings):
    """Everything the backend can be told. Environment variables use `HITL_`,
    nested sections use `__` (e.g. `HITL_REVIEW__MODE=flagged`)."""

    model_config = SettingsConfigDict(env_prefix="HITL_", env_nested_delimiter="__", extra="ignore")

    db_path: Path = Path("hitl.db")
    """The SQLite file; `:memory:` for a throwaway database."""
    secret: str | None = None
    """The HMAC key of the audit journal; made once and kept in the database if unset."""
    max_text_length: int = Field(4000, ge=1)
    """The longest message or draft text accepted, in characters."""
    disclosure: str = DEFAULT_DISCLOSURE
    """The first message of every conversation: says it is an AI and how to reach a person."""
    event_retention: int = Field(100_000, ge=100)
    """How many events the live stream keeps for clients that reconnect."""
    keepalive_seconds: float = Field(15.0, gt=0)
    """How often an idle event stream sends a keep-alive comment."""
    fast_approval_seconds: float = Field(2.0, ge=0)
    """Approvals faster than this are counted as possibly not meaningful review."""
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    chatwoot: ChatwootSettings = Field(default_factory=lambda: ChatwootSettings())
    """The Chatwoot agent bot (off unless `base_url` is set)."""
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    """Signed webhooks (`[[webhooks]]`): where hitl announces what it did."""
    outbox: OutboxSettings = Field(default_factory=lambda: OutboxSettings())
    """How deliveries to the outside are retried."""
