"""Does a customer ask for a person? Rules over four languages, measured on a corpus.

Invariant 3 (and GDPR art. 22(3)): a customer who asks for a person gets one.
Rules written from the phrasings one knows do not generalise, so these were
developed on the dev half of `tests/data/escalation_corpus.tsv` (EN, DE, FR,
ES; requests for a person and ordinary messages that must not escalate, the
tricky ones included) and are measured on its held-out half
(`benchmarks/eval_escalation.py`). The shape of every rule: a way of
*reaching* someone (speak, connect, call back, verbinden, rappeler, páseme…)
near *who* (a person, staff, an agent, jemand, quelqu'un, alguien…), or wanting
a person outright, or refusing the bot. A person noun alone ("the delivery
person", "Menschenhaar", "pelo humano") is not a request.

Text is matched case-folded and without accents, so `à`, `ü` and `é` need no
variants in the patterns.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["asks_for_person", "fold"]


def fold(text: str) -> str:
    """Case-folded, accents stripped, apostrophes and spaces made plain."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Who: the people a customer may want to reach, in four languages.
_WHO = (
    r"(?:(?:a |an |the |one of (?:your|the) |your |some |real |actual |live |other )*"
    r"(?:person|human(?: being)?|someone|somebody|anyone|anybody|agent|representative|rep"
    r"|operator|manager|supervisor|staff(?: member)?|member of (?:staff|the team|your team)"
    r"|employee|colleague|advisor|adviser|people|team(?: members?)?|whoever|someone else"
    r"|customer (?:service|support|care)|support(?: staff| team)?)"
    r"|(?:ein(?:e|en|em|er)?|dem|den|der|ihrem|ihren|echten?) ?"
    r"(?:mensch(?:en)?|person|mitarbeiter(?:in)?|kolleg(?:e|en|in)|vorgesetzten?|chef"
    r"|ansprechpartner|kundenservice|kundendienst|support|(?:kunden)?berater(?:in)?)"
    r"|jemand(?:en|em)?|mensch(?:en)?|(?:zustandige|echte) person"
    r"|(?:un |une |le |la |l'|votre |vos |au |du |de )*(?:vraie? )?"
    r"(?:conseill(?:er|ere)|agent|responsable|collegues?|superieur|vendeur|interlocuteur"
    r"|humain|etre humain|personne(?: reelle)?|membre du personnel|service (?:client|apres-vente))"
    r"|quelqu'un"
    r"|(?:un |una |el |la |su |sus |algun )*"
    r"(?:persona|humano|agente|encargado|asesor(?:a)?|operador(?:a)?|empleado|supervisor|gerente"
    r"|representante|companero|responsable|atencion al cliente|servicio al cliente)"
    r"|alguien)"
)

# Ways of reaching someone, each followed (within a few words) by who.
_REACH = (
    r"(?:speak|talk|chat|deal|discuss(?: this)?|connect|transfer|put|pass|hand|escalate|forward"
    r"|switch)(?: me| this| it| this on| my case)?(?: over| through| on| directly| now| please)*"
    r" (?:to|with)"
    r"|sprechen|reden|chatten|verbinden|weiterleiten|weitergeben|klaren"
    r"|parler|discuter|echanger|(?:mettre|mettez)(?:-moi)? en (?:relation|contact|ligne)"
    r"|transferez-moi|transmettre|passez-moi|passer|joindre"
    r"|hablar|chatear|paseme|pasame|pasa|transfierame|comuniqueme|pongame|derive|atienda"
)
_ASKS = _any(
    # reaching someone: "let me speak to whoever is in charge", "verbinden Sie mich mit…"
    rf"\b(?:{_REACH})\b(?: \S+){{0,4}}? (?:{_WHO})\b",
    rf"\b(?:{_WHO}) (?:\S+ ){{0,6}}?(?:sprechen|reden|chatten|weiterleiten|weitergeben|weiter"
    r"|kontaktieren)\b",
    # someone contacting the customer: "could somebody get back to me", "a call back"
    rf"\b(?:{_WHO})\b(?: \S+){{0,5}}? (?:get back to me|contact me|call me|ring me|phone me"
    r"|email me|e-mail me|reply to me|write to me|have a look|look at this"
    r"|mich (?:zuruckrufen|anrufen|kontaktieren)|bei mir melden"
    r"|me (?:contacter|rappeler|repondre)|m'ecrire|reprendre"
    r"|me (?:puede )?(?:llamar|contactar|escrib|atender)|revis(?:e|ar))",
    r"\b(?:call|ring|phone) me back\b|\bcall ?back\b|\bget (?:someone|a \w+) to (?:call|ring)",
    r"\b(?:have|get) (?:someone|somebody|a \w+) (?:contact|call|phone|ring|email)",
    r"\b(?:get|give|find|fetch|bring) (?:me )?(?:a |an |some )?(?:real |actual |live )?"
    r"(?:person|human|agent|representative|manager|supervisor|staff member)\b(?!-)",
    r"\b(?:contact|reach) a (?:human|person)\b|\bhuman being\b",
    r"\bruckruf\b|\brufen sie mich\b|\bkann (?:mich )?(?:ein|eine|jemand)\b.{0,30}\banrufen\b",
    r"\b(?:me |m')rappeler?\b|\bappelez-moi\b|\bfaites-moi rappeler\b|\bme rappelle\b",
    r"\bllamenme\b|\bdevolver(?:me)? la llamada\b|\bllamada de vuelta\b|\bme llame\b",
    # wanting a person outright: "I want a human", "il me faut une vraie personne"
    r"\b(?:want|need|prefer|like|rather|demand|request)\b(?: \S+){0,3}? (?:a|an|the|some)?"
    r" ?(?:real |actual |live |human )?(?:person|human|agent|representative|someone real"
    r"|manager|supervisor|staff member|employee)\b(?!-| resources| error| hair)",
    r"\b(?:mochte|will|brauche|hatte gern(?:e)?)\b(?: \S+){0,4}? (?:einen?|eine) "
    r"(?:echten? |personlichen )?(?:mensch(?:en)?|person|mitarbeiter(?:in)?|ansprechpartner)\b",
    r"\b(?:veux|voudrais|souhaite|faut|demande)\b(?: \S+){0,3}? (?:un|une) (?:vrai(?:e)? )?"
    r"(?:personne|humain|interlocuteur|contact humain|agent|conseiller)\b",
    r"\b(?:quiero|necesito|quisiera|deseo|prefiero)\b(?: \S+){0,3}? (?:una?|el|al) "
    r"(?:persona|humano|agente|asesor|gerente|encargado)\b",
    r"\b(?:real|actual|live|proper) (?:person|human|agent)s? (?:please|pls|plz|now)\b",
    r"\bpersona de verdad\b|\bde carne y hueso\b|\batencion personal\b",
    # refusing the bot: "I don't want to chat with a machine", "kein Bot bitte"
    r"\b(?:don'?t|do not|won'?t|not|no|nicht|kein(?:en)?|ne veux pas|no quiero)\b"
    r"(?: \S+){0,5}? (?:a |an |the |this |un |una |einen |der )?"
    r"(?:bot|robot|machine|chatbot|maquina|maschine)\b",
    r"\b(?:bot|robot)\b[^.?!]{0,25}\b(?:isn'?t|is not|not|no|doesn'?t)\b"
    r"[^.?!]{0,15}\b(?:help|work|understand|entiende|hilft)",
    r"\b(?:are you|sind sie|etes-vous|eres)(?: \S+)? (?:a |an |ein |un )?(?:bot|robot)\b",
    # is anyone there: "is there anyone I can actually talk to?", "hay alguien real ahi?"
    r"\bis (?:there )?any(?:one|body) (?:there|i can|we can)\b",
    r"\b(?:y a-t-il|il y a) (?:quelqu'un|un humain)\b|\bhumain derriere\b",
    r"\bgibt es\b(?: \S+){0,3}? (?:echte(?:n)? (?:menschen|person|ansprechpartner)|jemand)",
    r"\bhay alguien\b",
    # who can I talk to: "mit wem kann ich…", "con quien puedo hablar", "qui puis-je contacter"
    r"\bwho (?:can|should|do) i (?:speak|talk|contact)\b|\bmit wem kann ich\b"
    r"|\bqui puis-je contacter\b|\bcon quien (?:puedo|debo) hablar\b",
    r"\bwhoever is in charge\b|\bsomeone in charge\b",
    r"\bpersonlich zuruck\b|\bnicht der bot\b",
)
_ALONE = re.compile(
    r"^\W*(?:(?:a |an |un |une |una |einen |ein )?(?:real |vrai |echten? )?"
    r"(?:human|humans|agent|operator|representative|rep|person|manager|supervisor|mensch"
    r"|menschen|humain|humano|agente|persona|conseiller))"
    r"(?:\W+(?:please|pls|plz|now|bitte|s'il vous plait|svp|por favor|jetzt))*\W*$"
)
_HUMAN_WORD = re.compile(r"\bhumans?\b(?! resources| error| rights| nature| hair| body| size)")
SHORT = 4
"""Words in a message short enough that "human" in it is the disclosure's keyword."""


def asks_for_person(text: str) -> bool:
    """Whether the customer asks for a person (or signals plainly that they need one)."""
    plain = fold(text)
    if not plain:
        return False
    if _ALONE.match(plain) or _ASKS.search(plain):
        return True
    # The disclosure tells customers to write "human": in a short message it is that.
    return len(plain.split()) <= SHORT and bool(_HUMAN_WORD.search(plain))
