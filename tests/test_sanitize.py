"""The display-boundary sanitiser: hostile text never drives the terminal."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from console.render.sanitize import safe_text, sanitize

C0_EXCEPT_NL_TAB = {chr(c) for c in range(0x20)} - {"\n", "\t"}
C1 = {chr(c) for c in range(0x80, 0xA0)}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
FORBIDDEN = C0_EXCEPT_NL_TAB | C1 | BIDI | {"\x7f"}
SGR = re.compile(r"\x1b\[[0-9;]*m")

HOSTILE = [
    ("\x1b]0;PWNED\x07Hello", "Hello"),
    ("copy \x1b]52;c;aGVsbG8=\x07me", "copy me"),
    ("\x1b[2Jcleared", "cleared"),
    ("\x1b[31mred\x1b[0m", "red"),
    ("\x9b2Jeight-bit", "eight-bit"),
    ("\x9d0;PWNED\x9ctitle", "title"),
    ("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"),
    ("\x90dcs\x9cok", "ok"),
    ("\x1b_apc\x1b\\a", "a"),
    ("\x1b^pm\x1b\\b", "b"),
    ("\x1bXsos\x1b\\c", "c"),
    ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("\x1bcreset", "reset"),
    ("\x1b7saved\x1b8", "saved"),
    ("\x1b(Bcharset", "charset"),
    ("tail \x1b]0;never terminated", "tail "),
    ("tail \x1b[12", "tail "),
    ("abc\u202edcba", "abcdcba"),
    ("\u2066isolated\u2069 \u200fmark\u061c", "isolated mark"),
    ("nul\x00bel\x07bs\x08del\x7f", "nulbelbsdel"),
    ("zero\u200bwidth\ufeff\u2060", "zerowidth"),
    ("hidden\U000e0041\U000e0042tags", "hiddentags"),
    ("line\r\nbreak\rlone", "line\nbreak\nlone"),
    ("nel\x85sep\u2028para\u2029", "nel\nsep\npara\n"),
    ("lone \ud800 surrogate", "lone  surrogate"),
]

KEPT = [
    "[bold red]x[/]",
    "[link=http://evil]x[/link]",
    "tab\tand\nnewline",
    "emoji 😀 family 👨\u200d👩\u200d👧 flag 🇫🇷",
    "CJK 漢字かなカナ 한국어",
    "combining e\u0301 a\u0308 n\u0303",
    "Persian \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "Arabic right-to-left text مرحبا",
]


@pytest.mark.parametrize(("hostile", "expected"), HOSTILE)
def test_hostile_sequences_are_removed_whole(hostile: str, expected: str) -> None:
    assert sanitize(hostile) == expected


@pytest.mark.parametrize("text", KEPT)
def test_legitimate_text_is_kept(text: str) -> None:
    assert sanitize(text) == text


def test_markup_is_shown_literally() -> None:
    text = safe_text("[bold red]hi[/] [link=http://evil]x[/link]")
    assert text.plain == "[bold red]hi[/] [link=http://evil]x[/link]"
    assert text.spans == []
    console = Console(file=StringIO(), force_terminal=True, color_system="truecolor", width=80)
    console.print(text)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "[bold red]hi[/]" in output
    assert "\x1b]8;" not in output  # no hyperlink was made


def test_safe_text_applies_style_to_the_whole_text() -> None:
    text = safe_text("\x1b[31mwarn", "bold")
    assert text.plain == "warn"
    assert str(text.style) == "bold"


def test_single_line_folds_line_breaks_and_tabs() -> None:
    text = safe_text("Hello,\r\n\n  I need\thelp\n", single_line=True)
    assert text.plain == "Hello, I need help"


def test_max_length_truncates_with_an_ellipsis() -> None:
    assert safe_text("abcdefghij", max_length=5).plain == "abcd…"
    assert safe_text("abc", max_length=5).plain == "abc"
    # Wide characters count as two cells.
    assert safe_text("漢字漢字", max_length=5).cell_len <= 5


@given(st.text())
def test_output_has_no_control_escape_or_bidi_characters(text: str) -> None:
    clean = sanitize(text)
    assert not (set(clean) & FORBIDDEN)
    assert "\x1b" not in clean
    assert "\r" not in clean


@given(st.text())
def test_sanitize_is_idempotent(text: str) -> None:
    once = sanitize(text)
    assert sanitize(once) == once


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_printable_ascii_is_unchanged(text: str) -> None:
    assert sanitize(text) == text


# Bias the generator towards the characters that start escape sequences, so
# the property is tried on sequence-shaped input, not only on random Unicode.
_hostile_alphabet = st.sampled_from(
    list("\x1b\x9b\x9d\x90\x07\x9c\\[]P_^X;0123m") + [chr(c) for c in range(0x20)]
)
_mixed_text = st.lists(st.one_of(st.text(), _hostile_alphabet)).map("".join)


@given(_mixed_text)
def test_rendered_output_holds_only_richs_own_sgr_sequences(text: str) -> None:
    console = Console(file=StringIO(), force_terminal=True, color_system="truecolor", width=60)
    console.print(safe_text(text, "bold"))
    console.print(safe_text(text, single_line=True, max_length=20))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in SGR.sub("", output)
    assert not (set(output) & (C1 | BIDI | {"\x7f"}))
