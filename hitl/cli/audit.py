"""`hitl audit verify|checkpoint|keygen|export`: the journal, read straight from the database."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from backend.checkpoints import (
    configured_secret,
    generate_key,
    load_private_key,
    load_public_key,
    sign,
    verify_signature,
)
from backend.domain.journal import Checkpoint, verify_chain
from backend_client import AUDIT_EXPORT_FIELDS
from hitl.cli._common import db_option, iso_time, open_store

EXPORT_FIELDS = AUDIT_EXPORT_FIELDS
"""Every column of a journal entry and its texts, as `hitl audit export` writes them."""


def register(sub: Any) -> None:
    """Add `audit verify`, `audit checkpoint` and `audit export` to the subcommands."""
    p = sub.add_parser("audit", help="verify, checkpoint and export the audit journal")
    actions = p.add_subparsers(dest="audit_command", metavar="ACTION")
    actions.required = True
    p = actions.add_parser("verify", help="check the hash chain; exit 1 naming the first bad entry")
    db_option(p)
    p.add_argument("--checkpoint", help="a file from 'hitl audit checkpoint' to verify against")
    p.add_argument(
        "--public-key",
        help="the checkpoint must be signed by this Ed25519 key (the .pub of 'hitl audit keygen')",
    )
    p.set_defaults(func=cmd_audit_verify)
    p = actions.add_parser("checkpoint", help="print the chain head to keep outside the database")
    db_option(p)
    p.add_argument("--out", help="also write it to this file")
    p.add_argument("--sign-key", help="sign it with this Ed25519 private key (PEM)")
    p.set_defaults(func=cmd_audit_checkpoint)
    p = actions.add_parser("keygen", help="make the Ed25519 key that signs checkpoints")
    p.add_argument("--out", required=True, help="the private key file (its .pub goes beside it)")
    p.set_defaults(func=cmd_audit_keygen)
    p = actions.add_parser("export", help="stream every entry with its texts")
    db_option(p)
    p.add_argument("--format", choices=["csv", "jsonl"], default="jsonl")
    p.add_argument("--since", type=iso_time, help="only entries at or after this ISO time")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_audit_export)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 when the journal's chain holds, 1 naming the first bad entry otherwise."""
    settings, store = open_store(args.db)
    checkpoint = None
    if args.checkpoint is not None:
        try:
            text = Path(args.checkpoint).read_text(encoding="utf-8")
            checkpoint = Checkpoint.loads(text)
            if args.public_key:
                key = load_public_key(Path(args.public_key))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"checkpoint {args.checkpoint}: {exc}", file=sys.stderr)
            return 2
        if args.public_key:
            try:
                verify_signature(text, key)
            except ValueError as exc:
                print(f"FAILED: checkpoint {args.checkpoint}: {exc}", file=sys.stderr)
                return 1
    try:
        secret = store.secret(configured_secret(settings))
        result = verify_chain(store.audit_rows(), secret, checkpoint)
    finally:
        store.close()
    if result.ok:
        against = f" (matches checkpoint {args.checkpoint})" if checkpoint else ""
        print(f"ok: {result.entries} entries, head {result.head}{against}")
        return 0
    print(f"FAILED at entry {result.first_bad}: {result.reason}", file=sys.stderr)
    print(f"{result.entries} entries verified before it", file=sys.stderr)
    return 1


def cmd_audit_keygen(args: argparse.Namespace) -> int:
    """Write a new checkpoint-signing key (owner-only) and its public half beside it."""
    try:
        public = generate_key(Path(args.out))
    except FileExistsError:
        print(f"{args.out} exists: refusing to overwrite a signing key", file=sys.stderr)
        return 2
    print(f"wrote {args.out} (keep it outside the database) and {public}", file=sys.stderr)
    return 0


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Print the chain's head (entry count + hash) to keep outside the database."""
    settings, store = open_store(args.db)
    result = verify_chain(store.audit_rows(), store.secret(configured_secret(settings)))
    if not result.ok:
        print(f"refusing: the chain is already broken at entry {result.first_bad}", file=sys.stderr)
        return 1
    checkpoint = Checkpoint(entries=result.entries, head=result.head or "")
    line = checkpoint.dumps()
    if args.sign_key:
        line = sign(checkpoint, load_private_key(Path(args.sign_key)), datetime.now(UTC))
    if args.out:
        Path(args.out).write_text(line + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    print(line)
    return 0


def export_audit(rows: Iterator[dict[str, Any]], fmt: str, out: TextIO, since: str | None) -> int:
    """Write journal rows (with texts) as CSV or JSONL, one at a time; returns the count."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    if fmt == "csv":
        writer.writeheader()
    count = 0
    for row in rows:
        if since is not None and row["at"] < since:
            continue
        if fmt == "csv":
            writer.writerow(row)
        else:
            out.write(json.dumps({k: row.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False))
            out.write("\n")
        count += 1
    return count


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Stream every journal entry with its texts."""
    _, store = open_store(args.db)
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as out:
            count = export_audit(store.audit_rows(), args.format, out, args.since)
        print(f"wrote {count} entries to {args.out}", file=sys.stderr)
    else:
        export_audit(store.audit_rows(), args.format, sys.stdout, args.since)
    return 0
