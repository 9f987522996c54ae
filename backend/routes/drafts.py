"""Decisions on drafts: approve, edit, reject, regenerate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import Response

from backend_client import ConversationDetail, EditRequest, RegenerateRequest, RejectRequest

from .deps import Decide

router = APIRouter(tags=["drafts"])


@router.post("/v1/drafts/{did}/approve", response_model=ConversationDetail)
async def approve(
    did: str,
    d: Decide,
    confirm_words: Annotated[int | None, Header(alias="Hitl-Confirm-Words", ge=0)] = None,
) -> Response:
    """Send the draft as written.

    Faster than the draft can be read (setting `reading_words_per_second`),
    the answer is 428 until the approval is sent again with
    `Hitl-Confirm-Words: <the draft's length in words>`.
    """
    return await d.run(lambda: d.service.approve(d.operator, did, d.version, confirm_words))


@router.post("/v1/drafts/{did}/edit", response_model=ConversationDetail)
async def edit(did: str, body: EditRequest, d: Decide) -> Response:
    """Send the edited text instead of the draft."""
    return await d.run(
        lambda: d.service.edit(d.operator, did, d.version, body.text, body.reason_code, body.note)
    )


@router.post("/v1/drafts/{did}/reject", response_model=ConversationDetail)
async def reject(did: str, body: RejectRequest, d: Decide) -> Response:
    """Discard the draft; the conversation escalates unless asked to regenerate."""
    return await d.run(
        lambda: d.service.reject(
            d.operator, did, d.version, body.reason_code, body.note, body.regenerate
        )
    )


@router.post("/v1/drafts/{did}/regenerate", response_model=ConversationDetail)
async def regenerate(did: str, body: RegenerateRequest, d: Decide) -> Response:
    """Ask the AI for a new draft that follows an instruction."""
    return await d.run(
        lambda: d.service.regenerate(
            d.operator, did, d.version, body.instruction, body.reason_code, body.note
        )
    )
