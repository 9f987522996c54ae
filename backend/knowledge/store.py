"""The knowledge base's rows in SQLite: articles, and their passages in an FTS5 index.

Kept out of the other store modules on purpose: a PostgreSQL store can add a
twin of this one (tsvector + ts_rank) without touching them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .articles import Article

__all__ = ["IndexReport", "KnowledgeRows", "Passage"]

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kb_articles (id TEXT PRIMARY KEY, sha TEXT NOT NULL, "
    "title TEXT NOT NULL, url TEXT, tags TEXT NOT NULL, question TEXT, flags TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_passages USING fts5(title, passage, tags, "
    "article_id UNINDEXED, position UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')",
)
PG_SCHEMA = (
    'CREATE TABLE IF NOT EXISTS kb_articles (id TEXT COLLATE "C" PRIMARY KEY, sha TEXT NOT NULL, '
    "title TEXT NOT NULL, url TEXT, tags TEXT NOT NULL, question TEXT, flags TEXT NOT NULL)",
    # The same five columns as the FTS5 table, so indexing is one statement for both;
    # title and tags weigh more, as bm25's weights do there.
    "CREATE TABLE IF NOT EXISTS kb_passages (title TEXT NOT NULL, passage TEXT NOT NULL, "
    'tags TEXT NOT NULL, article_id TEXT COLLATE "C" NOT NULL, position INTEGER NOT NULL, '
    "doc tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', tags), 'B') || "
    "setweight(to_tsvector('english', passage), 'C')) STORED)",
    "CREATE INDEX IF NOT EXISTS kb_passages_doc ON kb_passages USING gin (doc)",
    "CREATE INDEX IF NOT EXISTS kb_passages_article ON kb_passages (article_id, position)",
)
"""PostgreSQL's twin of `SCHEMA`: a stemmed, weighted tsvector instead of FTS5."""
MAX_QUERY_TERMS = 32
"""A customer's essay is searched by its first words: FTS5 time grows with terms."""


class _Database(Protocol):
    def execute(self, sql: str, parameters: Any = ...) -> Any: ...


class _Store(Protocol):
    db: Any
    dialect: str

    def transaction(self) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True)
class Passage:
    """A piece of an article that matched a search, best first."""

    article_id: str
    title: str
    url: str | None
    text: str
    score: float
    """BM25, higher is better (FTS5's rank negated)."""
    flags: tuple[str, ...] = ()


@dataclass
class IndexReport:
    """What an indexing run did, article ids by what happened to them."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)


STOPWORDS = frozenset(
    """a about an and any are as at be but by can could do does for from have how i if in is it
    its me my no not of on or our so that the their there this to was we what when where which
    who why will with would you your hi hello please thanks thank der die das und ist ich ein
    eine mein meine le la les et est je un une mon ma el los las y es yo mi""".split()
)
"""Words that match nearly every passage: left out of a search so they cannot decide it."""


def match_expression(query: str) -> str:
    """An FTS5 query for free text: its words OR-ed, each quoted, so no syntax gets through."""
    words = [w for w in re.findall(r"\w+", query.lower()) if w not in STOPWORDS]
    return " OR ".join(f'"{w}"' for w in list(dict.fromkeys(words))[:MAX_QUERY_TERMS])


class KnowledgeRows:
    """Index and search a company's articles on the backend's own SQLite connection."""

    def __init__(self, store: _Store) -> None:
        self.store = store
        self.postgres = store.dialect == "postgresql"
        with store.transaction():
            for statement in PG_SCHEMA if self.postgres else SCHEMA:
                store.db.execute(statement)

    def _rows(self, sql: str, params: Any = ()) -> Iterator[tuple[Any, ...]]:
        return iter(self.store.db.execute(sql, params).fetchall())

    def index(self, articles: list[Article], unreadable: list[tuple[str, str]]) -> IndexReport:
        """Bring the index in line with `articles`: add new, replace changed, drop deleted.

        A file that could not be read keeps what was indexed of it before: a
        momentary permission error must not empty the bot's knowledge.
        """
        report = IndexReport(unreadable=list(unreadable))
        known = dict(self._rows("SELECT id, sha FROM kb_articles"))
        keep = {name.removesuffix(".md") for name, _ in unreadable}
        with self.store.transaction():
            db = self.store.db
            for article in articles:
                keep.add(article.id)
                if known.get(article.id) == article.sha:
                    report.unchanged += 1
                    continue
                if article.id in known:
                    report.changed.append(article.id)
                    self._drop(article.id)  # article_id is not indexed in FTS5: a scan
                else:
                    report.added.append(article.id)
                db.execute(
                    "INSERT INTO kb_articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        article.id,
                        article.sha,
                        article.title,
                        article.url,
                        json.dumps(article.tags),
                        article.question,
                        json.dumps(article.flags),
                    ],
                )
                tags = " ".join(article.tags)
                for position, passage in enumerate(article.passages or (article.title,)):
                    db.execute(
                        "INSERT INTO kb_passages VALUES (?, ?, ?, ?, ?)",
                        [article.title, passage, tags, article.id, position],
                    )
            for gone in sorted(set(known) - keep):
                self._drop(gone)
                report.deleted.append(gone)
        return report

    def _drop(self, article_id: str) -> None:
        self.store.db.execute("DELETE FROM kb_passages WHERE article_id = ?", [article_id])
        self.store.db.execute("DELETE FROM kb_articles WHERE id = ?", [article_id])

    def search(self, query: str, limit: int = 4) -> list[Passage]:
        """The passages that best match `query`, by BM25 (title and tags weigh more)."""
        expression = match_expression(query)
        if not expression:
            return []
        if self.postgres:
            # The same words OR-ed; ts_rank (higher is better) negated to sort like bm25.
            rows = self._rows(
                "SELECT p.article_id, a.title, a.url, p.passage, -ts_rank(p.doc, q) AS rank, "
                "a.flags FROM kb_passages p JOIN kb_articles a ON a.id = p.article_id, "
                "to_tsquery('english', ?) q WHERE p.doc @@ q "
                "ORDER BY rank, p.article_id, p.position LIMIT ?",
                [expression.replace(" OR ", " | "), limit],
            )
        else:
            rows = self._rows(
                "SELECT p.article_id, a.title, a.url, p.passage, "
                "bm25(kb_passages, 3.0, 1.0, 2.0) AS rank, a.flags "
                "FROM kb_passages p JOIN kb_articles a ON a.id = p.article_id "
                "WHERE kb_passages MATCH ? ORDER BY rank LIMIT ?",
                [expression, limit],
            )
        return [
            Passage(
                article_id=r[0],
                title=r[1],
                url=r[2],
                text=r[3],
                score=round(-r[4], 3),
                flags=tuple(json.loads(r[5])),
            )
            for r in rows
        ]

    def articles(self) -> list[Article]:
        """Every indexed article (with its passages), in id order."""
        passages: dict[str, list[str]] = {}
        for article_id, text in self._rows(
            "SELECT article_id, passage FROM kb_passages ORDER BY article_id, position"
        ):
            passages.setdefault(article_id, []).append(text)
        return [
            Article(
                id=r[0],
                sha=r[1],
                title=r[2],
                url=r[3],
                tags=tuple(json.loads(r[4])),
                question=r[5],
                flags=tuple(json.loads(r[6])),
                body="\n\n".join(passages.get(r[0], [])),
                passages=tuple(passages.get(r[0], [])),
            )
            for r in self._rows("SELECT * FROM kb_articles ORDER BY id")
        ]

    def count(self) -> int:
        """How many articles are indexed."""
        return int(next(self._rows("SELECT count(*) FROM kb_articles"))[0])
