"""Signed checkpoints of the journal, and the journal's keys kept outside the database.

A checkpoint is the chain's head (entry count + hash) at a moment. Signed with
an Ed25519 key that lives outside the database, it proves the head was written
by the backend: someone who can rewrite the database file can recompute every
hash, but cannot sign. `hitl audit verify --checkpoint FILE --public-key PUB`
checks both the signature and that the journal still leads to that head.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .domain.journal import Checkpoint
from .settings import Settings
from .verify_worker import verify_file

log = logging.getLogger("hitl.backend")


def configured_secret(settings: Settings) -> str | None:
    """The journal's HMAC key from the settings or the secret file; None to use the database's."""
    if settings.secret:
        return settings.secret
    path = settings.journal.secret_file
    if path is None:
        return None
    secret = path.read_text(encoding="utf-8").strip()
    if not secret:
        raise ValueError(f"the journal's secret file {path} is empty")
    return secret


def generate_key(path: Path) -> Path:
    """Write a new Ed25519 private key to `path` (owner-only) and its public key beside it."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private)
    public_path = path.with_name(path.name + ".pub")
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in a PEM file (ValueError when it is not an Ed25519 key)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The verifying key in a PEM file (ValueError when it is not an Ed25519 key)."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def _signed_bytes(entries: int, head: str, at: str) -> bytes:
    return json.dumps(
        {"entries": entries, "head": head, "at": at}, sort_keys=True, separators=(",", ":")
    ).encode()


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey, at: datetime) -> str:
    """The checkpoint as one line of JSON with its time and signature."""
    moment = at.astimezone(UTC).isoformat(timespec="seconds")
    signature = key.sign(_signed_bytes(checkpoint.entries, checkpoint.head, moment))
    document: dict[str, Any] = {
        "entries": checkpoint.entries,
        "head": checkpoint.head,
        "at": moment,
        "signature": base64.b64encode(signature).decode(),
    }
    return json.dumps(document)


def verify_signature(text: str, key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint in `text` if `key` signed it; ValueError saying why otherwise."""
    checkpoint = Checkpoint.loads(text)
    data = json.loads(text)
    signature, at = data.get("signature"), data.get("at")
    if not isinstance(signature, str) or not isinstance(at, str):
        raise ValueError("the checkpoint is not signed")
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            _signed_bytes(checkpoint.entries, checkpoint.head, at),
        )
    except (InvalidSignature, ValueError):
        raise ValueError(
            "its signature does not match: it was not written by the backend"
        ) from None
    return checkpoint


def write_checkpoint(settings: Settings, secret: str, now: datetime) -> Path | None:
    """Verify the chain and write a signed checkpoint of its head; None when it is broken.

    A broken chain is never signed: a signature would bless the tampering.
    """
    directory, key_file = settings.journal.checkpoint_dir, settings.journal.checkpoint_key_file
    if directory is None or key_file is None:
        return None
    result = verify_file(settings.db_url or Path(settings.db_path), secret)
    if not result.ok:
        log.error("journal broken at entry %s: no checkpoint signed", result.first_bad)
        return None
    line = sign(Checkpoint(result.entries, result.head or ""), load_private_key(key_file), now)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"checkpoint-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{result.entries}.json"
    path.write_text(line + "\n", encoding="utf-8")
    (directory / "latest.json").write_text(line + "\n", encoding="utf-8")
    return path


async def checkpoint_schedule(settings: Settings, secret: str) -> None:
    """Write a signed checkpoint at start and then every `checkpoint_every_seconds`."""
    while True:
        try:
            await asyncio.to_thread(write_checkpoint, settings, secret, datetime.now(UTC))
        except Exception:  # keep the schedule: one failed write must not stop the next
            log.exception("writing a signed checkpoint failed")
        await asyncio.sleep(settings.journal.checkpoint_every_seconds)
