"""`hitl operator add|list`: operators, straight in the database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend_client import Role
from hitl.cli._common import db_option, open_store


def register(sub: Any) -> None:
    """Add `operator add` and `operator list` to the subcommands."""
    p = sub.add_parser("operator", help="manage operators")
    actions = p.add_subparsers(dest="operator_command", metavar="ACTION")
    actions.required = True
    p = actions.add_parser("add", help="create an operator and print its token (last line)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    db_option(p)
    p.set_defaults(func=cmd_operator_add)
    p = actions.add_parser("list", help="list operators")
    db_option(p)
    p.set_defaults(func=cmd_operator_list)


def cmd_operator_add(args: argparse.Namespace) -> int:
    """Create an operator; the token is the last line of output, shown once."""
    from backend.domain.operator_names import operator_name_problem

    settings, store = open_store(args.db, must_exist=False)
    existing = [op.name for op in store.list_operators()]
    problem = operator_name_problem(args.name, existing)
    if problem is not None:
        print(f"hitl operator add: {problem}", file=sys.stderr)
        return 2
    record, token = store.add_operator(" ".join(args.name.split()), Role(args.role))
    print(f"created {record.role.value} {record.name} ({record.id}) in {settings.db_path}")
    print("the token is shown once; the database keeps only its hash:")
    print(token)
    return 0


def cmd_operator_list(args: argparse.Namespace) -> int:
    """List operators (never their tokens)."""
    _, store = open_store(args.db)
    for op in store.list_operators():
        print(f"{op.id}\t{op.role.value}\t{op.name}")
    return 0
