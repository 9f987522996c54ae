"""Kept so `backend.journal` keeps working for the CLI and the benchmarks; the journal lives in
`backend.domain.journal`."""

from .domain.journal import (
    GENESIS,
    HASHED_FIELDS,
    Checkpoint,
    canonical,
    entry_hash,
    text_hmac,
    verify_chain,
)

__all__ = [
    "GENESIS",
    "HASHED_FIELDS",
    "Checkpoint",
    "canonical",
    "entry_hash",
    "text_hmac",
    "verify_chain",
]
