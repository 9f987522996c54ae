"""Kill -9 between a keyed decision's effect and its Idempotency-Key record (issue 14.4).

A process applies a keyed approval and dies at an exact SQL statement: when
the key's record is about to be written, or just after. However it dies, the
retry with the same key gets the decision's own answer (never a 409 saying it
was already decided by the same person) and the journal holds it once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.domain.journal import verify_chain
from backend.settings import Settings
from tests.helpers import BASE, Backend, pending_draft, seed_operators

CRASHING_APPROVAL = textwrap.dedent(
    """
    import asyncio, os, sys
    import httpx
    from backend.app import create_app
    from backend.settings import Settings

    db, token, draft, version, die_at = sys.argv[1:6]
    app = create_app(Settings(db_path=db, secret="test-secret"))
    seen = []

    def trace(sql):
        seen.append(sql)
        # Die (like kill -9: no cleanup, no commit) at the chosen statement.
        if die_at == "record" and sql.lstrip().startswith("INSERT INTO idempotency"):
            os._exit(9)
        if die_at == "after-record" and any(
            s.lstrip().startswith("INSERT INTO idempotency") for s in seen[:-1]
        ):
            os._exit(9)

    app.state.store.db.conn.set_trace_callback(trace)

    async def main():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
                await http.post(
                    f"/v1/drafts/{draft}/approve",
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k1",
                             "If-Match": f'"{version}"'},
                )
    asyncio.run(main())
    sys.exit(3)  # reaching here means the process was not killed
    """
)


@pytest.mark.parametrize("die_at", ["record", "after-record"])
async def test_a_retry_after_a_crash_between_effect_and_key_is_the_first_answer(
    settings: Settings, die_at: str
) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app=app, url=BASE, transport=httpx.ASGITransport(app)))
        chat = await backend.chat("Where is my parcel?")
        draft = await pending_draft(backend, chat)
    app.state.store.close()

    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_APPROVAL,
            str(settings.db_path),
            backend.tokens["alice"],
            draft.id,
            str(draft.version),
            die_at,
        ],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        timeout=30,
    )
    assert crashed.returncode == 9, crashed.stderr.decode()

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as http:
            retry = await http.post(
                f"/v1/drafts/{draft.id}/approve",
                headers={
                    "Authorization": f"Bearer {backend.tokens['alice']}",
                    "Idempotency-Key": "k1",
                    "If-Match": f'"{draft.version}"',
                },
            )
            assert retry.status_code == 200, retry.text
            entries = app.state.store.list_audit(limit=100).items
        approvals = [e for e in entries if e.action == "approve" and e.draft_id == draft.id]
        assert len(approvals) == 1
        assert verify_chain(app.state.store.audit_rows(), settings.secret or "").ok
    app.state.store.close()
