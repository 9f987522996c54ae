"""The built-in offline bot: BM25 retrieval over the company's knowledge base.

It needs no network and no model, and it is fully deterministic, so the demo,
the simulator and the tests can rely on what it says.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from backend.bots.base import BotReply, Turn
from backend.domain.signals import mask_pii, text_flags
from backend.knowledge.articles import Article, read_folder
from backend.settings import EXAMPLE_DIR
from backend_client import Author, BotIdentity, Flag, Source

__all__ = ["BuiltinBot", "KnowledgeEntry", "load_knowledge_base"]

K1 = 1.5
B = 0.75
LOW_CONFIDENCE = 0.45
"""Below this the draft carries `low_confidence` (the backend's default threshold)."""
MIN_SCORE = 1.0
"""A best score under this is no match at all."""
EARLIER_WEIGHT = 0.3
"""How much earlier customer messages count next to the last one."""
INSTRUCTION_WEIGHT = 0.6
"""How much an operator's instruction counts as extra query terms."""

FALLBACK_ANSWER = (
    "I'm not sure I've understood your question, sorry. Could you tell me a little more, "
    'for example your order number? I can also connect you to a person: just write "human".'
)
GREETING_ANSWER = "Hello! I'm happy to help. What can I do for you today?"
THANKS_ANSWER = "You're very welcome! Is there anything else I can help you with?"

_STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing don dont down during each few for
    from further had has have having he her here hers him his i if im in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours out over
    own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what which while who whom will with would
    you your yours yourself hi hello hey please pls thanks thank ok okay also get got like
    want wanted need know tell let us ve ll re d s t m how many something anything
    everything hasnt havent isnt didnt doesnt wont cant still yet one""".split()
)

# Words of an operator's instruction that describe the tone, not the topic.
_INSTRUCTION_NOISE = frozenset(
    """short shorter brief briefly concise sentence sentences apology apologise apologize
    apologetic sorry formal formally professional polite friendly friendlier warm warmer tone
    answer reply rewrite say write make more less mention include offer explain keep human
    person agent customer""".split()
)

_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening))(?:\s+there)?\W*$", re.I
)
_THANKS = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|great|perfect|cool|brilliant)[\s,]*)?"
    r"(?:thanks?(?: you)?(?: (?:so|very) much)?|cheers|ta|many thanks)\W*$",
    re.I,
)


def _stem(word: str) -> str:
    """A deliberately small suffix stripper: enough to make "returns", "returned" meet."""
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: len(word) - len(suffix)] + repl
            # "shipping" -> "shipp" -> "ship", "cancelled" -> "cancell" -> "cancel"
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] != "s":
                word = word[:-1]
            break
    # "change", "changed" and "changing" all end up as "chang".
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case stems of the words of `text` that carry meaning."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return [_stem(w) for w in words if w not in _STOPWORDS]


@dataclass(frozen=True)
class KnowledgeEntry:
    """One answer the built-in bot can give."""

    id: str
    title: str
    keywords: tuple[str, ...]
    question: str
    answer: str
    flags: frozenset[Flag] = frozenset()


def entries_from(articles: Sequence[Article]) -> tuple[KnowledgeEntry, ...]:
    """The bot's entries from a company's articles: tags are keywords, the body the answer."""
    known = {f.value for f in Flag}
    return tuple(
        KnowledgeEntry(
            id=a.id,
            title=a.title,
            keywords=a.tags,
            question=a.question or a.title,
            answer=a.body,
            flags=frozenset(Flag(f) for f in a.flags if f in known),
        )
        for a in articles
    )


@cache
def load_knowledge_base() -> tuple[KnowledgeEntry, ...]:
    """The example company's entries (`backend/examples/larkspur/kb/`), read once per process."""
    articles, _ = read_folder(EXAMPLE_DIR / "kb")
    return entries_from(articles)


class _BM25:
    """Okapi BM25 over the knowledge base, with weighted query terms."""

    def __init__(self, entries: Sequence[KnowledgeEntry]) -> None:
        self.entries = list(entries)
        # Title, question and keywords say what an entry is about; the answer only helps.
        self.docs = [
            Counter(
                tokenize(f"{e.title} {e.question} {' '.join(e.keywords)}") * 2 + tokenize(e.answer)
            )
            for e in self.entries
        ]
        self.topics = [
            set(tokenize(f"{e.title} {e.question} {' '.join(e.keywords)}")) for e in self.entries
        ]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg_length = sum(self.lengths) / len(self.lengths)
        n = len(self.docs)
        df = Counter(term for d in self.docs for term in d)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)

    def score(self, query: dict[str, float]) -> list[tuple[float, int, set[str]]]:
        """(score, entry index, matched terms) for every entry, best first."""
        results = []
        for i, (doc, length) in enumerate(zip(self.docs, self.lengths, strict=True)):
            score, matched = 0.0, set()
            norm = K1 * (1 - B + B * length / self.avg_length)
            for term, weight in query.items():
                tf = doc.get(term, 0)
                if tf:
                    score += weight * self.idf[term] * tf * (K1 + 1) / (tf + norm)
                    matched.add(term)
            results.append((score, i, matched))
        # Ties go to the entry listed first, so the answer never depends on dict order.
        return sorted(results, key=lambda r: (-r[0], r[1]))

    def coverage(self, query: dict[str, float], hits: Sequence[int]) -> float:
        """The share of the query's weight (by rarity) that the entries `hits` explain.

        A word found only in an entry's answer ("write", "sell") explains half as much
        as one in its title, question or keywords: the answer is not what it is about.
        """
        # Words the knowledge base never uses ("sweater", "sofa") count half: customers
        # name their products, and that alone should not make a clear match look unsure.
        unseen = self.unseen_idf / 2
        total = sum(w * self.idf.get(t, unseen) for t, w in query.items())
        hit = 0.0
        for term, weight in query.items():
            if any(term in self.topics[i] for i in hits):
                hit += weight * self.idf[term]
            elif any(term in self.docs[i] for i in hits):
                hit += weight * self.idf[term] / 2
        return hit / total if total else 0.0


@cache
def _index() -> _BM25:
    return _BM25(load_knowledge_base())


_NOTHING = KnowledgeEntry(id="", title="", keywords=(), question="", answer="zzqxnothing")
"""Stands in for an empty knowledge base, so BM25 has something (that never matches)."""


def confidence(top: float, second: float, coverage: float) -> float:
    """How sure the bot is, 0..1, from the best score, the runner-up and query coverage.

    A strong score that clearly beats the next entry and explains most of what the
    customer wrote lands above 0.8; a stray word or two matching stays below 0.4.
    """
    if top <= 0:
        return 0.0
    # BM25 scores here run 0..~15; a single ordinary word matching scores about 3.
    strength = 1 / (1 + math.exp(-(top - 4.5) / 1.2))
    margin = (top - second) / top
    value = strength * (0.6 + 0.4 * margin) * math.pow(coverage, 0.7)
    return round(min(1.0, max(0.0, value * 1.2)), 3)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _shorten(text: str, sentences: int) -> str:
    """The first sentences; a lone sentence loses its trailing clauses instead."""
    parts = _sentences(text)
    if len(parts) > sentences:
        return " ".join(parts[:sentences])
    head, comma, _ = parts[-1].partition(", ")
    return " ".join([*parts[:-1], head.rstrip(".") + "."]) if comma else text


_CONTRACTIONS = {
    "I'm": "I am",
    "I'll": "I will",
    "I've": "I have",
    "you'll": "you will",
    "you're": "you are",
    "you've": "you have",
    "we'll": "we will",
    "we're": "we are",
    "we've": "we have",
    "it's": "it is",
    "isn't": "is not",
    "can't": "cannot",
    "don't": "do not",
    "doesn't": "does not",
    "hasn't": "has not",
    "haven't": "have not",
    "won't": "will not",
    "there's": "there is",
}


def _formal(text: str) -> str:
    for short, long in _CONTRACTIONS.items():
        text = re.sub(rf"\b{re.escape(short)}", long, text)
        cap = short[0].upper() + short[1:]
        text = re.sub(rf"\b{re.escape(cap)}", long[0].upper() + long[1:], text)
    return text.replace("!", ".")


def apply_instruction(
    text: str, instruction: str, company: str = "Larkspur Goods"
) -> tuple[str, list[str]]:
    """Rewrite `text` the way an operator's instruction asks; returns it and what was done."""
    asked = instruction.lower()
    done: list[str] = []
    if re.search(r"\b(?:formal|professional)", asked):
        text = f"Thank you for contacting {company}. " + _formal(text)
        done.append("formal")
    if re.search(r"\b(?:short|brief|concise|one sentence|tl;?dr|less)", asked):
        text = _shorten(text, 2 if done else 1)
        done.append("shorter")
    if re.search(r"\b(?:apolog|sorry|empath)", asked) and not text.startswith("I'm sorry"):
        sorry = (
            "I am sorry for the trouble. " if "formal" in done else "I'm sorry for the trouble. "
        )
        text = sorry + text
        done.append("apology")
    if re.search(r"\b(?:human|person|agent|colleague|escalat|hand\s?over)", asked):
        text += ' If you\'d prefer, I can connect you to a person: just write "human".'
        done.append("offer a person")
    if re.search(r"\b(?:friendl|warm|casual)", asked):
        text += " Is there anything else I can help you with?"
        done.append("friendlier")
    return text, done


class BuiltinBot:
    """The offline FAQ bot: answers from the knowledge base, says how sure it is and why."""

    identity = BotIdentity(name="builtin-faq", model="bm25-v1")

    def __init__(
        self, entries: Sequence[KnowledgeEntry] | None = None, company: str = "Larkspur Goods"
    ) -> None:
        """Over `entries` (a company's articles), or the example company's by default."""
        self.company = company
        if entries is None:
            self._index = _index()
        else:
            self._index = _BM25([*entries, _NOTHING, _NOTHING][: max(2, len(entries))])

    async def draft(self, history: Sequence[Turn], instruction: str | None = None) -> BotReply:
        """Draft the next reply to the customer's last message, following `instruction`."""
        return self.answer(history, instruction)

    def answer(self, history: Sequence[Turn], instruction: str | None = None) -> BotReply:
        """The synchronous core of `draft`, for callers outside an event loop."""
        said = [t.text for t in history if t.author == Author.CUSTOMER]
        last = said[-1] if said else ""
        flags = text_flags(last)

        query, surface = self._query(last, said[-3:-1], instruction)
        ranked = self._index.score(query)
        (top, first, matched), (second, second_i, second_matched) = ranked[0], ranked[1]
        entries = self._index.entries

        used: list[int] = []
        # Both patterns match whole messages only, so "thanks, where is my parcel?" is a question.
        if _GREETING.match(last) or _THANKS.match(last):
            text = GREETING_ANSWER if _GREETING.match(last) else THANKS_ANSWER
            reply_conf, rationale = 0.6, "Small talk: greeted or thanked"
        elif top < MIN_SCORE:
            text, reply_conf = FALLBACK_ANSWER, 0.1 if not query else 0.2
            rationale = f"No knowledge-base entry matched (best score {top:.1f})"
        else:
            used = [first]
            # Join a second answer only when it covers something the first does not:
            # "how do I return it and when do I get my money?" asks two questions.
            if second >= 0.5 * top and second >= 2 * MIN_SCORE and second_matched - matched:
                used.append(second_i)
                matched = matched | second_matched
            runner_up = ranked[len(used)][0]
            coverage = self._index.coverage(query, used)
            reply_conf = confidence(top, runner_up, coverage)
            text = " ".join(entries[i].answer for i in used)
            words = ", ".join(sorted(surface.get(t, t) for t in matched))
            titles = " + ".join(f'"{entries[i].title}"' for i in used)
            rationale = f"Matched {titles} (score {top:.1f}, next {runner_up:.1f}) on: {words}"
            for i in used:
                flags |= entries[i].flags

        if instruction and instruction.strip():
            text, done = apply_instruction(text, instruction, self.company)
            applied = ", ".join(done) if done else "as extra search terms"
            rationale += f'; instruction "{instruction.strip()[:80]}" ({applied})'

        if reply_conf < LOW_CONFIDENCE:
            flags.add(Flag.LOW_CONFIDENCE)
        sources = [
            Source(id=entries[i].id, title=entries[i].title, score=round(score, 2))
            for score, i, _ in ranked[:3]
            if score >= MIN_SCORE
        ]
        return BotReply(
            text=text, confidence=reply_conf, rationale=rationale, sources=sources, flags=flags
        )

    def _query(
        self, last: str, earlier: Sequence[str], instruction: str | None
    ) -> tuple[dict[str, float], dict[str, str]]:
        """Weighted query terms, and for each stem the word the customer actually wrote."""
        query: dict[str, float] = {}
        surface: dict[str, str] = {}

        def add(text: str, weight: float, skip: frozenset[str] = frozenset()) -> None:
            for word in re.findall(r"[a-z0-9']+", text.lower()):
                word = word.replace("'", "")
                if word in _STOPWORDS or word in skip:
                    continue
                stem = _stem(word)
                surface.setdefault(stem, word)
                # A repeated word is not a stronger question; keep the heaviest weight.
                query[stem] = max(query.get(stem, 0.0), weight)

        # Masked first: an email address or card number is not a question to look up.
        add(mask_pii(last), 1.0)
        for text in earlier:
            add(mask_pii(text), EARLIER_WEIGHT)
        if instruction:
            add(instruction, INSTRUCTION_WEIGHT, _INSTRUCTION_NOISE)
        return query, surface
