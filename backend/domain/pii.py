"""Personal data in untrusted text, and the masked views of wire objects that roles without
the right to see it get (invariant 7).

The patterns err towards precision in what they call personal data, but masking errs towards
hiding: a trainer sees less rather than someone's email.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["find_pii", "mask_data", "mask_model", "mask_pii"]

W = TypeVar("W", bound=BaseModel)

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b"
)
# Country code, check digits, then 11..30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
# Payment cards start with 2-6 (Mastercard, Amex, Visa, Mastercard, Discover); a
# leading 0 or a letter/dash before it is a phone or an order number.
_CARD = re.compile(r"(?<![\w+/.-])[2-6]\d(?:[ -]?\d){11,17}(?![\w/-]|[.,]\d)")
_IBAN_HEAD = re.compile(r"\b[A-Z]{2}\d{2} ?$")
_PHONE = re.compile(
    r"(?<![\w+/.-])(?:\+\s?)?(?:\(\d{1,4}\)\s?)?\d(?:[ ./-]?(?:\(\d{1,4}\)|\d)){5,18}"
    r"(?![\w/-]|[.,]\d)"
)
_NANP = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    """ISO 13616: move the first four characters to the end, read letters as 10..35, mod 97."""
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _iban_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _IBAN.finditer(text):
        # The pattern is greedy and may run into an upper-case word after the IBAN;
        # take the longest prefix that ends at a word boundary and checks out.
        ends = [m.start() + i + 1 for i, ch in enumerate(m.group()) if ch.isalnum()]
        for end in reversed(ends):
            if end < len(text) and text[end].isalnum():
                continue
            compact = text[m.start() : end].replace(" ", "")
            if _iban_ok(compact):
                spans.append((m.start(), end))
                break
    return spans


def _card_spans(text: str) -> list[tuple[int, int]]:
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
                spans.append((m.start(), end))
                break
    return spans


def _is_phone(candidate: str) -> bool:
    """Whether a run of digits and separators reads as a phone number, not a date or amount."""
    digits = re.sub(r"\D", "", candidate)
    if _DATE.fullmatch(candidate):
        return False
    if candidate.startswith("+"):
        return 8 <= len(digits) <= 15
    if candidate.startswith("00"):
        return 10 <= len(digits) <= 15
    if candidate.startswith("0"):
        return 9 <= len(digits) <= 12
    return bool(_NANP.fullmatch(candidate))


def _phone_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _PHONE.finditer(text) if _is_phone(m.group())]


def find_pii(text: str) -> list[tuple[str, int, int]]:
    """Personal data in `text` as (kind, start, end), kinds `email`, `iban`, `card`, `phone`."""
    found: list[tuple[str, int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for _, s, e in found)

    # Most specific first: an email may hold digits, an IBAN holds a card-length number.
    for kind, spans in (
        ("email", [(m.start(), m.end()) for m in _EMAIL.finditer(text)]),
        ("iban", _iban_spans(text)),
        ("card", _card_spans(text)),
        ("phone", _phone_spans(text)),
    ):
        found.extend((kind, s, e) for s, e in spans if free(s, e))
    return sorted(found, key=lambda item: item[1])


def mask_pii(text: str) -> str:
    """`text` with emails, phones, card numbers and IBANs replaced by `[email]`, `[phone]`…"""
    for kind, start, end in reversed(find_pii(text)):
        text = f"{text[:start]}[{kind}]{text[end:]}"
    return text


_MASKED_TEXT_FIELDS = frozenset(
    {"text", "last_message", "final_text", "ai_text", "note", "rationale", "instruction"}
)
"""Every field that may carry what a customer wrote (rationales and instructions may quote it)."""


def mask_model(model: W) -> W:
    """A copy of a wire object with personal data masked in every text and the customer."""
    data = model.model_dump(mode="json")
    return type(model).model_validate(_mask(data))


def mask_data(data: Any, extra: frozenset[str] | set[str] = frozenset()) -> Any:
    """Plain JSON data with personal data masked; `extra` names more text fields to mask."""
    return _mask(data, extra=extra)


def _mask(
    value: Any, key: str | None = None, extra: frozenset[str] | set[str] = frozenset()
) -> Any:
    if isinstance(value, dict):
        if key == "customer":
            name = value.get("name") or "?"
            return {"name": f"{name[:1]}.", "email": "[email]" if value.get("email") else None}
        return {k: _mask(v, k, extra) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key, extra) for v in value]
    if isinstance(value, str) and (key in _MASKED_TEXT_FIELDS or key in extra):
        return mask_pii(value)
    return value
