"""The word diff an operator reads before confirming an edit."""

from __future__ import annotations

from rich.style import Style

from console.render.diff import DiffOp, render_diff, word_diff


def sides(pieces: list[tuple[DiffOp, str]]) -> tuple[str, str]:
    """Rebuild (before, after) from a diff."""
    before = "".join(text for op, text in pieces if op != "insert")
    after = "".join(text for op, text in pieces if op != "delete")
    return before, after


def test_identical_texts_are_all_equal() -> None:
    text = "Your order ships today."
    assert word_diff(text, text) == [("equal", text)]


def test_empty_texts() -> None:
    assert word_diff("", "") == []
    assert word_diff("", "hello") == [("insert", "hello")]
    assert word_diff("hello", "") == [("delete", "hello")]


def test_inserted_word() -> None:
    pieces = word_diff("Your order ships today.", "Your order ships early today.")
    assert ("insert", "early ") in pieces
    assert not [p for p in pieces if p[0] == "delete"]
    assert sides(pieces) == ("Your order ships today.", "Your order ships early today.")


def test_deleted_word() -> None:
    pieces = word_diff("We will refund you now.", "We will refund you.")
    assert [op for op, _ in pieces].count("delete") == 1
    assert sides(pieces) == ("We will refund you now.", "We will refund you.")


def test_replaced_word_reads_old_then_new() -> None:
    pieces = word_diff("Returns take 30 days.", "Returns take 14 days.")
    assert pieces == [
        ("equal", "Returns take "),
        ("delete", "30"),
        ("insert", "14"),
        ("equal", " days."),
    ]


def test_whitespace_and_line_breaks_are_preserved() -> None:
    before = "Hello  there,\n\nthanks\tfor waiting."
    after = "Hello there,\nthanks\tfor waiting!"
    assert sides(word_diff(before, after)) == (before, after)


def test_render_marks_deletions_and_insertions() -> None:
    text = render_diff("take 30 days", "take 14 days", delete_style="strike", insert_style="bold")
    assert text.plain == "take 30 14 days"  # a space keeps old and new apart
    styled = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styled == {"30": "strike", "14": "bold"}


def test_render_accepts_rich_styles() -> None:
    text = render_diff("a", "b", delete_style=Style(strike=True), insert_style=Style(bold=True))
    assert [span.style for span in text.spans] == [Style(strike=True), Style(bold=True)]


def test_markup_characters_stay_literal() -> None:
    text = render_diff("[bold]hi[/bold]", "[red]hi[/] [link=x]y")
    assert text.plain == "[bold]hi[/bold] [red]hi[/] [link=x]y"
    # Nothing parsed as markup: the only spans are the diff's own.
    assert {str(span.style) for span in text.spans} <= {"strike red", "bold underline green"}


def test_escape_sequences_are_removed_before_diffing() -> None:
    text = render_diff("ok", "ok \x1b]0;PWNED\x07now")
    assert "\x1b" not in text.plain and "PWNED" not in text.plain
    assert text.plain == "ok now"


def test_a_reworded_phrase_reads_as_one_struck_run_then_one_new_run() -> None:
    before = "We refund within 3 days. Your bank may take longer."
    after = "We refund within 3 days. I've also emailed a label."
    assert word_diff(before, after) == [
        ("equal", "We refund within 3 days. "),
        ("delete", "Your bank may take longer."),
        ("insert", "I've also emailed a label."),
    ]
