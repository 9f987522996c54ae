"""The OpenAI-compatible bot against a stub that speaks the real chat.completions protocol."""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from backend.bots.base import Turn
from backend.bots.openai_compat import SYSTEM_PROMPT, BotUnavailable, OpenAICompatBot
from backend.settings import BotSettings
from backend_client import Author, Flag

REPLY = "Your parcel is on its way and should arrive within 2 business days."


def completion(model: str, content: str, logprobs: list[float] | None) -> dict[str, Any]:
    """A chat.completion object shaped like the ones OpenAI, Ollama and vLLM return."""
    choice: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": content, "refusal": None},
        "logprobs": None,
        "finish_reason": "stop",
    }
    if logprobs is not None:
        choice["logprobs"] = {
            "content": [
                {"token": f"t{i}", "logprob": lp, "bytes": [116], "top_logprobs": []}
                for i, lp in enumerate(logprobs)
            ],
            "refusal": None,
        }
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_714_000_000,
        "model": model,
        "system_fingerprint": "fp_stub",
        "choices": [choice],
        "usage": {"prompt_tokens": 57, "completion_tokens": 14, "total_tokens": 71},
    }


def make_stub() -> tuple[FastAPI, list[dict[str, Any]]]:
    """A model endpoint whose behaviour depends on the model asked for; it records requests."""
    app = FastAPI()
    seen: list[dict[str, Any]] = []

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body = await request.json()
        seen.append({"body": body, "authorization": request.headers.get("authorization")})
        model = body["model"]
        if model == "broken":
            return JSONResponse({"error": {"message": "model crashed"}}, status_code=500)
        if model == "not-json":
            return PlainTextResponse("<html>Bad Gateway</html>")
        if model == "no-choices":
            return JSONResponse({"id": "x", "object": "chat.completion", "choices": []})
        if model == "slow":
            await asyncio.sleep(2)
        if model == "no-logprobs":
            return JSONResponse(completion(model, REPLY, None))
        if model == "unsure":
            return JSONResponse(completion(model, REPLY, [-1.5, -2.0, -0.9]))
        if model == "leaky":
            text = "Sure! Your refund goes to card 4111 1111 1111 1111."
            return JSONResponse(completion(model, text, [-0.01]))
        return JSONResponse(completion(model, REPLY, [-0.01, -0.05, -0.2, 0.0]))

    return app, seen


HISTORY = [
    Turn(Author.SYSTEM, "Hi, I'm Nova, an AI assistant. Write 'human' for a person."),
    Turn(Author.CUSTOMER, "hello, where is my parcel?"),
    Turn(Author.AI, "Could you tell me your order number?"),
    Turn(Author.CUSTOMER, "LG-2024-001234"),
    Turn(Author.HUMAN, "Thanks, let me check."),
    Turn(Author.CUSTOMER, "ok, my email is jo@example.com"),
]


def bot_for(
    model: str = "stub-model", api_key: str | None = "sk-test"
) -> tuple[OpenAICompatBot, list[dict[str, Any]]]:
    app, seen = make_stub()
    settings = BotSettings(
        kind="openai", base_url="http://stub/v1", model=model, api_key=api_key, timeout_seconds=5
    )
    return OpenAICompatBot(settings, transport=httpx.ASGITransport(app=app)), seen


async def test_request_speaks_the_chat_completions_protocol() -> None:
    bot, seen = bot_for()
    await bot.draft(HISTORY)
    [request] = seen
    body = request["body"]
    assert request["authorization"] == "Bearer sk-test"
    assert body["model"] == "stub-model"
    assert body["logprobs"] is True
    messages = body["messages"]
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert "Larkspur Goods" in messages[0]["content"]
    # The disclosure is skipped; customers are users, AI and human replies are the assistant.
    assert [(m["role"], m["content"]) for m in messages[1:]] == [
        ("user", "hello, where is my parcel?"),
        ("assistant", "Could you tell me your order number?"),
        ("user", "LG-2024-001234"),
        ("assistant", "Thanks, let me check."),
        ("user", "ok, my email is jo@example.com"),
    ]


async def test_no_api_key_sends_no_authorization() -> None:
    bot, seen = bot_for(api_key=None)
    await bot.draft(HISTORY)
    assert seen[0]["authorization"] is None


async def test_regenerate_instruction_reaches_the_model() -> None:
    bot, seen = bot_for()
    await bot.draft(HISTORY, instruction="Apologise for the delay")
    last = seen[0]["body"]["messages"][-1]
    assert last["role"] == "system"
    assert last["content"].endswith("Apologise for the delay")


async def test_reply_carries_text_confidence_from_logprobs_and_rationale() -> None:
    bot, _ = bot_for()
    reply = await bot.draft(HISTORY)
    assert reply.text == REPLY
    expected = sum(math.exp(lp) for lp in [-0.01, -0.05, -0.2, 0.0]) / 4
    assert reply.confidence == pytest.approx(expected, abs=1e-3)
    assert reply.rationale == "model stub-model, 14 tokens"
    assert reply.sources == []
    # The customer's last message holds an email address.
    assert reply.flags == {Flag.PII}
    assert bot.identity.model == "stub-model"


async def test_without_logprobs_confidence_is_a_middling_default() -> None:
    bot, _ = bot_for("no-logprobs")
    reply = await bot.draft(HISTORY)
    assert reply.confidence == 0.6
    assert Flag.LOW_CONFIDENCE not in reply.flags


async def test_unsure_model_is_flagged_low_confidence() -> None:
    bot, _ = bot_for("unsure")
    reply = await bot.draft(HISTORY)
    assert reply.confidence < 0.45
    assert Flag.LOW_CONFIDENCE in reply.flags


async def test_flags_come_from_the_model_reply_too() -> None:
    bot, _ = bot_for("leaky")
    reply = await bot.draft([Turn(Author.CUSTOMER, "where is my parcel?")])
    assert {Flag.PII, Flag.REFUND} <= reply.flags


@pytest.mark.parametrize("model", ["broken", "not-json", "no-choices"])
async def test_endpoint_failures_raise_bot_unavailable(model: str) -> None:
    bot, _ = bot_for(model)
    with pytest.raises(BotUnavailable):
        await bot.draft(HISTORY)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def loopback_stub() -> Iterator[str]:
    """The stub served by uvicorn on 127.0.0.1, for what ASGITransport can't show: timeouts."""
    app, _ = make_stub()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("stub server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    server.force_exit = True  # the slow model's request may still be open: cut it
    thread.join(timeout=5)


async def test_over_loopback_http(loopback_stub: str) -> None:
    bot = OpenAICompatBot(BotSettings(kind="openai", base_url=loopback_stub, model="m"))
    reply = await bot.draft(HISTORY)
    assert reply.text == REPLY


async def test_slow_endpoint_times_out(loopback_stub: str) -> None:
    settings = BotSettings(kind="openai", base_url=loopback_stub, model="slow", timeout_seconds=0.2)
    with pytest.raises(BotUnavailable, match="timed out"):
        await OpenAICompatBot(settings).draft(HISTORY)


async def test_unreachable_endpoint_raises_bot_unavailable() -> None:
    settings = BotSettings(kind="openai", base_url=f"http://127.0.0.1:{_free_port()}/v1")
    with pytest.raises(BotUnavailable, match="unreachable"):
        await OpenAICompatBot(settings).draft(HISTORY)
