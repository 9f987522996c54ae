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
    p = actions.add_parser("list", help="list operators and whether they are active")
    db_option(p)
    p.set_defaults(func=cmd_operator_list)
    p = actions.add_parser("disable", help="disable an operator: their token stops working")
    p.add_argument("name")
    db_option(p)
    p.set_defaults(func=cmd_operator_change, change="disable")
    p = actions.add_parser("rotate-token", help="a new token for an operator (last line)")
    p.add_argument("name")
    db_option(p)
    p.set_defaults(func=cmd_operator_change, change="rotate")


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
    print(f"created {record.role.value} {record.name} ({record.id}) in {settings.database}")
    print("the token is shown once; the database keeps only its hash:")
    print(token)
    return 0


def cmd_operator_list(args: argparse.Namespace) -> int:
    """List operators and whether they are active (never their tokens)."""
    settings, store = open_store(args.db)
    from backend.service.operator_admin import SYSTEM
    from hitl.cli.oversight import database_service

    service = database_service(settings, store)
    try:
        admin = service.operators(SYSTEM)
    finally:
        service.shutdown()
    for op in admin.items:
        print(f"{op.id}\t{op.role.value}\t{op.name}\t{'active' if op.active else 'inactive'}")
    return 0


def cmd_operator_change(args: argparse.Namespace) -> int:
    """Disable an operator or give them a new token; journaled as a system act."""
    settings, store = open_store(args.db)
    from backend.errors import NotFound
    from backend.service.operator_admin import SYSTEM
    from hitl.cli.oversight import database_service

    service = database_service(settings, store)
    try:
        if args.change == "disable":
            change = service.disable_operator(SYSTEM, args.name)
            print(f"disabled {change.role.value} {change.name} ({change.id})")
        else:
            change = service.rotate_operator_token(SYSTEM, args.name)
            print(f"new token for {change.role.value} {change.name} ({change.id}); shown once:")
            print(change.token)
    except NotFound as exc:
        print(f"hitl: {exc}", file=sys.stderr)
        return 1
    finally:
        service.shutdown()
    return 0
