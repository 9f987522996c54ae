"""A bot on any OpenAI-compatible `/chat/completions` endpoint (OpenAI, Ollama, vLLM, …).

Grounded in the company's knowledge base: the best passages for the customer's
question go into the prompt numbered `[1]`, `[2]`, …; the model is told to
answer only from them and cite them inline. The draft's sources are the
passages it cited; a draft that cites none, or a number it was not offered, is
flagged `ungrounded`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from backend.bots.base import BotReply, Turn
from backend.domain.signals import text_flags
from backend.settings import PROMPT_TEMPLATE, BotSettings
from backend_client import Author, BotIdentity, Flag, Source, tls_context

if TYPE_CHECKING:
    from backend.knowledge import KnowledgeRows, Passage

__all__ = ["BotUnavailable", "OpenAICompatBot", "SYSTEM_PROMPT", "cited_numbers"]

SYSTEM_PROMPT = PROMPT_TEMPLATE.format(assistant="Nova", company="Larkspur Goods")
"""The prompt when none is configured (the example company's)."""
GROUNDING = (
    "Answer only from the numbered passages of our help articles below. Cite each passage "
    "you use inline as [n], for example [1]. If the passages do not answer the question, say "
    "you are not sure and offer to connect the customer to a person.\n\n"
)
DEFAULT_CONFIDENCE = 0.6
"""What a reply without log-probabilities is worth: plausible, never auto-sent at 0.75."""
LOW_CONFIDENCE = 0.45
EARLIER_TURNS = 2
"""How many earlier customer messages join the last one in the knowledge search."""

_ROLES = {Author.CUSTOMER: "user", Author.AI: "assistant", Author.HUMAN: "assistant"}
_CITATION = re.compile(r"\[(\d{1,3})\]")


class BotUnavailable(RuntimeError):
    """The model endpoint failed: unreachable, timed out, an HTTP error or a reply we can't read.

    `retry_after` is the wait the endpoint asked for (a 429's or 503's Retry-After).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def cited_numbers(text: str) -> list[int]:
    """The `[n]` citations in a reply, in order of first appearance."""
    return list(dict.fromkeys(int(n) for n in _CITATION.findall(text)))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return min(60.0, max(0.0, float(value)))
    except ValueError:
        return None


def _refuses_logprobs(response: httpx.Response) -> bool:
    """A 400/422 that names the `logprobs` field: the server does not support it."""
    return response.status_code in (400, 422) and "logprob" in response.text.lower()


class OpenAICompatBot:
    """Drafts replies with a chat model behind an OpenAI-compatible HTTP API."""

    def __init__(
        self,
        settings: BotSettings,
        *,
        prompt: str | None = None,
        knowledge: KnowledgeRows | None = None,
        passages: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.identity = BotIdentity(name="openai-compat", model=settings.model)
        self.prompt = prompt or SYSTEM_PROMPT
        self.knowledge = knowledge
        self.passages = passages
        self.ask_logprobs = True
        """Cleared for good once the endpoint refuses the field or answers without it."""
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def search(self, history: Sequence[Turn], instruction: str | None = None) -> list[Passage]:
        """The passages the model is given for this turn (what `hitl kb search` shows)."""
        if self.knowledge is None:
            return []
        said = [t.text for t in history if t.author == Author.CUSTOMER]
        query = " ".join([*said[-1 - EARLIER_TURNS :], instruction or ""])
        return self.knowledge.search(query, self.passages)

    def build_messages(
        self,
        history: Sequence[Turn],
        instruction: str | None = None,
        passages: Sequence[Passage] | None = None,
    ) -> list[dict[str, str]]:
        """The chat messages: system prompt, numbered passages, then the delivered turns."""
        messages = [{"role": "system", "content": self.prompt}]
        if passages is not None and self.knowledge is not None:
            numbered = "\n\n".join(
                f"[{i}] {p.title}\n{p.text}" for i, p in enumerate(passages, start=1)
            )
            messages.append(
                {"role": "system", "content": GROUNDING + (numbered or "(no passages found)")}
            )
        # The AI disclosure (a system turn) is for the customer; the model has its own prompt.
        messages += [
            {"role": _ROLES[t.author], "content": t.text} for t in history if t.author in _ROLES
        ]
        if instruction and instruction.strip():
            messages.append(
                {
                    "role": "system",
                    "content": "A human reviewer rejected your previous draft and asks: "
                    + instruction.strip(),
                }
            )
        return messages

    async def draft(self, history: Sequence[Turn], instruction: str | None = None) -> BotReply:
        """Ask the model for the next reply; raises `BotUnavailable` if it can't answer."""
        passages = self.search(history, instruction)
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": self.build_messages(history, instruction, passages),
            "temperature": 0.2,
            "max_tokens": self.settings.max_tokens,
        }
        payload = await self._complete(body)
        return self._reply(payload, history, passages)

    def _http(self) -> httpx.AsyncClient:
        """One client per bot, so drafts reuse connections to the model (keep-alive)."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                base_url=self.settings.base_url.rstrip("/") + "/",
                timeout=self.settings.timeout_seconds,
                transport=self._transport,
                verify=tls_context(),  # one per process: a fresh one per draft costs ~15 ms
                limits=httpx.Limits(max_connections=self.settings.concurrency),
            )
        return self._client

    async def aclose(self) -> None:
        """Close the connections to the model (at shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _complete(self, body: dict[str, Any]) -> Any:
        headers = {}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        client = self._http()
        try:
            if self.ask_logprobs:
                response = await client.post(
                    "chat/completions", json={**body, "logprobs": True}, headers=headers
                )
                if _refuses_logprobs(response):
                    self.ask_logprobs = False
            if not self.ask_logprobs:
                response = await client.post("chat/completions", json=body, headers=headers)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise BotUnavailable(
                f"model endpoint answered {status}", retry_after=_retry_after(exc.response)
            ) from exc
        except httpx.TimeoutException as exc:
            raise BotUnavailable(
                f"model endpoint timed out after {self.settings.timeout_seconds:g}s"
            ) from exc
        except httpx.HTTPError as exc:
            raise BotUnavailable(f"model endpoint unreachable: {exc}") from exc
        except ValueError as exc:
            raise BotUnavailable("model endpoint sent a reply that is not JSON") from exc

    def _reply(
        self, payload: Any, history: Sequence[Turn], passages: Sequence[Passage]
    ) -> BotReply:
        """Turn a chat.completion object into a draft, or raise `BotUnavailable`."""
        try:
            choice = payload["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise BotUnavailable("model endpoint sent no choices[0].message.content") from exc
        if not isinstance(text, str) or not text.strip():
            raise BotUnavailable("model endpoint sent an empty reply")
        text = text.strip()

        confidence = _mean_token_probability(choice.get("logprobs"))
        if confidence is None:
            # A server that answers `logprobs: null` will not start sending them.
            self.ask_logprobs = False
            confidence = DEFAULT_CONFIDENCE
        usage = payload.get("usage") if isinstance(payload, dict) else None
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if not isinstance(tokens, int):
            tokens = len(text.split())

        said = [t.text for t in history if t.author == Author.CUSTOMER]
        flags = text_flags(said[-1] if said else "") | text_flags(text)
        if confidence < LOW_CONFIDENCE:
            flags.add(Flag.LOW_CONFIDENCE)
        model = payload.get("model") or self.settings.model
        rationale = f"model {model}, {tokens} tokens"
        sources: list[Source] = []
        if self.knowledge is not None:
            cited = cited_numbers(text)
            sources = [_source(passages[n - 1]) for n in cited if 1 <= n <= len(passages)]
            wrong = [n for n in cited if not 1 <= n <= len(passages)]
            if not cited or wrong:
                flags.add(Flag.UNGROUNDED)
            rationale += f", cited {len(sources)} of {len(passages)} passages"
            if wrong:
                rationale += f" (and [{'], ['.join(map(str, wrong))}], never offered)"
        return BotReply(
            text=text,
            confidence=round(confidence, 3),
            rationale=rationale,
            sources=sources,
            flags=flags,
        )


def _source(passage: Passage) -> Source:
    return Source(
        id=passage.article_id,
        title=passage.title,
        score=passage.score,
        url=passage.url,
        passage=passage.text,
    )


def _mean_token_probability(logprobs: Any) -> float | None:
    """The mean probability of the reply's tokens, when the endpoint returned log-probs."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if not isinstance(content, list) or not content:
        return None
    values = [t.get("logprob") for t in content if isinstance(t, dict)]
    probs = [math.exp(v) for v in values if isinstance(v, int | float) and v <= 0]
    return sum(probs) / len(probs) if probs else None
