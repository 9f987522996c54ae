"""The filters of the list calls, defined once for the route, the client and the store.

The backend's routes read them from the query string (FastAPI query-parameter
models), the client sends them as one, and the store takes them as they are:
adding a filter means adding a field here, nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ._enums import (
    ConversationStatus,
    Flag,
    ReasonCode,
)
from ._exceptions import InvalidRequestError
from ._models import FieldError, Problem

PageLimit = Annotated[int, Field(ge=1, le=1000)]
"""How many items one page may hold."""
Term = Annotated[str, Field(max_length=500)]
"""A free-text filter or an id in a query string."""


def _as_utc(moment: datetime) -> datetime:
    # A time without an offset is read as UTC, the zone every stored time is in.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_as_utc)]
"""A point in time (ISO 8601; an offset counts, none means UTC), compared as a time."""
Cursor = Annotated[str, Field(max_length=1000)]
"""A `next_cursor`, as the server handed it out."""


class _Query(BaseModel):
    model_config = ConfigDict(frozen=True)

    def params(self) -> dict[str, Any]:
        """As query-string parameters: unset ones left out, enums as their values."""
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def of(cls, query: Self | None, fields: dict[str, Any]) -> Self:
        """`query`, or one made from keyword `fields`; a name that is no filter is refused."""
        unknown = set(fields) - set(cls.model_fields)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        try:
            if query is None:
                return cls(**fields)
            # Validated again (model_copy would not): a bad value must not reach the wire.
            return cls(**{**query.model_dump(), **fields}) if fields else query
        except ValidationError as exc:
            raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> InvalidRequestError:
    """A filter the caller got wrong, as the same typed error the server would answer with."""
    errors = [
        FieldError(field=".".join(str(p) for p in e["loc"]) or "query", message=e["msg"])
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    problem = Problem(title="Unprocessable content", status=422, detail=detail, errors=errors)
    return InvalidRequestError(problem)


class QueueQuery(_Query):
    """Which conversations of the queue, and which page: `GET /v1/conversations`."""

    status: ConversationStatus | None = None
    """Only this status; all open ones when unset."""
    holder: Term | None = None
    """Only conversations this operator (id) holds."""
    q: Term | None = None
    """An id, or part of the customer's name or email (for finding replays)."""
    flag: Flag | None = None
    """Only conversations where some draft carried this flag."""
    reason_code: ReasonCode | None = None
    """Only conversations where some override gave this reason."""
    find: Term | None = None
    """Words that must each appear in the id, the customer's name or email, the text of a
    message, or be a flag of the pending draft (the console's `/`)."""
    include_closed: bool = False
    """Closed conversations too (only when no `status` is asked for)."""
    limit: PageLimit = 100
    cursor: Cursor | None = None
    """The `next_cursor` of the page before."""


class AuditQuery(_Query):
    """Which entries of the override log, and which page: `GET /v1/audit`."""

    actor: Term | None = None
    """An operator, by id or by name."""
    action: Term | None = None
    reason_code: Term | None = None
    conversation: Term | None = None
    """A conversation id."""
    since: Instant | None = None
    """Entries at or after this ISO time."""
    until: Instant | None = None
    """Entries before this ISO time."""
    q: Term | None = None
    """Words that must all appear in the note or the texts (stemmed)."""
    limit: PageLimit = 50
    cursor: Cursor | None = None
    """The `next_cursor` of the page before."""


class TrainingQuery(_Query):
    """Which preference pairs, and which page: `GET /v1/training/pairs`."""

    since: Instant | None = None
    """Pairs from decisions at or after this ISO time."""
    reason_code: ReasonCode | None = None
    unmasked: bool = False
    """Personal data left in (admin only)."""
    limit: PageLimit = 200
    cursor: Cursor | None = None
    """The `next_cursor` of the page before."""
