"""Personal data in untrusted text, and the masked views of wire objects that roles without
the right to see it get (invariant 7).

The patterns err towards precision in what they call personal data, but masking errs towards
hiding: a trainer sees less rather than someone's email.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from stdnum import iban as stdnum_iban

from backend_client import card_spans, normalise

__all__ = ["customer_names", "find_pii", "mask_data", "mask_model", "mask_pii", "normalise"]

W = TypeVar("W", bound=BaseModel)

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b"
)
# Country code, check digits, then 11..30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w+/.-])(?:\+\s?)?(?:\(\d{1,4}\)\s?)?\d(?:[ ./-]?(?:\(\d{1,4}\)|\d)){5,18}"
    r"(?![\w/-]|[.,]\d)"
)
_NANP = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _iban_ok(compact: str) -> bool:
    """ISO 13616 with each country's length and format (python-stdnum), in any letter case."""
    return bool(stdnum_iban.is_valid(compact))


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
        ("card", card_spans(text)),
        ("phone", _phone_spans(text)),
    ):
        found.extend((kind, s, e) for s, e in spans if free(s, e))
    return sorted(found, key=lambda item: item[1])


def mask_pii(text: str, names: Iterable[str] = ()) -> str:
    """`text`, normalised, with emails, phones, cards (with expiry and CVV) and IBANs replaced
    by `[email]`, `[phone]`…, and the customer's `names` (whole or any part) by `[name]`."""
    text = normalise(text)
    for kind, start, end in reversed(find_pii(text)):
        text = f"{text[:start]}[{kind}]{text[end:]}"
    pattern = _names_pattern(names)
    return pattern.sub("[name]", text) if pattern is not None else text


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """The full name in any case; each part of it (3+ letters) when written capitalised,
    so that "Jo Customer" hides "Customer" but not the word "customer"."""
    alternatives: list[str] = []
    for name in names:
        name = normalise(name).strip()
        if len(name) < 2 or name.startswith("["):
            continue
        alternatives.append(f"(?i:{re.escape(name)})")
        for part in re.findall(r"\w+", name):
            if len(part) >= 3:
                alternatives.append(f"{re.escape(part[0].upper())}(?i:{re.escape(part[1:])})")
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")


def customer_names(data: Any) -> list[str]:
    """Every customer name inside plain JSON data (to mask it wherever else it appears)."""
    found: list[str] = []
    if isinstance(data, dict):
        customer = data.get("customer")
        if isinstance(customer, dict) and isinstance(customer.get("name"), str):
            found.append(customer["name"])
        for value in data.values():
            found.extend(customer_names(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(customer_names(value))
    return found


_MASKED_TEXT_FIELDS = frozenset(
    {"text", "last_message", "final_text", "ai_text", "note", "rationale", "instruction"}
)
"""Every field that may carry what a customer wrote (rationales and instructions may quote it)."""


def mask_model(model: W, names: Iterable[str] = ()) -> W:
    """A copy of a wire object with personal data masked in every text and the customer;
    the customer's name (from the object, or `names`) is masked wherever it appears."""
    data = model.model_dump(mode="json")
    return type(model).model_validate(mask_data(data, names=names))


def mask_data(
    data: Any, extra: frozenset[str] | set[str] = frozenset(), names: Iterable[str] = ()
) -> Any:
    """Plain JSON data with personal data masked; `extra` names more text fields to mask."""
    return _mask(data, None, extra, (*names, *customer_names(data)))


def _mask(
    value: Any, key: str | None, extra: frozenset[str] | set[str], names: tuple[str, ...]
) -> Any:
    if isinstance(value, dict):
        if key == "customer":
            name = normalise(value.get("name") or "?")
            return {"name": f"{name[:1]}.", "email": "[email]" if value.get("email") else None}
        return {k: _mask(v, k, extra, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key, extra, names) for v in value]
    if isinstance(value, str) and (key in _MASKED_TEXT_FIELDS or key in extra):
        return mask_pii(value, names)
    return value
