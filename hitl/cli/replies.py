"""`hitl replies`: the team's saved replies, through the API (supervisors write them)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend_client import REPLY_VARIABLES, AsyncBackendClient
from hitl.cli._common import URL_HELP, with_backend

VARIABLES = ", ".join(f"{{{name}}} ({words})" for name, words in REPLY_VARIABLES.items())


def register(sub: Any) -> None:
    """Add `replies` to the subcommands."""
    p = sub.add_parser(
        "replies",
        help="the saved replies agents insert with f2 (supervisors add, change, remove)",
        description=f"Saved replies may use the variables {VARIABLES}.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="every saved reply: id, title, text")
    add = actions.add_parser("add", help="add a saved reply (supervisor); prints its id")
    add.add_argument("title")
    add.add_argument("text", help="the reply; variables in braces, e.g. {customer.first_name}")
    change = actions.add_parser("set", help="replace a saved reply's title and text (supervisor)")
    change.add_argument("id")
    change.add_argument("title")
    change.add_argument("text")
    remove = actions.add_parser("remove", help="remove a saved reply (supervisor)")
    remove.add_argument("id")
    for parser in (listing, add, change, remove):
        parser.add_argument("--url", help=URL_HELP)
        parser.add_argument("--token", help="an operator's token (default $HITL_TOKEN)")
        parser.set_defaults(func=cmd_replies)


def cmd_replies(args: argparse.Namespace) -> int:
    """List, add, replace or remove saved replies, through the API."""

    async def run(client: AsyncBackendClient) -> None:
        if args.action == "list":
            for reply in await client.saved_replies():
                print(f"{reply.id}\t{reply.title}\t{reply.text}")
        elif args.action == "add":
            reply = await client.add_saved_reply(args.title, args.text)
            print(f"added {reply.title!r}", file=sys.stderr)
            print(reply.id)
        elif args.action == "set":
            reply = await client.replace_saved_reply(args.id, args.title, args.text)
            print(f"replaced {reply.title!r}", file=sys.stderr)
        else:
            await client.delete_saved_reply(args.id)
            print(f"removed {args.id}", file=sys.stderr)

    return with_backend(args, run)
