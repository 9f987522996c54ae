"""The one sanitiser at the display boundary (design invariant 6).

Customers and the model write text we do not control. Before any of it reaches
the terminal it goes through `sanitize`, and it is shown with `safe_text`,
which builds a `rich.text.Text` directly, so square brackets are never read
as Rich markup.

What is removed, and why:

- Whole escape sequences (CSI, OSC, DCS, APC, PM, SOS, in their 7-bit
  `ESC x` and 8-bit C1 forms, and two-character `ESC x` sequences): removing
  only the ESC would leave the payload (`]0;PWNED`) visible, which is noise at
  best and a half-parsed sequence at worst. An unterminated string sequence
  swallows the rest of the text, as a terminal would.
- Remaining C0 controls except newline and tab, DEL, and all C1 controls:
  they move the cursor, ring the bell, or start sequences on some terminals.
- Bidirectional overrides, embeddings, isolates and marks (U+202A-U+202E,
  U+2066-U+2069, U+200E, U+200F, U+061C): they reorder what the operator
  sees ("Trojan Source"), e.g. make `refund` read as something else.
- Every other Unicode format character (category Cf), notably zero-width
  space U+200B, word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD and the
  invisible tag characters U+E0000-U+E007F (used to hide prompt injections).
  They are invisible, so they can hide text or make two names look alike.
  Kept: zero-width joiner U+200D (emoji sequences such as family or
  profession emoji need it) and zero-width non-joiner U+200C (Persian and
  Indic scripts need it to spell words right). Dropping tag characters
  costs the Scotland and Wales subdivision flags, which fall back to a
  plain black flag; that is the price of not hiding text.
- Lone surrogates (category Cs): they cannot be encoded as UTF-8, so writing
  them to the terminal would crash the console.

Line endings: `\\r\\n` and lone `\\r` become `\\n` (a bare carriage return
would let a later line overwrite an earlier one); NEL U+0085 and the Unicode
line and paragraph separators U+2028/U+2029 become `\\n` too.
"""

from __future__ import annotations

import re
import unicodedata

from rich.style import Style
from rich.text import Text

from backend_client import mask_cards

__all__ = ["safe_text", "sanitize", "untrusted"]

# String sequences: OSC, DCS, SOS, PM, APC, introduced by ESC + letter or by
# the 8-bit C1 byte, ended by ST (ESC \ or 0x9C) or, as xterm accepts for OSC,
# BEL. Without a terminator they run to the end of the text.
_STRING_SEQUENCE = r"(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
# CSI: parameters, intermediates, final byte; the final byte may be missing
# when the text ends mid-sequence.
_CSI_SEQUENCE = r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
# Other escape sequences: ESC, optional intermediates, one final byte
# (ESC c reset, ESC 7 save cursor, ESC ( B charset, ESC = keypad...).
_OTHER_ESCAPE = r"\x1b[\x20-\x2f]*[\x30-\x7e]"

_ESCAPE_SEQUENCES = re.compile(
    f"{_STRING_SEQUENCE}|{_CSI_SEQUENCE}|{_OTHER_ESCAPE}",
    re.DOTALL,
)

# Cheap pre-check so that text without any introducer skips the big regex.
_SEQUENCE_START = re.compile(r"[\x1b\x90-\x9f]")

_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")

_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_KEPT_FORMAT_CHARS = frozenset("\u200c\u200d")
_KEPT_CONTROLS = frozenset("\n\t")


def _is_unsafe(char: str) -> bool:
    """True for a character that must not reach the terminal."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return char not in _KEPT_CONTROLS
    if code < 0xA0:
        return False  # printable ASCII: the common case, decided fast
    if char in _BIDI_CONTROLS:
        return True
    category = unicodedata.category(char)
    if category == "Cf":
        return char not in _KEPT_FORMAT_CHARS
    return category == "Cs"


# Translation table built lazily per character: str.translate with a dict
# subclass that decides on a miss keeps the per-character cost in C for
# characters already seen.
class _UnsafeTable(dict[int, str | None]):
    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        value = None if _is_unsafe(char) else char
        self[code] = value
        return value


_TABLE = _UnsafeTable()


def sanitize(text: str) -> str:
    """Return `text` with escape sequences and unsafe control/format characters removed.

    Idempotent: `sanitize(sanitize(x)) == sanitize(x)`. Printable ASCII and
    ordinary Unicode text (CJK, emoji, combining marks) pass unchanged.
    """
    if _SEQUENCE_START.search(text):
        text = _ESCAPE_SEQUENCES.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    return text.translate(_TABLE)


def untrusted(text: str) -> str:
    """`text` as the console shows what a customer or the model wrote: sanitised, and with
    payment cards (with their expiry and CVV) hidden from every role, since answering a
    customer never needs them."""
    return mask_cards(sanitize(text))


_SINGLE_LINE = re.compile(r"[ \t]*[\n\t][ \t\n]*")


def safe_text(
    text: str,
    style: str | Style = "",
    *,
    single_line: bool = False,
    max_length: int | None = None,
) -> Text:
    """Sanitise untrusted `text` and wrap it in a `Text` without parsing markup.

    Args:
        text: Untrusted text (a customer's name, a message, a model's draft).
        style: A Rich style for the whole text.
        single_line: Fold newlines and tabs (and the blanks around them) into
            one space, for one-line previews.
        max_length: Truncate to this many terminal cells, ending with "…".
    """
    clean = untrusted(text)
    if single_line:
        clean = _SINGLE_LINE.sub(" ", clean).strip(" ")
    result = Text(clean, style=style, no_wrap=single_line, end="")
    if max_length is not None:
        result.truncate(max(max_length, 0), overflow="ellipsis")
    return result
