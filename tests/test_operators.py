"""The operator directory: people are shown by name, not by id."""

from __future__ import annotations

from pathlib import Path

import httpx

from backend_client import ReasonCode
from console.app import make_app
from console.config import ConsoleConfig
from tests.console_helpers import shown
from tests.helpers import SEED_OPERATORS, Backend, eventually


async def test_every_role_can_read_the_directory_but_never_a_token(backend: Backend) -> None:
    async with backend.client("tina") as trainer:
        operators = await trainer.operators()
    assert {(op.name, op.role.value) for op in operators} == {
        (name, role.value) for name, role in SEED_OPERATORS.items()
    }
    assert {op.id for op in operators} == set(backend.operator_ids.values())
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.url) as raw:
        response = await raw.get(
            "/v1/operators", headers={"Authorization": f"Bearer {backend.tokens['tina']}"}
        )
    assert "token" not in response.text
    assert all(token not in response.text for token in backend.tokens.values())


async def test_the_queue_names_who_holds_a_conversation(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("I want to talk to a real person", name="Jo Holder")
    async with live_backend.client("bob") as bob:
        detail = await bob.get_conversation(chat.id)
        await bob.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["sam"], config_path=tmp_path / "no.toml"
    )
    app = make_app(config)
    async with app.run_test(size=(140, 40)) as pilot:

        async def bob_is_named() -> bool:
            await pilot.pause()
            row = next((line for line in shown(app).splitlines() if "Jo Holder" in line), "")
            return "bob" in row

        await eventually(bob_is_named, timeout=10)
        assert live_backend.operator_ids["bob"] not in shown(app)
