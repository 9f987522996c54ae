"""Idempotency-Key: a decision applies once, and a retry gets the first answer again.

The key's record is written by the decision itself, last in its transaction
(`ServiceCore._answer`), so the record and the effect commit together: a
failure anywhere in between rolls both back, and the retry simply runs the
decision. A decision that goes on after its transaction (asking the bot for a
new draft) updates the record with its final answer afterwards; a failure
there leaves the answer as of the decision, never a 409.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from ..errors import Invalid
from ..store import OperatorRecord
from .core import CLAIM, KeyClaim, ServiceCore

KEY_LIMIT = 200
"""The longest Idempotency-Key accepted, in characters."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests 'the same' for an Idempotency-Key."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


@dataclass
class KeyLock:
    """Serialises the requests in flight with one key; dropped when the last one leaves."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Idempotency(ServiceCore):
    """Runs decisions once per operator and key."""

    _key_locks: dict[tuple[str, str], KeyLock]

    async def idempotent(
        self,
        op: OperatorRecord,
        key: str | None,
        fingerprint: str,
        run: Callable[[], Awaitable[BaseModel]],
    ) -> str:
        """Run a decision once per Idempotency-Key; a retry gets the first response again."""
        if key is None:
            return (await run()).model_dump_json()
        if len(key) > KEY_LIMIT:
            raise Invalid("Idempotency-Key", f"must be at most {KEY_LIMIT} characters")
        # Two requests with one key in flight at once: the second waits for the first's answer.
        held = self._key_locks.setdefault((op.id, key), KeyLock())
        held.users += 1
        try:
            async with held.lock:
                stored = self.store.idempotent_response(op.id, key)
                if stored is not None:
                    first_fingerprint, response = stored
                    if first_fingerprint != fingerprint:
                        raise Invalid(
                            "Idempotency-Key", "this key was already used with a different request"
                        )
                    return response
                token = CLAIM.set(KeyClaim(op.id, key, fingerprint))
                try:
                    response = (await run()).model_dump_json()
                except Exception:
                    # Another backend process may have run this key meanwhile (the lock
                    # above is per process): its decision won, and this retry gets its answer.
                    stored = self.store.idempotent_response(op.id, key)
                    if stored is None:
                        raise
                    if stored[0] != fingerprint:
                        raise Invalid(
                            "Idempotency-Key", "this key was already used with a different request"
                        ) from None
                    return stored[1]
                finally:
                    CLAIM.reset(token)
                stored = self.store.idempotent_response(op.id, key)
                if stored is None:
                    # A decision that never reached `_answer` (none of ours): remember it now.
                    self.store.remember_response(op.id, key, fingerprint, response)
                elif stored[1] != response:
                    # Work after the decision's transaction (a new draft) changed the answer.
                    self.store.update_response(op.id, key, response)
                return response
        finally:
            # Also when the decision raised: a key must not keep a lock nobody will use.
            held.users -= 1
            if held.users == 0:
                del self._key_locks[(op.id, key)]
