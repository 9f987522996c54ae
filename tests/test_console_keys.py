"""Keys a person expects to work on the home screen."""

from __future__ import annotations

from pathlib import Path

from console.app import make_app
from console.config import ConsoleConfig
from tests.helpers import Backend


async def test_q_on_the_queue_quits(live_backend: Backend, tmp_path: Path) -> None:
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["sam"], config_path=tmp_path / "no.toml"
    )
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
