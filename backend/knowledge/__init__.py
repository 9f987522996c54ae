"""The company's knowledge base: Markdown articles indexed for full-text search (FTS5, BM25)."""

from __future__ import annotations

from pathlib import Path

from .articles import Article, parse_article, read_folder
from .store import IndexReport, KnowledgeRows, Passage

__all__ = ["Article", "IndexReport", "KnowledgeRows", "Passage", "index_folder", "parse_article"]


def index_folder(rows: KnowledgeRows, folder: Path) -> IndexReport:
    """Read `folder` and bring the index in line with it (added, changed, deleted files)."""
    if not folder.is_dir():
        # A folder that went missing (a typo, an unmounted disk) keeps the last index.
        return IndexReport(unreadable=[(str(folder), "no such folder")])
    articles, unreadable = read_folder(folder)
    return rows.index(articles, unreadable)
