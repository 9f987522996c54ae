"""The domain service: every customer turn and every human decision, each one transaction.

Routes are thin wrappers around these methods; tests call them too. Each
decision checks its rules (`domain.policy`), moves the conversation through
the status machine (`domain.transitions`), applies its effect, appends its
journal entry through `record_decision`, announces the change (the service
decides which events exist; the store persists them) and remembers its
answer for its Idempotency-Key, all in one transaction. Bot calls are awaited
outside any transaction, so a slow model never holds the database.

One module per aggregate: `customers`, `ai` (drafting, the gate, pausing),
`drafts` and `conversations` (decisions), `reading`, `idempotency`; the
oversight duties in `stop`, `rights`, `operator_admin`, `retention`,
`review_speed`, `calibration`; `core` holds what they share. `Hitl` is all of them on one store.
"""

from __future__ import annotations

from ..bots.base import Bot
from ..settings import Settings
from ..store import StoreProtocol
from ..verify_worker import VerifyWorkers
from .calibration import Calibration
from .conversations import ConversationDecisions
from .core import HANDOFF_TEXT
from .customers import CustomerTurns
from .drafts import DraftDecisions
from .figures import OversightFigures
from .idempotency import Idempotency, fingerprint
from .reading import Reading
from .retention import Retention
from .review_speed import ReviewSpeed
from .rights import Rights
from .stop import StopButton
from .workday import Workday

__all__ = ["HANDOFF_TEXT", "Hitl", "fingerprint"]


class Hitl(
    Workday,
    Retention,
    Rights,
    StopButton,
    ReviewSpeed,
    Calibration,
    CustomerTurns,
    DraftDecisions,
    ConversationDecisions,
    OversightFigures,
    Reading,
    Idempotency,
):
    """The backend's rules applied to its store."""

    def __init__(self, store: StoreProtocol, settings: Settings, bot: Bot) -> None:
        super().__init__(store, settings, bot)
        self._key_locks = {}
        self._verifying = None
        self._verifiers = VerifyWorkers()
        self._init_drafting()
