"""The knowledge base: Markdown articles, FTS5 + BM25 in the backend's database, `hitl kb`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.knowledge import KnowledgeRows, index_folder, parse_article
from backend.store import Store, connect
from hitl.cli import main
from tests import pg

RETURNS = """---
title: Returns
url: https://fernhill.example/help/returns
tags: [return, refund, send back]
---

# Returning a bike

You can return a bike within 14 days if it has not been ridden outdoors.

Pack it in the original box; we send a courier to collect it for free.
"""
BRAKES = "# Brake adjustment\n\nTighten the barrel adjuster half a turn at a time.\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def rows(request: pytest.FixtureRequest) -> Iterator[KnowledgeRows]:
    """The index on SQLite (FTS5) and on PostgreSQL (tsvector): the same answers from both."""
    if request.param == "sqlite":
        yield KnowledgeRows(Store(":memory:"))
        return
    with pg.database() as url:
        store = connect(url)
        try:
            yield KnowledgeRows(store)
        finally:
            store.close()


def test_front_matter_is_optional_and_read_when_there() -> None:
    article = parse_article("returns", RETURNS.encode())
    assert (article.title, article.url) == ("Returns", "https://fernhill.example/help/returns")
    assert article.tags == ("return", "refund", "send back")
    assert article.passages[0].startswith("# Returning a bike")
    bare = parse_article("brakes", BRAKES.encode())
    assert (bare.title, bare.url, bare.tags) == ("Brake adjustment", None, ())


def test_search_ranks_the_answering_passage_first(tmp_path: Path, rows: KnowledgeRows) -> None:
    (tmp_path / "returns.md").write_text(RETURNS, "utf-8")
    (tmp_path / "brakes.md").write_text(BRAKES, "utf-8")
    index_folder(rows, tmp_path)
    [best, *_] = rows.search("how do I send my bike back?")
    assert best.article_id == "returns" and "14 days" in best.text
    assert rows.search("brake squeaks")[0].article_id == "brakes"
    assert rows.search('") OR title:* NEAR(') == []  # no FTS5 syntax gets through


def test_reindexing_picks_up_added_changed_and_deleted_files(
    tmp_path: Path, rows: KnowledgeRows
) -> None:
    (tmp_path / "returns.md").write_text(RETURNS, "utf-8")
    (tmp_path / "brakes.md").write_text(BRAKES, "utf-8")
    first = index_folder(rows, tmp_path)
    assert sorted(first.added) == ["brakes", "returns"]

    (tmp_path / "brakes.md").unlink()
    (tmp_path / "returns.md").write_text(RETURNS.replace("14 days", "30 days"), "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "tyres.md").write_text("# Tyres\n\nPump to 4 bar.\n", "utf-8")
    second = index_folder(rows, tmp_path)
    assert (second.added, second.changed, second.deleted) == (
        ["sub/tyres"],
        ["returns"],
        ["brakes"],
    )
    assert "30 days" in rows.search("return bike")[0].text
    assert rows.search("barrel adjuster") == []
    assert index_folder(rows, tmp_path).unchanged == 2


def test_kb_index_and_search_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "returns.md").write_text(RETURNS, "utf-8")
    (kb / "broken.md").write_bytes(b"\xff\xfe not utf-8 \x00")
    config = tmp_path / "company.toml"
    config.write_text('[company]\nname = "Fernhill Bikes"\n[knowledge]\npath = "kb"\n', "utf-8")
    db = str(tmp_path / "hitl.db")

    assert main(["kb", "index", "--config", str(config), "--db", db]) == 1
    out, err = capsys.readouterr()
    assert "added    returns" in out and "1 added" in out
    assert "broken.md" in err and "not UTF-8" in err

    (kb / "broken.md").unlink()
    assert main(["kb", "index", "--config", str(config), "--db", db]) == 0
    assert "0 added, 0 changed, 0 deleted, 1 unchanged" in capsys.readouterr().out

    assert main(["kb", "search", "send my bike back", "--config", str(config), "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] Returns  (returns, score ")
    assert "https://fernhill.example/help/returns" in out and "14 days" in out


def test_a_missing_folder_keeps_the_last_index(tmp_path: Path, rows: KnowledgeRows) -> None:
    (tmp_path / "returns.md").write_text(RETURNS, "utf-8")
    index_folder(rows, tmp_path)
    report = index_folder(rows, tmp_path / "nope")
    assert report.unreadable and rows.count() == 1
