"""The OpenAPI document describes the API as it answers (issue 14.10).

Schemathesis generates requests from the document (valid and malformed) and
checks every real response against it: status code documented, content type
(problem+json for errors), body schema, no 5xx. Bounded: a few examples per
operation, no deadline per example.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from backend.app import create_app
from backend.settings import Settings
from backend_client import Role

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

EXAMPLES = 5
"""Examples per operation: enough to reach every error path's shape, quick in CI."""


@pytest.fixture
def api_state(tmp_path: Path) -> dict[str, object]:
    """An app with an admin (who may call every route) and its token."""
    app = create_app(Settings(db_path=tmp_path / "hitl.db", secret="test-secret"))
    _, token = app.state.store.add_operator("ada", Role.ADMIN)
    return {"app": app, "token": token}


@pytest.fixture
def api_schema(api_state: dict[str, object]) -> schemathesis.BaseSchema:
    """The app's own OpenAPI document, as schemathesis reads it."""
    return schemathesis.openapi.from_asgi("/openapi.json", api_state["app"])


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.exclude(path="/v1/events").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_is_what_the_document_says(
    case: OpenApiCase, api_state: dict[str, object]
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_state['token']}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def test_the_document_names_its_security_and_problem_answers(
    api_state: dict[str, object],
) -> None:
    document = api_state["app"].openapi()  # type: ignore[attr-defined]
    assert document["components"]["securitySchemes"]["operator"]["scheme"] == "bearer"
    edit = document["paths"]["/v1/drafts/{did}/edit"]["post"]
    assert edit["security"] == [{"operator": []}]
    for code in ("401", "403", "404", "409", "412", "413", "422"):
        assert "application/problem+json" in edit["responses"][code]["content"], code
    start = document["paths"]["/v1/channel/conversations"]["post"]
    assert "security" not in start and "429" in start["responses"]
    name = document["components"]["schemas"]["Customer"]["properties"]["name"]
    assert name["maxLength"] > 0
