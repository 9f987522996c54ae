"""A word diff of the AI's text against what an operator sent instead.

Reviewers confirm an edit by reading what changed, so the diff works on
words, not characters: a character diff of two sentences is unreadable. The
whitespace between words is kept as its own token, so joining the pieces of
either side gives that side back exactly (line breaks included).

Both texts are untrusted (the model wrote one, and the operator may have
pasted the other from a customer), so they go through the sanitiser first and
the result is a `Text` built piece by piece, never a markup string.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Literal

from rich.style import Style
from rich.text import Text

from console.render.sanitize import safe_text, untrusted

__all__ = ["DiffOp", "describe_texts", "render_diff", "themed_diff", "word_diff"]

DiffOp = Literal["equal", "delete", "insert"]

# A token is a run of non-blanks or a run of blanks; keeping blanks as tokens
# is what lets a diff show an added line break or a doubled space.
_TOKENS = re.compile(r"\s+|\S+")


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def word_diff(before: str, after: str) -> list[tuple[DiffOp, str]]:
    """The word-level changes that turn `before` into `after`.

    Returns `(op, text)` pairs in reading order, `op` being `equal`, `delete`
    or `insert`. Joining the `equal` and `delete` texts gives `before`;
    joining the `equal` and `insert` texts gives `after`. Neighbouring pieces
    with the same op are merged.
    """
    old, new = _tokens(before), _tokens(after)
    # autojunk off: in long drafts it would treat common words ("the") as
    # junk and produce needlessly large replacements.
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    pieces: list[tuple[DiffOp, str]] = []

    def add(op: DiffOp, tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if pieces and pieces[-1][0] == op:
            pieces[-1] = (op, pieces[-1][1] + text)
        else:
            pieces.append((op, text))

    # Runs of (is it a change, old tokens, new tokens). A blank between two
    # changes joins them, so a reworded phrase reads as one struck run and one
    # new run rather than alternating single words; the blank goes to both
    # sides, so each side still rebuilds exactly.
    runs: list[tuple[bool, list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        olds, news = old[i1:i2], new[j1:j2]
        if changed and len(runs) >= 2 and runs[-2][0] and _blank(runs[-1][1]):
            _, gap, _ = runs.pop()
            _, old_run, new_run = runs.pop()
            olds, news = old_run + gap + olds, new_run + gap + news
        runs.append((changed, olds, news))
    for changed, olds, news in runs:
        if changed:
            # A replacement reads best as "old struck out, then new".
            add("delete", olds)
            add("insert", news)
        else:
            add("equal", olds)
    return pieces


def _blank(tokens: list[str]) -> bool:
    return bool(tokens) and all(not token.strip() for token in tokens)


def render_diff(
    before: str,
    after: str,
    *,
    delete_style: str | Style = "strike red",
    insert_style: str | Style = "bold underline green",
    equal_style: str | Style = "",
) -> Text:
    """The word diff of `before` → `after` as a `Text`, deletions struck, insertions marked.

    Both sides are sanitised before diffing, so what is compared is what the
    terminal shows. Pass theme-aware styles (e.g. from a widget's component
    classes) to follow the app's theme; the defaults read on any terminal.
    """
    styles: dict[DiffOp, str | Style] = {
        "equal": equal_style,
        "delete": delete_style,
        "insert": insert_style,
    }
    result = Text(end="")
    previous: tuple[DiffOp, str] | None = None
    for op, text in word_diff(untrusted(before), untrusted(after)):
        if previous is not None and previous[0] == "delete" and op == "insert":
            if not previous[1][-1:].isspace() and not text[:1].isspace():
                result.append(" ")  # keep the struck and the new words apart on screen
        result.append(text, style=styles[op])
        previous = (op, text)
    return result


def themed_diff(variables: Mapping[str, str], before: str, after: str) -> Text:
    """`render_diff` in the theme's colours (`App.get_css_variables()`): $error, $success."""
    return render_diff(
        before,
        after,
        delete_style=Style.parse(f"strike {variables.get('error', 'red')}"),
        insert_style=Style.parse(f"bold underline {variables.get('success', 'green')}"),
    )


def describe_texts(
    variables: Mapping[str, str], ai_text: str | None, final_text: str | None
) -> Text:
    """What the AI proposed against what went out, as a word diff, or why there is none."""
    if ai_text is not None and final_text is not None:
        if ai_text == final_text:
            return Text.assemble(("Sent as the AI wrote it:\n", "italic"), safe_text(ai_text))
        return themed_diff(variables, ai_text, final_text)
    if ai_text is not None:
        return Text.assemble(
            ("The AI proposed:\n", "italic"), safe_text(ai_text), ("\nNothing was sent.", "italic")
        )
    if final_text is not None:
        return Text.assemble(("Sent:\n", "italic"), safe_text(final_text))
    return Text("No text.", style="italic")
