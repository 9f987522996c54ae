"""The customer simulator: its scenarios, and runs against a fake and the real backend."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.settings import ReviewSettings, Settings
from backend_client import ReviewMode
from hitl.simulator import KINDS, SimulationStats, engine, load_scenarios, report, run_cli, simulate
from hitl.simulator.scenarios import scenario_from

ESC = "\x1b"


# -- the scenario file ---------------------------------------------------------


def test_scenarios_cover_every_kind() -> None:
    scenarios = load_scenarios()
    kinds = Counter(s.kind for s in scenarios)

    assert len(scenarios) >= 40
    assert set(kinds) == set(KINDS)
    assert kinds["question"] >= 12
    assert len({s.name for s in scenarios}) == len(scenarios), "names are unique"
    assert all(1 <= len(s.turns) <= 4 for s in scenarios)


def test_hostile_texts_survive_json_decoding() -> None:
    """The escapes in the file must decode to real control characters, or the
    scenarios would test nothing."""
    hostile = [s for s in load_scenarios() if s.kind == "hostile_text"]
    texts = [turn for s in hostile for turn in s.turns]
    joined = "\n".join(texts)

    assert "[bold red]URGENT[/]" in joined
    assert "[link=https://evil.example]click[/link]" in joined
    for sequence in (
        f"{ESC}]0;PWNED\x07",
        f"{ESC}[2J",
        f"{ESC}]52;c;aGFja2Vk\x07",
        "\x9b31m",
        "\u202e",
    ):
        assert sequence in joined, repr(sequence)
    assert "\\u001b" not in joined, "escapes were double-encoded"
    names = [s.customer.name for s in hostile]
    assert any(ESC in name for name in names)
    assert any("[" in name and "[/" in name for name in names)


def test_kinds_carry_what_they_promise() -> None:
    by_kind: dict[str, str] = {}
    for s in load_scenarios():
        by_kind[s.kind] = by_kind.get(s.kind, "") + "\n" + "\n".join(s.turns).lower()

    assert "4111 1111 1111 1111" in by_kind["pii"]
    assert "+44 20 7946 0958" in by_kind["pii"]
    assert "de89 3704 0044 0532 0130 00" in by_kind["pii"]
    assert "ignore all previous instructions" in by_kind["injection"]
    assert "court" in by_kind["legal"]
    assert "gdpr" in by_kind["data"]
    assert "ridiculous" in by_kind["angry"] and "worst service" in by_kind["angry"]
    for phrase in ("human", "real person", "agent", "representative", "someone real"):
        assert phrase in by_kind["human"], phrase


def test_a_malformed_scenario_is_named() -> None:
    with pytest.raises(ValueError, match="'broken'"):
        scenario_from(
            {"name": "broken", "kind": "question", "customer": {"name": "A"}, "turns": []}
        )


# -- against a fake channel ----------------------------------------------------


class FakeChannel:
    """Just enough of the customer channel: a disclosure first, and an instant
    reply to every customer message (as if a human approved at once)."""

    def __init__(self, *, reply: bool = True, ignore_after: bool = False) -> None:
        self.reply = reply
        self.ignore_after = ignore_after
        self.chats: dict[str, list[dict[str, object]]] = {}
        self.customers: list[dict[str, object]] = []
        self.ids = itertools.count(1)

    def _message(self, chat: str, author: str, text: str) -> dict[str, object]:
        message: dict[str, object] = {
            "id": f"m{next(self.ids):06d}",
            "conversation_id": chat,
            "author": author,
            "text": text,
            "created_at": datetime.now(UTC).isoformat(),
        }
        self.chats[chat].append(message)
        return message

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if request.method == "POST" and len(parts) == 3:
            chat = f"c{len(self.chats) + 1}"
            self.chats[chat] = []
            self.customers.append(json.loads(request.content)["customer"])
            self._message(chat, "system", "Hi, I'm an AI. Write 'human' for a person.")
            return httpx.Response(201, json={"id": chat, "customer_token": f"t-{chat}"})
        chat = parts[3]
        assert request.headers["authorization"] == f"Bearer t-{chat}"
        if request.method == "POST":
            said = self._message(chat, "customer", json.loads(request.content)["text"])
            if self.reply:
                self._message(chat, "ai", "Thanks, let me look into that.")
            return httpx.Response(201, json=said)
        after = None if self.ignore_after else request.url.params.get("after")
        items = [m for m in self.chats[chat] if after is None or str(m["id"]) > after]
        return httpx.Response(200, json={"items": items})


async def test_customers_say_their_turns_and_see_replies() -> None:
    fake = FakeChannel(ignore_after=True)
    reports: list[float] = []

    stats = await simulate(
        "http://fake",
        transport=httpx.MockTransport(fake.handle),
        chats=8,
        customers=3,
        rate=1000,
        turn_delay=(0, 0),
        on_progress=lambda s: reports.append(s.elapsed),
    )

    said = sum(1 for chat in fake.chats.values() for m in chat if m["author"] == "customer")
    assert stats.chats_started == stats.chats_finished == 8
    assert stats.messages_sent == said
    assert stats.replies_seen == said, "each reply counted once even without `after`"
    assert stats.chats_greeted == stats.chats_answered == 8
    assert len(stats.first_reply_latencies) == 8
    assert sum(stats.by_kind.values()) == 8
    assert not stats.errors
    assert reports and reports[-1] == stats.elapsed


async def test_the_seed_decides_the_scenarios() -> None:
    async def kinds(seed: int) -> list[str]:
        fake = FakeChannel()
        await simulate(
            "http://fake",
            transport=httpx.MockTransport(fake.handle),
            chats=12,
            customers=1,
            rate=1000,
            turn_delay=(0, 0),
            seed=seed,
        )
        return [str(c["name"]) for c in fake.customers]

    assert await kinds(7) == await kinds(7)
    assert await kinds(7) != await kinds(8)


async def test_a_duration_ends_a_run_without_a_chat_limit() -> None:
    fake = FakeChannel(reply=False)

    stats = await simulate(
        "http://fake",
        transport=httpx.MockTransport(fake.handle),
        duration=0.5,
        customers=2,
        rate=20,
        turn_delay=(0.05, 0.1),
        reply_wait=10,
    )

    assert 0.5 <= stats.elapsed < 2
    assert 1 <= stats.chats_started <= 12
    assert stats.replies_seen == 0 and not stats.first_reply_latencies
    assert not stats.errors


async def test_backend_errors_are_counted_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "BACKOFF_FIRST", 0.0)
    calls = Counter[str]()

    def flaky(request: httpx.Request) -> httpx.Response:
        calls[request.method] += 1
        if calls["POST"] % 3 == 0:
            raise httpx.ConnectError("connection refused", request=request)
        if calls["POST"] % 3 == 1:
            return httpx.Response(
                500,
                json={"title": "Internal Server Error", "status": 500},
                headers={"content-type": "application/problem+json"},
            )
        return FakeChannel.handle(fake, request)

    fake = FakeChannel()
    stats = await simulate(
        "http://fake",
        transport=httpx.MockTransport(flaky),
        chats=6,
        customers=2,
        rate=1000,
        turn_delay=(0, 0),
    )

    assert stats.errors["ProblemError"] >= 1
    assert stats.errors["ConnectionLostError"] >= 1
    assert stats.requests_ok > 0 and not stats.all_failed


async def test_an_unreachable_backend_gives_up_each_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "BACKOFF_FIRST", 0.0)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    stats = await simulate(
        "http://fake",
        transport=httpx.MockTransport(refuse),
        chats=3,
        rate=1000,
        turn_delay=(0, 0),
    )

    assert stats.chats_started == 0
    assert stats.errors == Counter({"ConnectionLostError": 3 * (engine.CONNECT_RETRIES + 1)})
    assert stats.all_failed


def test_cli_names_the_url_it_cannot_reach(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(engine, "BACKOFF_FIRST", 0.0)
    url = "http://127.0.0.1:9"  # the discard port: nothing listens there

    code = run_cli(url, customers=2, rate=50, duration=None, chats=None, seed=0)

    out, err = capsys.readouterr()
    assert code == 1
    assert f"cannot reach the hitl backend at {url}" in err
    assert "ConnectionLostError" in out


def test_summary_shows_latencies_and_errors_without_interpreting_them() -> None:
    stats = SimulationStats(chats_started=3, first_reply_latencies=[1.0, 2.0, 3.0, 10.0])
    stats.errors["ProblemError"] = 2
    stats.last_error["ProblemError"] = f"bad [bold]text[/] {ESC}[2J"
    stats.by_kind["human"] = 3

    from rich.console import Console

    console = Console(width=120, record=True, force_terminal=False)
    console.print(report._summary(stats, interrupted=True))
    text = console.export_text()

    assert "simulation (stopped)" in text
    assert "2.5 s" in text and "p90" in text
    assert report._latency([0.0123, 0.02], 0.5) == "16 ms"
    assert "[bold]text[/]" in text, "markup shown as typed"
    assert ESC not in text


# -- against the real backend, in process --------------------------------------


async def run_against_backend(settings: Settings, **options: Any) -> SimulationStats:
    app = create_app(settings)
    # Run the app's startup and shutdown too, as a server would.
    async with app.router.lifespan_context(app):
        return await simulate(
            "http://testserver",
            transport=httpx.ASGITransport(app=app),
            rate=100,
            turn_delay=(0, 0),
            **options,
        )


async def test_simulated_customers_against_the_real_backend() -> None:
    stats = await run_against_backend(Settings(db_path=":memory:"), chats=5, customers=5)

    assert stats.errors == Counter(), stats.last_error
    # A chat only counts as finished once its customer said every turn.
    assert stats.chats_started == stats.chats_finished == 5
    assert stats.messages_sent >= 5
    assert stats.chats_greeted == 5, "every customer saw the AI disclosure first"
    # Review mode `all` and no operator: no AI text may reach anyone.
    assert stats.replies_seen == 0


async def test_replies_are_counted_when_the_backend_sends_them() -> None:
    settings = Settings(db_path=":memory:", review=ReviewSettings(mode=ReviewMode.OFF))

    # One customer at a time: this is about counting replies, not about load.
    stats = await run_against_backend(settings, chats=6, customers=1, reply_wait=0.5)

    assert stats.errors == Counter(), stats.last_error
    assert stats.replies_seen >= 1
    assert len(stats.first_reply_latencies) == stats.chats_answered >= 1
