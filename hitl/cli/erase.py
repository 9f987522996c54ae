"""`hitl erase`: an admin erases a customer's personal data from a conversation, via the API."""

from __future__ import annotations

import argparse
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
    p.add_argument("conversation", help="the conversation id (c_...)")
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="an admin's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_erase)


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase a customer's personal data from a conversation, through the API (admin)."""

    async def erase(client: AsyncBackendClient) -> None:
        await client.erase(args.conversation)
        print(f"erased the personal data of conversation {args.conversation}; it is closed")

    return with_backend(args, erase)
