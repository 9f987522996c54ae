"""The backend as an ASGI app: `create_app`, its error handlers and its background sweep.

The routes live in `routes/` (one module per resource), the rules in `service/` and `domain/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend_client import FieldError, Problem

from .bots import make_bot
from .bots.base import Bot
from .checkpoints import checkpoint_schedule
from .errors import DomainError
from .hub import EventHub
from .knowledge import KnowledgeRows, index_folder
from .limits import BodyLimit, ChannelLimits
from .openapi import install as install_openapi
from .routes import ROUTERS
from .service import Hitl
from .settings import Settings, check_retention
from .store import StoreProtocol, connect, utcnow

log = logging.getLogger("hitl.backend")

PROBLEM_JSON = "application/problem+json"
SWEEP_SECONDS = 0.25
"""How often drafts whose hold window passed are looked for (review mode `flagged`)."""
ORPHAN_TICKS = 20
"""Every this many sweeps (5 s), drafting jobs whose process died are taken over."""


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


def create_app(
    settings: Settings, *, bot: Bot | None = None, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """The backend as an ASGI app: store, bot and service made once, from `settings`.

    `clock` is the time every rule reads (hold windows, timestamps); tests move it by hand.
    """
    check_retention(settings)
    sql = connect(settings.db_url or settings.db_path, clock=clock)
    store: StoreProtocol = sql
    knowledge = KnowledgeRows(sql)  # FTS5 on SQLite, a tsvector on PostgreSQL
    report = index_folder(knowledge, settings.knowledge.path)
    for name, why in report.unreadable:
        log.warning("knowledge base: cannot read %s: %s", name, why)
    if bot is None:
        bot = make_bot(
            settings.bot,
            prompt=settings.system_prompt,
            knowledge=knowledge,
            passages=settings.knowledge.passages,
            company=settings.company.name,
        )
    service = Hitl(store, settings, bot)
    hub = EventHub(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep(service, settings))
        retention = asyncio.create_task(_retain(service, settings))
        signer: asyncio.Task[None] | None = None
        if settings.journal.checkpoint_dir and settings.journal.checkpoint_key_file:
            signer = asyncio.create_task(checkpoint_schedule(settings, service.secret))
        service.resume_drafting()
        try:
            yield
        finally:
            await service.stop_drafting()
            for task in (sweeper, retention, signer):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
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
    app.state.knowledge = knowledge
    app.state.channel_limits = ChannelLimits(settings.limits)
    app.add_middleware(BodyLimit, limit=settings.limits.max_body_bytes)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        response = _problem_response(exc.problem())
        response.headers.update(getattr(exc, "headers", {}))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem_response(_validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _problem_response(
            Problem(title=str(exc.detail), status=exc.status_code, detail=str(exc.detail))
        )
        # e.g. `Allow` on a 405: the answer names what would have worked.
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its traceback here; the client gets a problem document, never the trace.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _problem_response(
            Problem(
                type="https://hitl.dev/problems/internal-error",
                title="Internal server error",
                status=500,
                detail="the backend failed to answer this request; it has been logged",
            )
        )

    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app)
    return app


async def _sweep(service: Hitl, settings: Settings) -> None:
    """Send drafts whose hold window passed, and keep the event table to its retention."""
    ticks = 0
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            service.send_due_drafts()
            ticks += 1
            if ticks % ORPHAN_TICKS == 0:
                # Drafting jobs of a backend process that died (several on PostgreSQL).
                service.resume_drafting(orphaned_only=True)
            if ticks % 240 == 0:
                service.store.trim_events(settings.event_retention)
        except Exception:  # keep sweeping: one bad row must not stop every hold window
            log.exception("sweeping due drafts failed")


async def _retain(service: Hitl, settings: Settings) -> None:
    """Erase what is kept longer than the retention settings allow, now and then."""
    while True:
        try:
            run = service.run_retention()
            if run.conversations or run.journal_texts:
                log.info("retention: %s", run.summary())
        except Exception:  # keep the job alive: the next run tries again
            log.exception("the retention run failed")
        await asyncio.sleep(settings.retention.run_every_seconds)
