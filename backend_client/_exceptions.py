"""Every error the client raises, in one tree::

    BackendError                  anything that went wrong talking to the backend
    ├── ProblemError              the backend answered with a problem document
    │   ├── UnauthorizedError     401: no token, or an unknown one
    │   ├── ForbiddenError        403: the role may not do this
    │   ├── NotFoundError         404: no such conversation, draft, ...
    │   ├── ConflictError         409: someone else decided first, or holds it
    │   ├── StaleVersionError     412: the If-Match version is out of date
    │   └── InvalidRequestError   422: a field is wrong (see `.problem.errors`)
    └── ConnectionLostError       the backend could not be reached

A `ProblemError` carries the server's `Problem` as `.problem`; its `str()` is
the server's own explanation, fit to show a person.
"""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from ._models import Problem


class BackendError(Exception):
    """Anything that went wrong talking to the backend."""


class ProblemError(BackendError):
    """The backend refused a call and said why in a problem document."""

    status_code: int = 0

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.detail or problem.title)


class UnauthorizedError(ProblemError):
    """401: no token, or one the backend does not know."""

    status_code = 401


class ForbiddenError(ProblemError):
    """403: this operator's role may not do that."""

    status_code = 403


class NotFoundError(ProblemError):
    """404: the thing asked about does not exist (or is not yours to see)."""

    status_code = 404


class ConflictError(ProblemError):
    """409: someone else decided first, or holds the conversation."""

    status_code = 409


class StaleVersionError(ProblemError):
    """412: the version sent in If-Match is out of date; reload and retry."""

    status_code = 412


class InvalidRequestError(ProblemError):
    """422 (or 400): the request was malformed; `.problem.errors` names the fields."""

    status_code = 422


class ConfirmationRequiredError(ProblemError):
    """428: the approval came faster than the draft can be read; confirm with its length."""

    status_code = 428

    @property
    def words(self) -> int | None:
        """The draft's length in words, to send back as the confirmation."""
        for error in self.problem.errors:
            if error.field == "Hitl-Confirm-Words" and error.message.isdigit():
                return int(error.message)
        return None


class ConnectionLostError(BackendError):
    """The backend could not be reached, or the connection broke."""


_BY_STATUS: dict[int, type[ProblemError]] = {
    cls.status_code: cls
    for cls in (
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        StaleVersionError,
        InvalidRequestError,
        ConfirmationRequiredError,
    )
}


def error_for(problem: Problem) -> ProblemError:
    """The typed exception for a problem document."""
    if problem.status == 400:
        return InvalidRequestError(problem)
    return _BY_STATUS.get(problem.status, ProblemError)(problem)


def problem_from(response: httpx.Response) -> Problem:
    """The problem document of an error response; one made from the status when there is none."""
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        return Problem(
            title=response.reason_phrase or "Error",
            status=response.status_code,
            detail=response.text[:500] or None,
        )


def error_from(response: httpx.Response) -> ProblemError:
    """The typed exception for an error response."""
    return error_for(problem_from(response))
