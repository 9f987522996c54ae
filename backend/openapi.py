"""The OpenAPI document, made true: security schemes, every error answer as problem+json.

FastAPI describes what its decorators know: the 200 and a 422 model that is
not the body we send. A client generated from that would not know the API
needs a bearer token, nor that it answers 401/403/404/409/412/413/429 with a
problem document. This module adds them from what each route is (operator,
customer or anonymous; with a body, a path id, or a decision), once, and the
suite checks real responses against the result (tests/test_openapi.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from backend_client import Problem

PROBLEM_JSON = "application/problem+json"

_WHY: dict[str, str] = {
    "400": "Bad request",
    "401": "No token, or one the backend does not know",
    "403": "The caller's role may not do this",
    "404": "No such thing, or not the caller's to see",
    "409": "Decided already, held by someone else, closed or paused",
    "412": "The If-Match version is not the current one",
    "413": "The request body is larger than the limit",
    "422": "A field of the request is wrong: `errors` names it",
    "429": "Too many requests: wait for Retry-After seconds",
}


def _error_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["400", "422"]
    channel = path.startswith("/v1/channel/")
    anonymous = channel and "{cid}" not in path
    if not anonymous:
        codes.append("401")
    if not channel:
        codes.append("403")
    if "{" in path:
        codes.append("404")
    if "requestBody" in operation or method in ("post", "put", "patch"):
        codes.append("413")
    decision = path.startswith("/v1/drafts/") or path.startswith("/v1/conversations/{cid}/")
    if method == "post" and decision:
        codes += ["409", "412"]
    if path.startswith("/v1/ai/") and method == "post":
        codes.append("409")
    if channel:
        codes.append("429")
    return sorted(set(codes))


def _problem_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _WHY.get(code, "An error, described by the problem document"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code == "429":
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def describe(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`, with its security and its error answers."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {
        "operator": {
            "type": "http",
            "scheme": "bearer",
            "description": "An operator's token (`hitl operator add` prints it once).",
        },
        "customer": {
            "type": "http",
            "scheme": "bearer",
            "description": "The `customer_token` that starting a chat returned.",
        },
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            for code in _error_codes(path, method, operation):
                responses[code] = _problem_response(code)
            responses["default"] = _problem_response("default")
            if path.startswith("/v1/channel/"):
                if "{cid}" in path:
                    operation["security"] = [{"customer": []}]
            else:
                operation["security"] = [{"operator": []}]
            if path == "/v1/events":
                responses["200"] = {
                    "description": "Server-Sent Events; each `data` is an Event",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                }
    return document


def install(app: FastAPI) -> None:
    """Serve `describe(app)` (made once, on first request) as the app's OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
