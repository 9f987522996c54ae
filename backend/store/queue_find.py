"""The queue's find (the console's `/`): which conversations a few typed words pick out.

One plain function builds the condition; the store's queue query adds it and the
tests read its effect through the API. The SQL is portable (`?` placeholders,
`lower(...) LIKE lower(?)` with an explicit escape character, no JSON functions).
"""

from __future__ import annotations

from typing import Any

from backend_client import ConversationSummary

__all__ = ["find_condition", "find_visible", "find_words"]

_ESCAPE = "\\"


def find_words(find: str) -> list[str]:
    """The words of a find: split on white space, at most eight, each at most 100 characters."""
    return [word[:100] for word in find.split()][:8]


def _like(word: str) -> str:
    """`%word%` with LIKE's own wildcards in `word` taken literally."""
    for special in (_ESCAPE, "%", "_"):
        word = word.replace(special, _ESCAPE + special)
    return f"%{word}%"


def find_condition(find: str) -> tuple[str, list[Any]]:
    """The WHERE part matching `find` on conversations `c`, and its parameters.

    Every word must appear (case-insensitively) somewhere: in the id, the
    customer's name or email, the text of one of its messages, or as a flag
    of its pending draft (`refund`, `pii`, `low_confidence`, …). No words:
    everything matches.
    """
    parts: list[str] = []
    params: list[Any] = []
    for word in find_words(find):
        like = _like(word)
        parts.append(
            "(c.id = ?"
            " OR lower(c.customer_name) LIKE lower(?) ESCAPE '\\'"
            " OR lower(coalesce(c.customer_email, '')) LIKE lower(?) ESCAPE '\\'"
            " OR EXISTS (SELECT 1 FROM messages fm WHERE fm.conversation_id = c.id"
            " AND lower(fm.text) LIKE lower(?) ESCAPE '\\')"
            " OR EXISTS (SELECT 1 FROM drafts fd WHERE fd.conversation_id = c.id"
            " AND fd.status = 'pending' AND lower(fd.flags) LIKE lower(?) ESCAPE '\\'))"
        )
        params.extend([word, like, like, like, _like(f'"{word}"')])
    return (" AND ".join(parts) or "1 = 1", params)


def find_visible(find: str, summary: ConversationSummary) -> bool:
    """Whether `find` matches a queue row as a masked reader sees it.

    A trainer's rows carry masked names and emails: a find must not tell them
    whose email it matched, so for them only what they can see counts (the
    id, the masked name and email, the last message's masked preview, flags).
    """
    seen = " ".join(
        [
            summary.customer.name,
            summary.customer.email or "",
            summary.last_message,
            *(flag.value for flag in summary.flags),
        ]
    ).lower()
    return all(word == summary.id or word.lower() in seen for word in find_words(find))
