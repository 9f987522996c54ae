"""Several real `hitl serve` processes on one PostgreSQL: one queue, one journal, one stream.

Each test starts real backend processes (`python -m hitl serve --db postgresql://…`)
on a database of its own and talks to them over HTTP, as a load balancer would
spread operators over them.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import httpx

from backend.store import connect
from backend_client import AsyncBackendClient, ChannelClient, ChatStarted
from tests import pg
from tests.helpers import Receiver, ServeProcess, streamed

ROOT = Path(__file__).resolve().parent.parent
OPERATORS = pg.AGENTS


async def _pending_drafts(url: str, token: str, chats: int) -> list[tuple[str, str, int]]:
    """(conversation, draft, version) of every pending draft, once `chats` have one."""
    async with AsyncBackendClient(url, token) as client:
        for _ in range(400):
            page = await client.list_conversations(status="awaiting_review", limit=200)
            if len(page.items) >= chats:
                found = []
                for summary in page.items:
                    detail = await client.get_conversation(summary.id)
                    if detail.draft is not None:
                        found.append((summary.id, detail.draft.id, detail.draft.version))
                if len(found) >= chats:
                    return found
            await asyncio.sleep(0.05)
    raise AssertionError("the drafts did not arrive")


async def _race(
    servers: list[ServeProcess], tokens: dict[str, str], drafts: list[tuple[str, str, int]]
) -> dict[str, list[int]]:
    """Every operator tries to approve every draft, each through a random process."""
    outcomes: dict[str, list[int]] = {did: [] for _, did, _ in drafts}
    clients = [
        httpx.AsyncClient(
            base_url=random.choice(servers).url,
            headers={"Authorization": f"Bearer {tokens[f'agent{i}']}"},
            timeout=30,
        )
        for i in range(OPERATORS)
    ]

    async def one(client: httpx.AsyncClient, did: str, version: int) -> None:
        try:
            response = await client.post(
                f"/v1/drafts/{did}/approve", headers={"If-Match": f'"{version}"'}
            )
        except httpx.TransportError:
            return  # its process was killed under it: another operator's try counts
        outcomes[did].append(response.status_code)

    try:
        await asyncio.gather(*(one(c, did, v) for _, did, v in drafts for c in clients))
    finally:
        for client in clients:
            await client.aclose()
    return outcomes


def _start_chats(url: str, count: int) -> list[ChatStarted]:
    async def go() -> list[ChatStarted]:
        async with ChannelClient(url) as channel:
            started = []
            for i in range(count):
                chat = await channel.start_chat(f"Customer {i}")
                await channel.say(chat, "Where is my parcel?")
                started.append(chat)
            return started

    return asyncio.run(go())


def _journal_seqs(url: str, token: str) -> list[int]:
    async def go() -> list[int]:
        async with AsyncBackendClient(url, token) as client:
            seqs, cursor = [], None
            while True:
                page = await client.list_audit(limit=200, cursor=cursor)
                seqs += [e.seq for e in page.items]
                if page.next_cursor is None:
                    return sorted(seqs)
                cursor = page.next_cursor

    return asyncio.run(go())


def test_twenty_operators_on_three_processes_each_draft_approved_once(
    three: list[ServeProcess], tokens: dict[str, str]
) -> None:
    a, b, c = three
    chats = _start_chats(a.url, 6)
    drafts = asyncio.run(_pending_drafts(b.url, tokens["sup"], len(chats)))

    outcomes = asyncio.run(_race(three, tokens, drafts))

    for did, codes in outcomes.items():
        assert codes.count(200) == 1, (did, codes)
        assert set(codes) <= {200, 409, 412}, codes
    seqs = _journal_seqs(c.url, tokens["sup"])
    assert seqs == list(range(1, len(seqs) + 1))  # one chain, no gaps
    verified = httpx.get(
        c.url + "/v1/audit/verify", headers={"Authorization": f"Bearer {tokens['sup']}"}
    ).json()
    assert verified["ok"] is True and verified["entries"] == len(seqs)

    async def replies() -> list[int]:
        async with ChannelClient(a.url) as channel:
            counts = []
            for chat in chats:
                messages = await channel.messages(chat)
                counts.append(sum(1 for m in messages if m.author.value == "ai"))
            return counts

    assert asyncio.run(replies()) == [1] * len(chats)  # each customer got exactly one reply


def test_decisions_side_by_side_reach_every_stream_of_every_process_in_order_once(
    pg_url: str, three: list[ServeProcess], tokens: dict[str, str]
) -> None:
    """Decisions on different conversations commit at once on different processes; every
    stream still gets exactly the table's events, in id order, none twice, none skipped."""
    chats = _start_chats(three[0].url, 12)
    drafts = asyncio.run(_pending_drafts(three[1].url, tokens["sup"], len(chats)))
    store = connect(pg_url)
    try:
        start = store.event_bounds()[1]

        async def decide(i: int, did: str, version: int) -> int:
            server = three[i % len(three)]
            headers = {"Authorization": f"Bearer {tokens[f'agent{i}']}", "If-Match": f'"{version}"'}
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                return (await client.post(f"/v1/drafts/{did}/approve", headers=headers)).status_code

        async def decisions() -> list[int]:
            return list(
                await asyncio.gather(
                    *(decide(i, did, version) for i, (_, did, version) in enumerate(drafts))
                )
            )

        urls = [server.url for server in three]
        codes, newest, seen = asyncio.run(
            streamed(urls, tokens["sup"], start, decisions(), lambda: store.event_bounds()[1])
        )
        assert codes == [200] * len(drafts)
        table = [e.id for e in store.events_after(start, 10_000) if e.id <= newest]
    finally:
        store.close()
    assert len(table) >= 4 * len(drafts)
    for ids in seen:
        assert ids == table


def test_a_decision_on_one_process_reaches_a_stream_on_another_and_resumes_on_a_third(
    three: list[ServeProcess], tokens: dict[str, str]
) -> None:
    a, b, c = three
    headers = {"Authorization": f"Bearer {tokens['sup']}"}
    _start_chats(a.url, 1)
    [(cid, did, version)] = asyncio.run(_pending_drafts(a.url, tokens["sup"], 1))

    seen: list[dict[str, str]] = []
    with httpx.Client(base_url=a.url, headers=headers, timeout=30) as client:
        with client.stream("GET", "/v1/events") as stream:
            lines = stream.iter_lines()
            approve = httpx.post(
                f"{b.url}/v1/drafts/{did}/approve",
                headers={"Authorization": f"Bearer {tokens['agent0']}", "If-Match": f'"{version}"'},
            )
            assert approve.status_code == 200
            event: dict[str, str] = {}
            for line in lines:
                if not line:
                    if event.get("event") == "draft.decided":
                        seen.append(event)
                        break
                    event = {}
                    continue
                name, _, value = line.partition(":")
                event[name] = value.strip()
    assert json.loads(seen[0]["data"])["data"]["id"] == did
    decided_at = int(seen[0]["id"])

    # Process C resumes after it: it sends what came later (the message the customer got).
    httpx.post(f"{b.url}/v1/ai/pause", headers=headers, json={"reason": "resume test"})
    with httpx.Client(
        base_url=c.url, headers={**headers, "Last-Event-ID": str(decided_at)}, timeout=30
    ) as client:
        with client.stream("GET", "/v1/events") as stream:
            events: list[tuple[int, str]] = []  # (id, type) of every event with a type
            current: dict[str, str] = {}
            for line in stream.iter_lines():
                if line:
                    name, _, value = line.partition(":")
                    current[name] = value.strip()
                    continue
                if "event" in current:
                    events.append((int(current["id"]), current["event"]))
                current = {}
                if events and events[-1][1] == "ai.paused":
                    break
    ids = [i for i, _ in events]
    assert ids and min(ids) > decided_at  # nothing before the resume point
    assert ids == sorted(set(ids))  # in order, nothing twice
    assert "message.created" in {t for _, t in events}  # the reply the customer got


def test_killing_one_process_mid_storm_loses_nothing(
    three: list[ServeProcess], tokens: dict[str, str]
) -> None:
    a, b, c = three
    chats = _start_chats(a.url, 8)
    drafts = asyncio.run(_pending_drafts(a.url, tokens["sup"], len(chats)))

    async def storm() -> dict[str, list[int]]:
        racing = asyncio.create_task(_race(three, tokens, drafts))
        await asyncio.sleep(0.05)
        b.kill()
        return await racing

    outcomes = asyncio.run(storm())

    survivors = [a, c]
    headers = {"Authorization": f"Bearer {tokens['sup']}"}
    for _, did, version in drafts:
        if 200 not in outcomes[did]:
            # Its winner may have died with process B before answering: the survivors say.
            retry = httpx.post(
                f"{a.url}/v1/drafts/{did}/approve",
                headers={"Authorization": f"Bearer {tokens['agent1']}", "If-Match": f'"{version}"'},
            )
            assert retry.status_code in {200, 409, 412}
        assert outcomes[did].count(200) <= 1
    for server in survivors:
        summary = httpx.get(
            f"{server.url}/v1/conversations?status=awaiting_review", headers=headers
        ).json()
        assert summary["items"] == []  # every draft was decided, on either survivor's view
    seqs = _journal_seqs(c.url, tokens["sup"])
    assert seqs == list(range(1, len(seqs) + 1))
    assert httpx.get(f"{c.url}/v1/audit/verify", headers=headers).json()["ok"] is True


def test_one_idempotency_key_and_one_takeover_win_across_processes(
    three: list[ServeProcess], tokens: dict[str, str]
) -> None:
    a, b, c = three
    chats = _start_chats(a.url, 2)
    drafts = asyncio.run(_pending_drafts(a.url, tokens["sup"], len(chats)))
    (_, did, version), (other_cid, _, _) = sorted(drafts)
    agent = {"Authorization": f"Bearer {tokens['agent0']}"}

    async def same_key_everywhere() -> list[httpx.Response]:
        headers = {**agent, "Idempotency-Key": "approve-once", "If-Match": f'"{version}"'}
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(
                *(client.post(f"{s.url}/v1/drafts/{did}/approve", headers=headers) for s in three)
            )

    answers = asyncio.run(same_key_everywhere())
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert len({r.json()["version"] for r in answers}) == 1  # the first answer, three times

    async def everyone_takes_over() -> list[int]:
        detail = httpx.get(f"{a.url}/v1/conversations/{other_cid}", headers=agent).json()
        async with httpx.AsyncClient(timeout=30) as client:
            tries = [
                client.post(
                    f"{three[i % 3].url}/v1/conversations/{other_cid}/takeover",
                    headers={
                        "Authorization": f"Bearer {tokens[f'agent{i}']}",
                        "If-Match": f'"{detail["version"]}"',
                    },
                    json={"reason_code": "customer_request"},
                )
                for i in range(9)
            ]
            return [r.status_code for r in await asyncio.gather(*tries)]

    codes = asyncio.run(everyone_takes_over())
    assert codes.count(200) == 1, codes  # one holder, whichever process it asked

    sup = {"Authorization": f"Bearer {tokens['sup']}"}
    approvals = httpx.get(f"{c.url}/v1/audit?action=approve", headers=sup).json()["items"]
    assert [e["draft_id"] for e in approvals] == [did]  # the key applied once
    takeovers = httpx.get(f"{b.url}/v1/audit?action=takeover", headers=sup).json()["items"]
    assert len(takeovers) == 1


def test_two_processes_deliver_each_webhook_once(
    pg_url: str, tokens: dict[str, str], tmp_path: Path
) -> None:
    with Receiver() as receiver:
        config = tmp_path / "company.toml"
        config.write_text(
            f'[[webhooks]]\nurl = "{receiver.url}/hook"\n'
            'secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="\n'
            'events = ["message.delivered"]\n',
            "utf-8",
        )
        with pg.serving(pg_url, 2, "--config", str(config)) as servers:
            chats = _start_chats(servers[0].url, 4)
            drafts = asyncio.run(_pending_drafts(servers[1].url, tokens["sup"], len(chats)))
            for i, (_, did, version) in enumerate(drafts):
                approved = httpx.post(
                    f"{servers[i % 2].url}/v1/drafts/{did}/approve",
                    headers={
                        "Authorization": f"Bearer {tokens['agent0']}",
                        "If-Match": f'"{version}"',
                    },
                )
                assert approved.status_code == 200
            # Every delivered message (4 disclosures + 4 replies) announced, by either process.
            deadline = time.monotonic() + 20
            while len(receiver.requests) < 2 * len(chats) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)  # both workers polled again meanwhile: a repeat would show now
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 2 * len(chats)
    assert len(set(ids)) == len(ids)  # none sent twice, though two processes deliver
