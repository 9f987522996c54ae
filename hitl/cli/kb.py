"""`hitl kb index|search`: the company's knowledge base, indexed into the backend's database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hitl.cli._common import backend_settings, config_option, db_option

PREVIEW = 240
"""How much of each passage `hitl kb search` prints."""


def register(sub: Any) -> None:
    """Add `kb` to the subcommands."""
    p = sub.add_parser("kb", help="index and search the knowledge base the bot answers from")
    kb = p.add_subparsers(dest="kb_command", metavar="ACTION")
    kb.required = True

    index = kb.add_parser("index", help="(re)index the knowledge folder: added, changed, deleted")
    config_option(index)
    db_option(index)
    index.set_defaults(func=cmd_index)

    search = kb.add_parser("search", help="what the bot would be given for a question")
    search.add_argument("query", help="a customer's question")
    search.add_argument("--limit", type=int, help="how many passages (default: [knowledge])")
    config_option(search)
    db_option(search)
    search.set_defaults(func=cmd_search)


def _open(args: argparse.Namespace) -> Any:
    from backend.knowledge import KnowledgeRows
    from backend.store import connect

    settings = backend_settings(args.config, db_path=args.db)
    return settings, KnowledgeRows(connect(settings.db_url or settings.db_path))


def _clean(text: str) -> str:
    """Article text is the company's, but printed to a terminal: no control characters."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in text)


def cmd_index(args: argparse.Namespace) -> int:
    """Index the knowledge folder and print what changed and what could not be read."""
    from backend.knowledge import index_folder

    settings, rows = _open(args)
    report = index_folder(rows, settings.knowledge.path)
    for label, ids in (("added", report.added), ("changed", report.changed)):
        for article_id in ids:
            print(f"{label:8} {_clean(article_id)}")
    for article_id in report.deleted:
        print(f"deleted  {_clean(article_id)}")
    for name, why in report.unreadable:
        print(f"hitl: cannot read {_clean(name)}: {why}", file=sys.stderr)
    print(
        f"{settings.knowledge.path}: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.deleted)} deleted, {report.unchanged} unchanged, "
        f"{len(report.unreadable)} unreadable; {rows.count()} articles in {settings.database}"
    )
    return 1 if report.unreadable else 0


def cmd_search(args: argparse.Namespace) -> int:
    """Print the passages the bot would be given for `query`, best first, numbered as the
    model sees them."""
    settings, rows = _open(args)
    if rows.count() == 0:
        print(
            f"hitl: no articles indexed in {settings.database}: run hitl kb index", file=sys.stderr
        )
        return 1
    passages = rows.search(args.query, args.limit or settings.knowledge.passages)
    if not passages:
        print("no passage matches", file=sys.stderr)
        return 1
    for n, p in enumerate(passages, start=1):
        where = f"  {p.url}" if p.url else ""
        print(f"[{n}] {_clean(p.title)}  ({_clean(p.article_id)}, score {p.score:.2f}){where}")
        text = _clean(p.text)
        print("    " + (text[:PREVIEW] + "…" if len(text) > PREVIEW else text).replace("\n", " "))
    return 0
