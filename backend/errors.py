"""Domain errors: what a rule raises when it refuses, turned into problem+json by the app."""

from __future__ import annotations

from typing import Any

from backend_client import FieldError, Problem


class DomainError(Exception):
    """A rule refused; `status` and `title` say how, the message says why."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        holder: str | None = None,
        current: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.holder = holder
        self.current = current

    def problem(self) -> Problem:
        """The problem document for this refusal."""
        slug = self.title.lower().replace(" ", "-")
        return Problem(
            type=f"https://hitl.dev/problems/{slug}",
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
            holder=self.holder,
            current=self.current,
        )


class Unauthorized(DomainError):
    """No token, or an unknown one."""

    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    """The caller's role may not do this."""

    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    """No such thing, or not the caller's to see."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The state does not allow it: decided already, held by someone, closed, paused."""

    status = 409
    title = "Conflict"


class StaleVersion(DomainError):
    """The If-Match version is not the current one."""

    status = 412
    title = "Precondition failed"


class Invalid(DomainError):
    """A field of the request is wrong."""

    status = 422
    title = "Unprocessable content"

    def __init__(self, field: str, message: str, **kwargs: Any) -> None:
        super().__init__(
            f"{field}: {message}", errors=[FieldError(field=field, message=message)], **kwargs
        )
