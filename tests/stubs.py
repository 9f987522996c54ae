"""Stubs of outside services for tests, speaking their real protocol over HTTP on loopback.

`ModelStub` is an OpenAI-compatible chat-completions server: each request gets
the next scripted `Turn` (or the default), so a test can make the model slow,
fail with 500 or 429 + Retry-After, refuse `logprobs`, answer `logprobs: null`,
send an empty or malformed reply, or cite passages right and wrong.

`ChatwootStub` is Chatwoot as its agent bot sees it: signed webhooks out, REST calls in.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from hitl.embedded import free_port
from tests.helpers import Received, Receiver

Reply = str | Callable[[dict[str, Any]], str]
"""The reply text, or a function of the request body that writes it."""


@dataclass
class Turn:
    """How the stub answers one request."""

    reply: Reply = "Thanks for asking [1]."
    latency: float = 0.0
    status: int = 200
    retry_after: float | None = None
    logprobs: list[float] | None = None
    """Token log-probabilities to send; None answers `logprobs: null`."""
    refuse_logprobs: bool = False
    """Answer 400 naming the field when the request asks for `logprobs`, like some servers."""
    raw: str | None = None
    """Send this body as it is (not JSON, or JSON without choices)."""


def offered(body: dict[str, Any]) -> int:
    """How many numbered passages the request's prompt offered the model."""
    text = "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")
    return len(re.findall(r"^\[(\d+)\] ", text, re.MULTILINE))


def completion(model: str, content: str, logprobs: list[float] | None) -> dict[str, Any]:
    """A chat.completion object shaped like the ones OpenAI, Ollama and vLLM return."""
    lp = None
    if logprobs is not None:
        lp = {
            "content": [
                {"token": f"t{i}", "logprob": v, "bytes": [116], "top_logprobs": []}
                for i, v in enumerate(logprobs)
            ],
            "refusal": None,
        }
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1_714_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": lp,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 50, "completion_tokens": 12, "total_tokens": 62},
    }


class ModelStub:
    """An OpenAI-compatible model server on 127.0.0.1, scripted turn by turn."""

    def __init__(self, default: Turn | None = None) -> None:
        self.default = default or Turn()
        self.script: deque[Turn] = deque()
        self.requests: list[dict[str, Any]] = []
        """Every request body, in order of arrival."""
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._chat)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def then(self, *turns: Turn) -> ModelStub:
        """Answer the next requests with `turns`, in order, then the default again."""
        self.script.extend(turns)
        return self

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        turn = self.script.popleft() if self.script else self.default
        if turn.refuse_logprobs and "logprobs" in body:
            message = {"error": {"message": "Unrecognized request argument: logprobs"}}
            return JSONResponse(message, status_code=400)
        if turn.latency:
            await asyncio.sleep(turn.latency)
        if turn.status != 200:
            headers = {}
            if turn.retry_after is not None:
                headers["Retry-After"] = f"{turn.retry_after:g}"
            return JSONResponse(
                {"error": {"message": "stub failure"}}, status_code=turn.status, headers=headers
            )
        if turn.raw is not None:
            return PlainTextResponse(turn.raw)
        text = turn.reply(body) if callable(turn.reply) else turn.reply
        return JSONResponse(completion(body["model"], text, turn.logprobs))

    def start(self) -> ModelStub:
        """Serve until `stop()`."""
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the model stub did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving, cutting requests still waiting on latency."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


class ChatwootStub:
    """Chatwoot as the agent bot sees it, on loopback: it signs and sends agent-bot webhooks
    the way Chatwoot does, and takes the REST calls hitl makes back (`requests`).

    Set `status` to 503 to play "Chatwoot is down" (calls are then refused, not recorded).
    """

    def __init__(self, secret: str, account_id: int = 1) -> None:
        self.secret = secret
        self.account_id = account_id
        self.receiver = Receiver()
        self.url = self.receiver.url
        self._deliveries = itertools.count(1)
        self._messages = itertools.count(1000)

    def __enter__(self) -> ChatwootStub:
        self.receiver.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.receiver.__exit__(*exc)

    @property
    def status(self) -> int:
        """What the REST API answers."""
        return self.receiver.status

    @status.setter
    def status(self, value: int) -> None:
        self.receiver.status = value

    @property
    def requests(self) -> list[Received]:
        """Every REST call Chatwoot took, in order."""
        return self.receiver.requests

    def posted(self, conversation: int, *, private: bool | None = False) -> list[str]:
        """The texts posted into a conversation (public ones by default; None: all)."""
        path = f"/api/v1/accounts/{self.account_id}/conversations/{conversation}/messages"
        return [
            r.json()["content"]
            for r in self.requests
            if r.path == path and (private is None or r.json()["private"] is private)
        ]

    def toggles(self, conversation: int) -> list[str]:
        """The statuses hitl set on a conversation, in order."""
        path = f"/api/v1/accounts/{self.account_id}/conversations/{conversation}/toggle_status"
        return [r.json()["status"] for r in self.requests if r.path == path]

    def message_created(
        self,
        conversation: int,
        content: str,
        *,
        message_type: str | int = "incoming",
        private: bool = False,
        status: str = "pending",
        sender_type: str = "contact",
        name: str = "Jo Customer",
        email: str | None = "jo@example.com",
    ) -> dict[str, Any]:
        """A `message_created` agent-bot event, shaped like Chatwoot's `Message#webhook_data`."""
        sender = {
            "id": 7,
            "name": name,
            "email": email,
            "phone_number": None,
            "thumbnail": "",
            "type": sender_type,
            "additional_attributes": {},
            "custom_attributes": {},
        }
        return {
            "event": "message_created",
            "id": next(self._messages),
            "content": content,
            "content_type": "text",
            "content_attributes": {},
            "created_at": "2026-01-05T09:00:00.000Z",
            "message_type": message_type,
            "private": private,
            "source_id": None,
            "additional_attributes": {},
            "sender": sender,
            "account": {"id": self.account_id, "name": "Larkspur Goods"},
            "inbox": {"id": 3, "name": "Website"},
            "conversation": {
                "id": conversation,
                "inbox_id": 3,
                "status": status,
                "channel": "Channel::WebWidget",
                "can_reply": True,
                "additional_attributes": {"browser_language": "en"},
                "contact_inbox": {"contact_id": 7, "inbox_id": 3, "source_id": "abc"},
                "meta": {"sender": sender, "assignee": None, "team": None},
                "labels": [],
                "unread_count": 1,
                "timestamp": 1_767_603_600,
            },
        }

    def conversation_resolved(self, conversation: int) -> dict[str, Any]:
        """A `conversation_resolved` agent-bot event, shaped like Chatwoot's
        `Conversation#webhook_data` (the event data, then its own `id` and `account_id`)."""
        return {
            "event": "conversation_resolved",
            "id": conversation,
            "account_id": self.account_id,
            "inbox_id": 3,
            "status": "resolved",
            "channel": "Channel::WebWidget",
            "can_reply": True,
            "additional_attributes": {"browser_language": "en"},
            "meta": {"sender": {"id": 7, "name": "Jo Customer", "type": "contact"}},
            "messages": [],
            "labels": [],
            "timestamp": 1_767_603_600,
        }

    def signed(
        self,
        payload: dict[str, Any],
        *,
        at: float | None = None,
        delivery: str | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers Chatwoot sends: `sha256=` HMAC of `<timestamp>.<body>`."""
        body = json.dumps(payload).encode()
        stamp = str(int(time.time() if at is None else at))
        key = (secret or self.secret).encode()
        digest = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return body, {
            "Content-Type": "application/json",
            "X-Chatwoot-Signature": f"sha256={digest}",
            "X-Chatwoot-Timestamp": stamp,
            "X-Chatwoot-Delivery": delivery or f"delivery-{next(self._deliveries)}",
        }

    async def send(
        self,
        hitl: httpx.AsyncClient,
        payload: dict[str, Any],
        **signing: Any,
    ) -> httpx.Response:
        """POST a signed event to hitl's webhook (`hitl` knows hitl's address)."""
        body, headers = self.signed(payload, **signing)
        return await hitl.post("/v1/integrations/chatwoot/webhook", content=body, headers=headers)
