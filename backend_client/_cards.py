"""Payment cards in untrusted text: what no role needs to read.

One rule for both sides: the backend masks cards (with personal data) in a
trainer's views, and the console hides them from every role when it shows a
customer's or the model's text, since a card number, its expiry and its CVV
are never needed to answer a customer.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import luhn

__all__ = ["card_spans", "mask_cards", "normalise"]

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
"""Zero-width and soft-hyphen characters: invisible, so they can split a number unseen."""


def normalise(text: str) -> str:
    """NFKC (full-width digits and no-break spaces become plain ones), invisible characters out.

    Masking runs on this form: a card number written in full-width digits or
    split by zero-width spaces is still a card number.
    """
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


# Payment cards start with 2-6 (Mastercard, Amex, Visa, Mastercard, Discover); a
# leading 0 or a letter/dash before it is a phone or an order number.
_CARD = re.compile(r"(?<![\w+/.-])[2-6]\d(?:[ -]?\d){11,17}(?![\w/-]|[.,]\d)")
_IBAN_HEAD = re.compile(r"\b[A-Z]{2}\d{2} ?$", re.IGNORECASE)
# What people write after a card number: its expiry and security code, in any order.
_CARD_TAIL = re.compile(
    r"(?:[\s,;:.()-]*(?:(?:exp(?:iry|ires|iration)?\.?|valid(?: thru| until)?|"
    r"cvv2?|cvc2?|cv2|csc|security code)\s*[:#=]?\s*(?:\d{1,2}\s*/\s*\d{2,4}|\d{3,4}\b)"
    r"|\d{1,2}/\d{2,4}\b))+",
    re.IGNORECASE,
)


def _luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number carries (python-stdnum's, well tested)."""
    return bool(luhn.is_valid(digits))


def card_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` (normalised) holds a Luhn-valid card number, with the expiry and CVV
    written after it, as (start, end)."""
    spans = []
    for m in _CARD.finditer(text):
        if _IBAN_HEAD.search(text, 0, m.start()):
            continue  # the tail of an IBAN that failed its check, not a card
        # Separated groups may be followed by an unrelated number ("... 1111 30 EUR"):
        # try dropping whole trailing groups until a valid card number remains.
        groups = list(re.finditer(r"\d+", m.group()))
        for n in range(len(groups), 0, -1):
            end = m.start() + groups[n - 1].end()
            digits = re.sub(r"\D", "", text[m.start() : end])
            if 13 <= len(digits) <= 19 and _luhn_ok(digits):
                # "exp 09/28, CVV 123" after a card is part of it.
                tail = _CARD_TAIL.match(text, end)
                if tail is not None and re.search(r"\d", tail.group()):
                    end = tail.end()
                spans.append((m.start(), end))
                break
    return spans


_DIGITS = b"0123456789"
_FEWEST_CARD_DIGITS = 13


def mask_cards(text: str) -> str:
    """`text` with each payment card (and its expiry and CVV) replaced by `[card]`.

    Text without a card comes back as it was; text with one comes back normalised (NFKC),
    the form in which the card was found.
    """
    # ASCII is its own normal form, and most texts hold fewer digits than a card: both
    # checks are cheap (a third of a microsecond), and the console runs this on every
    # preview it shows, where the card pattern's search alone cost 2 µs.
    plain = text if text.isascii() else normalise(text)
    encoded = plain.encode()
    if len(encoded) - len(encoded.translate(None, _DIGITS)) < _FEWEST_CARD_DIGITS:
        return text
    spans = card_spans(plain)
    if not spans:
        return text
    for start, end in reversed(spans):
        plain = f"{plain[:start]}[card]{plain[end:]}"
    return plain
