"""Metrics end to end: real decisions on the loopback backend, read on the supervisor's screen."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Digits, Sparkline, Static

from backend_client import ConnectionState, ReasonCode
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.screens.metrics import MetricsScreen
from tests.helpers import Backend, until

SIZE = (160, 45)
QUESTION = "How long does shipping take?"


async def decisions(backend: Backend) -> None:
    """Four drafts: one approved at once, edited for tone, rejected for policy, edited for tone."""
    outcomes = ["approve", ReasonCode.TONE, ReasonCode.POLICY, ReasonCode.TONE]
    async with backend.client("alice") as alice:
        for index, outcome in enumerate(outcomes):
            chat = await backend.chat(QUESTION, name=f"Customer {index}")
            draft = (await alice.get_conversation(chat.id)).draft
            assert draft is not None
            if outcome == "approve":
                await alice.approve(draft.id, draft.version)
            elif outcome is ReasonCode.POLICY:
                await alice.reject(draft.id, draft.version, outcome)
            else:
                await alice.edit(draft.id, draft.version, "Three to five days.", ReasonCode.TONE)


def config_for(backend: Backend, who: str, tmp_path: Path) -> ConsoleConfig:
    """A console config for one of the seeded operators."""
    return ConsoleConfig(
        url=backend.url, token=backend.tokens[who], config_path=tmp_path / "absent.toml"
    )


async def opened(pilot: Pilot[None]) -> MetricsScreen:
    """The app signed in, with the metrics opened by its key (f8)."""
    app = pilot.app
    assert isinstance(app, HitlApp)
    await until(pilot, lambda: app.me is not None and app.connection is ConnectionState.LIVE)
    await pilot.press("f8")
    await until(pilot, lambda: isinstance(app.screen, MetricsScreen))
    assert isinstance(app.screen, MetricsScreen)
    return app.screen


def text_of(screen: MetricsScreen, selector: str) -> str:
    """What a Static shows, as plain text (tables rendered to lines)."""
    widget = screen.query_one(selector, Static)
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height)) or str(
        widget.visual
    )


async def test_supervisor_sees_override_rate_and_reasons(
    live_backend: Backend, tmp_path: Path
) -> None:
    await decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: screen.metrics is not None)
        await pilot.pause()
        assert screen.query_one("#metrics-rate", Digits).value == "75"
        assert "(3 of 4)" in text_of(screen, "#metrics-rate-label")

        by_reason = text_of(screen, "#metrics-by-reason")
        assert "Overrides by reason" in by_reason
        tone = next(line for line in by_reason.splitlines() if "tone" in line)
        policy = next(line for line in by_reason.splitlines() if "policy" in line)
        assert "2/4" in tone and "50%" in tone
        assert "1/4" in policy and "25%" in policy
        assert by_reason.index("tone") < by_reason.index("policy")

        by_operator = text_of(screen, "#metrics-by-operator")
        assert "alice" in by_operator and "3/4" in by_operator

        # Every decision happened just now: the last minute of the sparkline holds them.
        spark = screen.query_one(Sparkline)
        assert spark.data is not None and spark.data[-1] == 4
        assert "median" in text_of(screen, "#metrics-times")

        # The approval was made by a test within a second of the draft: a fast approval.
        fast = screen.query_one("#metrics-fast", Static)
        assert fast.has_class("-warning")
        assert "GDPR art. 22" in text_of(screen, "#metrics-fast")

        # r fetches again: a new decision shows up.
        async with live_backend.client("alice") as alice:
            chat = await live_backend.chat(QUESTION, name="Late One")
            draft = (await alice.get_conversation(chat.id)).draft
            assert draft is not None
            await alice.approve(draft.id, draft.version)
        await pilot.press("r")
        await until(pilot, lambda: screen.metrics is not None and screen.metrics.decisions == 5)
        assert screen.query_one("#metrics-rate", Digits).value == "60"


async def test_an_agent_sees_the_refusal(live_backend: Backend, tmp_path: Path) -> None:
    app = make_app(config_for(live_backend, "alice", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        # Issue 15: f8 is not offered to an agent and does nothing; opened anyway,
        # the screen shows the backend's refusal.
        await until(pilot, lambda: app.me is not None)
        await pilot.press("f8")
        await pilot.pause()
        assert not isinstance(app.screen, MetricsScreen)
        screen = MetricsScreen()
        await app.push_screen(screen)
        await until(pilot, lambda: screen.has_class("-refused"))
        refusal = str(screen.query_one("#metrics-refusal", Static).visual)
        assert refusal == "The metrics are for supervisors: the agent role may not read the metrics"
        assert not screen.query_one("#metrics-body").display
