"""The HTTP API: thin routes over `service.Hitl`. Every rule lives in the service and policy."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend_client import (
    AIState,
    AuditEntry,
    ChatStarted,
    ConversationDetail,
    ConversationStatus,
    ConversationSummary,
    EditRequest,
    FieldError,
    Flag,
    Message,
    Metrics,
    Operator,
    Page,
    Problem,
    ReasonCode,
    ReasonRequest,
    RegenerateRequest,
    RejectRequest,
    SendMessageRequest,
    StartChatRequest,
    Timeline,
    TrainingPair,
    VerifyResult,
)

from . import policy
from .bots import make_bot
from .bots.base import Bot
from .deps import customer_conversation, hitl, operator_dependency
from .errors import DomainError, NotFound
from .events import EventHub
from .events import router as events_router
from .policy import Permission
from .service import Hitl, fingerprint
from .settings import Settings
from .store import OperatorRecord, Store

log = logging.getLogger("hitl.backend")

PROBLEM_JSON = "application/problem+json"
SWEEP_SECONDS = 0.25
"""How often drafts whose hold window passed are looked for (review mode `flagged`)."""
_AUDIT_PAGE = TypeAdapter(Page[AuditEntry])
"""Serialises a page of the override log straight to JSON bytes."""


def _problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = []
    for err in exc.errors():
        field = _field_name(tuple(err.get("loc", ())))
        message = err.get("msg", "is invalid")
        if err.get("type") == "json_invalid":
            field, message = "body", "is not valid JSON"
        elif err.get("type") == "missing":
            message = "is required"
        errors.append(FieldError(field=field, message=message))
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return Problem(
        type="https://hitl.dev/problems/unprocessable-content",
        title="Unprocessable content",
        status=422,
        detail=detail,
        errors=errors,
    )


Service = Annotated[Hitl, Depends(hitl)]
CurrentOperator = Annotated[OperatorRecord, Depends(operator_dependency)]
CustomerChat = Annotated[str, Depends(customer_conversation)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@dataclass
class Decision:
    """A decision call as the route sees it: who, which version, and a way to run it once."""

    request: Request
    service: Hitl
    operator: OperatorRecord
    version: int | None
    """From `If-Match: "<version>"`; None when the header was not sent."""
    key: str | None
    """The `Idempotency-Key`, if any."""

    async def run(self, decide: Callable[[], BaseModel | Awaitable[BaseModel]]) -> Response:
        """Apply the decision once per Idempotency-Key and answer with its result."""

        async def call() -> BaseModel:
            result = decide()
            return await result if inspect.isawaitable(result) else result

        body = await self.request.body()
        print_ = fingerprint(self.request.method, self.request.url.path, body)
        content = await self.service.idempotent(self.operator, self.key, print_, call)
        return Response(content, media_type="application/json")


async def decision(
    request: Request,
    service: Service,
    op: CurrentOperator,
    if_match: IfMatch = None,
    key: IdempotencyKey = None,
) -> Decision:
    """Dependency of every decision route: parses If-Match, carries the Idempotency-Key."""
    return Decision(request, service, op, policy.parse_if_match(if_match), key)


Decide = Annotated[Decision, Depends(decision)]


def create_app(settings: Settings, *, bot: Bot | None = None) -> FastAPI:
    """The backend as an ASGI app: store, bot and service made once, from `settings`."""
    store = Store(settings.db_path)
    service = Hitl(store, settings, bot or make_bot(settings.bot))
    hub = EventHub(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep(service, settings))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            service.shutdown()

    app = FastAPI(
        title="hitl backend",
        version="1",
        summary="Human review of a customer-service AI: queue, decisions, audit journal.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.hitl = service
    app.state.hub = hub
    app.state.store = store

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return _problem_response(exc.problem())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem_response(_validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem_response(
            Problem(title=str(exc.detail), status=exc.status_code, detail=str(exc.detail))
        )

    app.include_router(events_router)
    _operator_routes(app)
    _channel_routes(app)
    return app


async def _sweep(service: Hitl, settings: Settings) -> None:
    """Send drafts whose hold window passed, and keep the event table to its retention."""
    ticks = 0
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            service.send_due_drafts()
            ticks += 1
            if ticks % 240 == 0:
                service.store.trim_events(settings.event_retention)
        except Exception:  # keep sweeping: one bad row must not stop every hold window
            log.exception("sweeping due drafts failed")


def _operator_routes(app: FastAPI) -> None:
    @app.get("/v1/me", tags=["operators"])
    async def me(op: CurrentOperator) -> Operator:
        """Who this token belongs to."""
        return op.wire()

    @app.get("/v1/operators", tags=["operators"])
    async def operators(service: Service, op: CurrentOperator) -> Page[Operator]:
        """Every operator (id, name, role), so a console can show people by name."""
        return service.operators(op)

    @app.get("/v1/ai", tags=["ai"])
    async def ai_state(service: Service, op: CurrentOperator) -> AIState:
        """Whether the AI may send, the review mode and the bot."""
        return service.ai_state()

    @app.post("/v1/ai/pause", tags=["ai"])
    async def pause(service: Service, op: CurrentOperator) -> AIState:
        """Supervisor: stop all AI sending at once, pending drafts included."""
        return service.set_paused(op, True)

    @app.post("/v1/ai/resume", tags=["ai"])
    async def resume(service: Service, op: CurrentOperator) -> AIState:
        """Supervisor: let the AI send again."""
        return service.set_paused(op, False)

    @app.get("/v1/conversations", tags=["conversations"])
    async def queue(
        service: Service,
        op: CurrentOperator,
        status: ConversationStatus | None = None,
        holder: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: str | None = None,
        q: str | None = None,
        flag: Flag | None = None,
        reason_code: ReasonCode | None = None,
        include_closed: bool = False,
    ) -> Page[ConversationSummary]:
        """The queue, longest waiting first; closed conversations only when asked for.

        `q` (id, customer name or email), `flag` and `reason_code` search for replay.
        """
        return service.queue(
            op,
            status=status,
            holder=holder,
            limit=limit,
            cursor=cursor,
            q=q,
            flag=flag.value if flag else None,
            reason_code=reason_code.value if reason_code else None,
            include_closed=include_closed,
        )

    @app.get("/v1/metrics", tags=["metrics"])
    async def metrics(service: Service, op: CurrentOperator) -> Metrics:
        """Override rate by reason, operator and flag; review time; fast approvals; queue."""
        return service.metrics(op)

    @app.get("/v1/training/pairs", tags=["training"])
    async def training_pairs(
        service: Service,
        op: CurrentOperator,
        since: str | None = None,
        reason_code: ReasonCode | None = None,
        unmasked: bool = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        cursor: str | None = None,
    ) -> Page[TrainingPair]:
        """Preference pairs from overridden drafts (trainer and up; unmasked: admin)."""
        return service.training_pairs(
            op,
            since=since,
            reason_code=reason_code.value if reason_code else None,
            unmasked=unmasked,
            limit=limit,
            cursor=cursor,
        )

    @app.get("/v1/conversations/{cid}", tags=["conversations"])
    async def conversation(cid: str, service: Service, op: CurrentOperator) -> ConversationDetail:
        """One conversation: messages, pending draft, holder, version."""
        return service.conversation(op, cid)

    @app.get("/v1/conversations/{cid}/timeline", tags=["conversations"])
    async def timeline(cid: str, service: Service, op: CurrentOperator) -> Timeline:
        """Messages, drafts and decisions in order, for replay."""
        return service.timeline(op, cid)

    @app.post("/v1/drafts/{did}/approve", tags=["drafts"], response_model=ConversationDetail)
    async def approve(did: str, d: Decide) -> Response:
        """Send the draft as written."""
        return await d.run(lambda: d.service.approve(d.operator, did, d.version))

    @app.post("/v1/drafts/{did}/edit", tags=["drafts"], response_model=ConversationDetail)
    async def edit(did: str, body: EditRequest, d: Decide) -> Response:
        """Send the edited text instead of the draft."""
        return await d.run(
            lambda: d.service.edit(
                d.operator, did, d.version, body.text, body.reason_code, body.note
            )
        )

    @app.post("/v1/drafts/{did}/reject", tags=["drafts"], response_model=ConversationDetail)
    async def reject(did: str, body: RejectRequest, d: Decide) -> Response:
        """Discard the draft; the conversation escalates unless asked to regenerate."""
        return await d.run(
            lambda: d.service.reject(
                d.operator, did, d.version, body.reason_code, body.note, body.regenerate
            )
        )

    @app.post("/v1/drafts/{did}/regenerate", tags=["drafts"], response_model=ConversationDetail)
    async def regenerate(did: str, body: RegenerateRequest, d: Decide) -> Response:
        """Ask the AI for a new draft that follows an instruction."""
        return await d.run(
            lambda: d.service.regenerate(
                d.operator, did, d.version, body.instruction, body.reason_code, body.note
            )
        )

    @app.post(
        "/v1/conversations/{cid}/takeover",
        tags=["conversations"],
        response_model=ConversationDetail,
    )
    async def takeover(cid: str, body: ReasonRequest, d: Decide) -> Response:
        """Hold the conversation; the AI goes silent in it."""
        return await d.run(
            lambda: d.service.takeover(d.operator, cid, d.version, body.reason_code, body.note)
        )

    @app.post(
        "/v1/conversations/{cid}/messages",
        tags=["conversations"],
        response_model=ConversationDetail,
    )
    async def write(cid: str, body: SendMessageRequest, d: Decide) -> Response:
        """The holder writes to the customer."""
        return await d.run(lambda: d.service.send_message(d.operator, cid, body.text))

    @app.post(
        "/v1/conversations/{cid}/handback",
        tags=["conversations"],
        response_model=ConversationDetail,
    )
    async def handback(cid: str, d: Decide) -> Response:
        """Give the conversation back to the AI."""
        return await d.run(lambda: d.service.handback(d.operator, cid, d.version))

    @app.post(
        "/v1/conversations/{cid}/release", tags=["conversations"], response_model=ConversationDetail
    )
    async def release(cid: str, body: ReasonRequest, d: Decide) -> Response:
        """Supervisor: force-release someone else's hold."""
        return await d.run(
            lambda: d.service.release(d.operator, cid, d.version, body.reason_code, body.note)
        )

    @app.post(
        "/v1/conversations/{cid}/close", tags=["conversations"], response_model=ConversationDetail
    )
    async def close(cid: str, d: Decide) -> Response:
        """Close the conversation."""
        return await d.run(lambda: d.service.close(d.operator, cid, d.version))

    @app.post(
        "/v1/conversations/{cid}/erase", tags=["conversations"], response_model=ConversationDetail
    )
    async def erase(cid: str, d: Decide) -> Response:
        """Admin: erase the customer's personal data from a conversation (GDPR art. 17)."""
        return await d.run(lambda: d.service.erase(d.operator, cid))

    @app.get("/v1/audit", tags=["audit"], response_model=Page[AuditEntry])
    async def audit(
        service: Service,
        op: CurrentOperator,
        actor: str | None = None,
        action: str | None = None,
        reason_code: str | None = None,
        conversation: str | None = None,
        since: str | None = None,
        until: str | None = None,
        q: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: str | None = None,
    ) -> Response:
        """The override log, newest first (supervisor and admin)."""
        policy.require(op.role, Permission.AUDIT)
        try:
            page = service.store.list_audit(
                actor=actor,
                action=action,
                reason_code=reason_code,
                conversation=conversation,
                since=since,
                until=until,
                q=q,
                limit=limit,
                cursor=cursor,
            )
        except ValueError:
            raise NotFound("no such page: the cursor is not one this API gave out") from None
        # Serialised in one pass: the response model would validate the page
        # again, convert it to dicts, then encode those (twice the work, ~1 ms
        # a page of 100, on the path of every key that loads one).
        return Response(_AUDIT_PAGE.dump_json(page), media_type="application/json")

    @app.get("/v1/audit/verify", tags=["audit"])
    async def verify(service: Service, op: CurrentOperator) -> VerifyResult:
        """Check the journal's hash chain: `{ok, entries, head, first_bad}`."""
        return await service.verify_journal(op)


def _channel_routes(app: FastAPI) -> None:
    @app.post("/v1/channel/conversations", tags=["channel"], status_code=201)
    async def start_chat(body: StartChatRequest, service: Service) -> ChatStarted:
        """Customer side: start a chat; keep the returned customer_token."""
        return service.start_chat(body.customer)

    @app.post("/v1/channel/conversations/{cid}/messages", tags=["channel"], status_code=201)
    async def customer_says(
        body: SendMessageRequest, service: Service, cid: CustomerChat
    ) -> Message:
        """Customer side: say something."""
        return await service.customer_says(cid, body.text)

    @app.get("/v1/channel/conversations/{cid}/messages", tags=["channel"])
    async def customer_reads(
        service: Service, cid: CustomerChat, after: str | None = None
    ) -> Page[Message]:
        """Customer side: the delivered messages, never a pending draft."""
        return service.customer_messages(cid, after)
