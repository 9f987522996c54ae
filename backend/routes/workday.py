"""What agents expect: internal notes, assignment, the customer's history, saved replies,
who else is viewing, and the team's SLA. Thin calls into `service.Hitl`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backend_client import (
    AssignRequest,
    ConversationDetail,
    ConversationSummary,
    Note,
    NoteRequest,
    Page,
    Presence,
    SavedReply,
    SavedReplyRequest,
    WorkdaySettings,
)

from .deps import CurrentOperator, Decide, Service

router = APIRouter(tags=["workday"])


@router.post("/v1/conversations/{cid}/notes", status_code=201)
async def add_note(cid: str, body: NoteRequest, service: Service, op: CurrentOperator) -> Note:
    """Keep an internal note: colleagues see it, the customer never does."""
    return service.add_note(op, cid, body.text)


@router.get("/v1/conversations/{cid}/notes")
async def notes(cid: str, service: Service, op: CurrentOperator) -> Page[Note]:
    """The conversation's internal notes, oldest first."""
    return service.notes(op, cid)


@router.post("/v1/conversations/{cid}/assign", response_model=ConversationDetail)
async def assign(cid: str, body: AssignRequest, d: Decide) -> Response:
    """Assign the conversation to an operator (id or name), or to nobody; journaled."""
    return await d.run(lambda: d.service.assign(d.operator, cid, d.version, body.operator))


@router.get("/v1/conversations/{cid}/history")
async def history(cid: str, service: Service, op: CurrentOperator) -> Page[ConversationSummary]:
    """The customer's other conversations, newest first (same email, else same name)."""
    return service.history(op, cid)


@router.post("/v1/conversations/{cid}/presence")
async def presence(
    cid: str, service: Service, op: CurrentOperator, leaving: bool = False
) -> Presence:
    """I have this conversation open (`leaving`: no longer); who else has it open."""
    return service.still_viewing(op, cid, leaving=leaving)


@router.get("/v1/saved-replies")
async def saved_replies(service: Service, op: CurrentOperator) -> Page[SavedReply]:
    """The team's library of replies."""
    return service.saved_replies(op)


@router.post("/v1/saved-replies", status_code=201)
async def add_saved_reply(
    body: SavedReplyRequest, service: Service, op: CurrentOperator
) -> SavedReply:
    """Supervisor: add a saved reply."""
    return service.put_saved_reply(op, None, body.title, body.text)


@router.put("/v1/saved-replies/{rid}")
async def replace_saved_reply(
    rid: str, body: SavedReplyRequest, service: Service, op: CurrentOperator
) -> SavedReply:
    """Supervisor: replace a saved reply."""
    return service.put_saved_reply(op, rid, body.title, body.text)


@router.delete("/v1/saved-replies/{rid}", status_code=204)
async def delete_saved_reply(rid: str, service: Service, op: CurrentOperator) -> Response:
    """Supervisor: remove a saved reply."""
    service.delete_saved_reply(op, rid)
    return Response(status_code=204)


@router.get("/v1/workday")
async def workday(service: Service, op: CurrentOperator) -> WorkdaySettings:
    """The team's promises the console shows (the escalation SLA)."""
    return service.workday_settings(op)
