"""A knowledge folder read from disk: Markdown articles with optional front matter.

An article is one `.md` file. It may open with front matter between `---`
lines, `key: value` per line: `title`, `url`, `tags` (comma-separated or
`[a, b]`), and for the built-in bot `question` and `flags`. Other keys are
kept but unused. Without a `title`, the first `# heading` or the file name is
the title. The body is cut into passages at blank lines, a few hundred
characters each, so the model is given what answers, not a whole page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Article", "parse_article", "read_folder", "split_passages"]

PASSAGE_CHARS = 700
"""Paragraphs are joined into passages up to about this length."""
MAX_ARTICLE_BYTES = 1_000_000
"""A larger file is not an article (and is reported as unreadable)."""


@dataclass(frozen=True)
class Article:
    """One help article."""

    id: str
    """Its path inside the folder, without `.md` (`shipping/times`)."""
    title: str
    url: str | None
    tags: tuple[str, ...]
    body: str
    sha: str
    """Of the file's bytes: re-indexing skips articles whose sha did not change."""
    question: str | None = None
    flags: tuple[str, ...] = ()
    passages: tuple[str, ...] = field(default=())


def _list(value: str) -> tuple[str, ...]:
    value = value.strip().removeprefix("[").removesuffix("]")
    return tuple(t.strip().strip("'\"") for t in value.split(",") if t.strip().strip("'\""))


def split_passages(body: str) -> tuple[str, ...]:
    """The body's paragraphs, joined up to `PASSAGE_CHARS`; a heading starts a new passage."""
    passages: list[str] = []
    current = ""
    for block in re.split(r"\n\s*\n", body.strip()):
        block = block.strip()
        if not block:
            continue
        starts_section = block.startswith("#")
        if current and (starts_section or len(current) + len(block) > PASSAGE_CHARS):
            passages.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    if current:
        passages.append(current)
    return tuple(passages)


def parse_article(article_id: str, raw: bytes) -> Article:
    """An article from a file's bytes; `UnicodeDecodeError` if it is not UTF-8 text."""
    text = raw.decode("utf-8").replace("\r\n", "\n")
    meta: dict[str, str] = {}
    match = re.match(r"\A---\n(.*?)\n---[ \t]*(?:\n|\Z)", text, re.DOTALL)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                meta[key.strip().lower()] = value.strip().strip("'\"")
        text = text[match.end() :]
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    title = meta.get("title") or (heading.group(1).strip() if heading else None)
    return Article(
        id=article_id,
        title=title or article_id.rsplit("/", 1)[-1].replace("-", " ").capitalize(),
        url=meta.get("url") or None,
        tags=_list(meta.get("tags", "")),
        body=text.strip(),
        sha=hashlib.sha256(raw).hexdigest(),
        question=meta.get("question") or None,
        flags=_list(meta.get("flags", "")),
        passages=split_passages(text),
    )


def read_folder(folder: Path) -> tuple[list[Article], list[tuple[str, str]]]:
    """Every article under `folder`, and (file, why) for each file that could not be read."""
    articles: list[Article] = []
    unreadable: list[tuple[str, str]] = []
    if not folder.is_dir():
        return [], [(str(folder), "no such folder")]
    for path in sorted(folder.rglob("*.md")):
        name = path.relative_to(folder).as_posix()
        try:
            if path.stat().st_size > MAX_ARTICLE_BYTES:
                unreadable.append((name, f"larger than {MAX_ARTICLE_BYTES} bytes"))
                continue
            articles.append(parse_article(name.removesuffix(".md"), path.read_bytes()))
        except OSError as exc:
            unreadable.append((name, exc.strerror or str(exc)))
        except UnicodeDecodeError:
            unreadable.append((name, "not UTF-8 text"))
    return articles, unreadable
