"""`hitl erase`: an admin erases a customer's personal data from a conversation, via the API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend_client import AsyncBackendClient
from hitl.cli._common import URL_HELP, with_backend


def register(sub: Any) -> None:
    """Add `erase` to the subcommands."""
    p = sub.add_parser(
        "erase",
        help="erase a customer's personal data from a conversation (admin, GDPR art. 17)",
        description="Erases the conversation's messages, drafts, the customer's name and email "
        "and the journal's texts, through the API; the erasure is journaled and the chain "
        "still verifies.",
    )
    p.add_argument("conversation", nargs="?", help="the conversation id (c_...)")
    p.add_argument(
        "--email", help="instead: erase every conversation of the person with this email"
    )
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="an admin's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_erase)


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase a customer's personal data from a conversation, through the API (admin)."""

    if (args.conversation is None) == (args.email is None):
        print("hitl: name a conversation id or --email, not both", file=sys.stderr)
        return 2

    async def erase(client: AsyncBackendClient) -> None:
        if args.email is not None:
            result = await client.erase_person(args.email)
            for cid in result.conversations:
                print(cid)
            print(
                f"erased the personal data of {len(result.conversations)} conversation(s); "
                "they are closed",
                file=sys.stderr,
            )
            return
        await client.erase(args.conversation)
        print(f"erased the personal data of conversation {args.conversation}; it is closed")

    return with_backend(args, erase)
