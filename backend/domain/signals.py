"""What untrusted text says about itself: escalation triggers and draft flags.

Every function here is pure and takes text from customers or a model at face
value, never trusting it. The patterns err towards precision: a false
escalation costs a person's time, and the review gate still sees every draft.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from backend_client import EscalationReason, Flag

from .asking import asks_for_person
from .person_model import classifier_asks
from .pii import find_pii, mask_pii

__all__ = ["escalation_reason", "find_pii", "mask_pii", "rules_ask_for_person", "text_flags"]


def _normalise(text: str) -> str:
    """Fold lookalike characters and apostrophes so one pattern covers them."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    # Zero-width characters are a cheap way to slip a word past a regex.
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# --- asking for a person --------------------------------------------------

# Who a customer may ask for. "someone" counts only after a verb of talking or
# fetching, so "someone stole my parcel" stays with the bot.
_PERSON = (
    r"(?:person|someone|somebody|some ?one|human(?: being)?|agent|representative|rep|operator"
    r"|manager|supervisor|staff(?: member)?|employee|advisor|adviser|people|colleague"
    r"|customer (?:service|support|care)(?: (?:rep|representative|agent|team|person))?)"
)
_ADJ = r"(?:(?:a|an|the|your|some|one of your|real|live|actual|proper|human|other|another)\s+){0,3}"
_ASKED_FOR_HUMAN = _any(
    [
        # "human" on its own (what the disclosure tells customers to write) is decided by
        # `asking.asks_for_person`: in a short message it is the keyword, in a long one
        # ("knitted by a human or a machine?") it is just a word.
        r"\blive\s+(?:chat|support)\b",
        r"\bcustomer\s+(?:service|support|care)\s+(?:rep|representative|agent|person)\b",
        rf"\b(?:speak|talk|chat|connect|transfer|put|pass|escalate|forward|hand|switch)\b"
        rf"(?:\s+me)?(?:\s+(?:through|over|directly|now|please))?\s+(?:to|with)\s+{_ADJ}{_PERSON}\b",
        rf"\b(?:get|give|find|fetch|send|bring)\s+(?:me\s+)?{_ADJ}{_PERSON}\b(?!-)",
        rf"\b(?:want|need|request|demand|prefer|like)\s+{_ADJ}"
        r"(?:person|human|agent|representative|rep|operator|manager|supervisor|advisor)\b(?!-)",
        rf"\b(?:is there|isn't there|can i get)\s+{_ADJ}{_PERSON}\s+(?:i|we)\s+can\s+"
        r"(?:talk|speak|chat)\b",
        r"\b(?:someone|somebody|anyone|anybody|a person)\s+(?:i|we)\s+can\s+(?:talk|speak|chat)\b",
        r"\b(?:someone|somebody|some one|anyone|anybody)\s+(?:real|human|actual|live)\b",
        r"\b(?:don'?t|do not|dont|won'?t|will not)\s+(?:want|wanna|need)\s+(?:to\s+"
        r"(?:talk|speak|chat)\s+(?:to|with)\s+)?(?:a|an|the|your|this)?\s*(?:bot|robot|machine|ai)\b",
        r"(?<!i'm )(?<!i am )(?<!im )\bnot\s+(?:a|an|the|your)\s+(?:bot|robot|machine|chatbot)\b",
        r"\bno\s+(?:more\s+)?(?:bots|robots|chatbots)\b",
        # A message that is nothing but the word: "agent", "operator please".
        r"^\W*(?:agent|operator|representative|rep|person|manager|supervisor)"
        r"(?:[\s,]+(?:please|pls|plz|now))?\W*$",
    ]
)

# --- data protection ------------------------------------------------------

_DATA = r"(?:data|personal (?:information|info|details)|information|info|details|records)"
_DATA_PROTECTION = _any(
    [
        rf"\b(?:delete|erase|remove|wipe|purge|destroy)\b[^.?!]{{0,25}}\b(?:my|our)\b"
        rf"[^.?!]{{0,20}}\b{_DATA}\b",
        r"\b(?:gdpr|dsgvo|rgpd|ccpa)\b",
        r"\bright\s+(?:to\s+be\s+forgotten|to\s+erasure|of\s+access|to\s+access)\b",
        r"\bwhat\s+(?:personal\s+)?(?:data|information|info)\s+(?:do|does)\s+(?:you|larkspur)"
        r"[^.?!]{0,25}\b(?:on|about)\s+me\b",
        r"\bwhat\s+do\s+you\s+(?:know|store|keep|hold)\s+about\s+me\b",
        r"\b(?:data\s+)?subject\s+access\s+request\b",
        r"\bdsars?\b",
        r"\b(?:art(?:icle)?\.?\s*(?:15|17|20)(?:\s*(?:gdpr|dsgvo))?)\b",
        r"\bdata\s+(?:protection|privacy)\s+(?:officer|request|law|authority|complaint)\b",
        r"\b(?:dpo|ico)\b",
        r"\b(?:copy|export|download)\s+of\s+(?:all\s+)?(?:my|the)\s+(?:personal\s+)?"
        r"(?:data|information)\b",
    ]
)

# --- legal ----------------------------------------------------------------

_LEGAL = _any(
    [
        r"\b(?:lawyers?|attorneys?|solicitors?|barristers?|legal\s+counsel)\b",
        r"\blaw\s*suits?\b",
        r"\blitigation\b",
        r"\blegal\s+(?:action|proceedings|steps|department|team|notice)\b",
        r"\b(?:take|taking|see)\s+(?:you|you guys|your company|larkspur)\s+(?:to|in)\s+court\b",
        r"\b(?:in|to)\s+court\b",
        r"\bsmall\s+claims?\b",
        # "sue" is also a name: "this is Sue" and a signed "Regards, Sue" are not threats.
        r"(?<!this is )(?<!i'm )(?<!i am )(?<!name is )(?<!regards, )(?<!thanks, )"
        r"\b(?:sue|suing|sued)\b",
        r"\b(?:anwalt|anwältin|rechtsanwalt|avocat|abogado)\b",
    ]
)

# --- complaint ------------------------------------------------------------

_COMPLAINT = _any(
    [
        r"\b(?:formal|official|written)\s+complaint\b",
        r"\b(?:file|lodge|make|raise|submit|register|open)\s+(?:a|an)\s+"
        r"(?:formal\s+|official\s+)?complaint\b",
        r"\b(?:want|like|going|need)\s+to\s+complain\b",
        r"\bcomplain(?:ing)?\s+to\s+(?:the|your|a)\b",
        r"\bombuds(?:man|men|person)\b",
        r"\bconsumer\s+(?:protection|rights\s+(?:group|organisation|organization)|council)\b",
        r"\btrading\s+standards\b",
        r"\bbetter\s+business\s+bureau\b|\bbbb\b",
        r"\bverbraucherzentrale\b",
        r"\bcharge\s*-?\s*backs?\b",
        r"\bdispute\s+(?:the|this)\s+(?:charge|payment|transaction)\b",
        r"\breport\s+(?:you|this|your company)\s+to\b",
    ]
)

# --- anger ----------------------------------------------------------------

_ANGER = _any(
    [
        r"\b(?:fuck\w*|f\*+c?k\w*|f\*+|shit\w*|sh[!1*]t|bullshit|crap|wtf|asshole|arsehole"
        r"|bastards?|bloody hell|piss(?:ed)? off|damn(?:ed|it)?|goddamn\w*)\b",
        r"\b(?:ridiculous|absurd|outrageous|unacceptable|disgraceful|disgusting|pathetic"
        r"|incompetent|useless|appalling)\b",
        r"\b(?:furious|livid|fuming|seething)\b",
        r"\bworst\s+(?:\w+\s+)?(?:service|company|shop|store|experience|support)\b",
        r"\bthis\s+is\s+(?:a\s+)?(?:joke|insane|a disgrace)\b",
        r"\b(?:fed up|sick (?:and tired )?of)\b",
        r"\bnever\s+(?:again|(?:ever\s+)?(?:buy|order|shop))\b",
        r"!{3,}",
    ]
)


def _says_phrase(plain: str, phrases: Sequence[str]) -> bool:
    folded = plain.casefold()
    for phrase in phrases:
        wanted = _normalise(phrase).casefold()
        if wanted and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", folded):
            return True
    return False


def _shouting(text: str) -> bool:
    """Several words and most of them in capitals: the customer is shouting."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    loud = [w for w in words if w.isupper() and len(w) >= 3]
    return len(loud) >= 3 and len(loud) >= 0.6 * len(words)


def rules_ask_for_person(text: str, phrases: Sequence[str] = ()) -> bool:
    """Whether the hand-written rules (or a company phrase) say the customer asks for a person."""
    plain = _normalise(text)
    return bool(
        plain
        and (
            _ASKED_FOR_HUMAN.search(plain) or asks_for_person(plain) or _says_phrase(plain, phrases)
        )
    )


def escalation_reason(text: str, phrases: Sequence[str] = ()) -> EscalationReason | None:
    """Why this customer message needs a person, or None when the bot may carry on.

    `phrases` are the company's own ways of asking for a person (`[assistant]
    escalation_phrases`), matched case-insensitively on word boundaries.
    """
    plain = _normalise(text)
    if not plain:
        return None
    # The rules are the floor; the classifier catches phrasings no rule was written for.
    if rules_ask_for_person(plain, phrases) or classifier_asks(plain):
        return EscalationReason.ASKED_FOR_HUMAN
    if _DATA_PROTECTION.search(plain):
        return EscalationReason.DATA_PROTECTION
    if _LEGAL.search(plain):
        return EscalationReason.LEGAL
    if _COMPLAINT.search(plain):
        return EscalationReason.COMPLAINT
    if _ANGER.search(plain) or _shouting(plain) or plain.count("!") >= 5:
        return EscalationReason.ANGER
    return None


# --- draft flags ----------------------------------------------------------

_REFUND = _any(
    [
        r"\brefund(?:s|ed|ing|able)?\b",
        r"\bmoney\s+back\b",
        r"\breimburse\w*\b",
        r"\bcharge\s*-?\s*backs?\b",
        r"\bpay\s+(?:me\s+)?back\b",
    ]
)

_PROMPT_INJECTION = _any(
    [
        r"\b(?:ignore|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+)?"
        r"(?:previous|prior|above|earlier|preceding|all|system|original)\s+(?:\w+\s+)?"
        r"(?:instructions?|prompts?|rules|directions|guidelines|messages)\b",
        r"\bignore\s+(?:all|your)\s+(?:instructions?|rules|guidelines)\b",
        r"\bdisregard\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous\s+|prior\s+|above\s+|system\s+)?"
        r"(?:instructions?|prompts?|rules|guidelines|programming)\b",
        r"\byou\s+are\s+now\b",
        r"\bfrom\s+now\s+on\s+you\s+(?:are|will)\b",
        r"\bsystem\s*prompt\b",
        r"\b(?:act|behave)\s+as\s+(?:if\s+you|an?\s+(?:ai|assistant|chatbot|bot|model|llm"
        r"|unrestricted|unfiltered|different)|my\b|dan\b)",
        r"\bpretend\s+(?:to\s+be|you\s+are|you're)\b",
        r"\bjail\s*break\w*\b",
        r"\bdeveloper\s+mode\b",
        r"\b(?:reveal|show|print|repeat|output|tell\s+me)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:\w+\s+)?(?:instructions|prompt|rules|guidelines)\b",
        r"</s>|<\|im_(?:start|end)\|>|<\|(?:system|assistant|user)\|>|\[/?INST\]",
        r"#{2,}\s*(?:instruction|system)s?\b",
        r"\bnew\s+instructions?\s*:",
    ]
)


def text_flags(text: str) -> set[Flag]:
    """The draft flags that a piece of text raises on its own."""
    plain = _normalise(text)
    flags: set[Flag] = set()
    if _REFUND.search(plain):
        flags.add(Flag.REFUND)
    if _LEGAL.search(plain):
        flags.add(Flag.LEGAL)
    if find_pii(text):
        flags.add(Flag.PII)
    if _PROMPT_INJECTION.search(plain):
        flags.add(Flag.PROMPT_INJECTION)
    return flags
