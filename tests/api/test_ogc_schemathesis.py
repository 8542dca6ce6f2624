"""A schemathesis run over ``/ogc/api``, the OGC API definition: every operation called with
generated data, valid and not, anonymously and with a token. No answer may be a server error,
and every answer must be one the document describes (status, content type, body schema).

Invalid data must not be refused silently either way: a value the document forbids is a 400
(the standard's /req/core/query-param-invalid), except a ``limit`` above the maximum, which the
standard lets a server serve at the maximum instead."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.auth.permissions import Role
from tests.factories import UserFactory

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def officer_token(db_session):
    from registry.api import tokens
    from registry.facilities import services
    from registry.facilities.models import Ownership

    for name, type_code, lon, lat in (
        ("Trung tâm dưỡng lão", "ELDERLY", 106.82, 10.95),
        ("Nhà tạm lánh", "SHELTER", 106.91637, 10.92874),
    ):
        services.register_facility(
            db_session,
            services.FacilityInput(
                name=name,
                type_code=type_code,
                ownership=Ownership.PUBLIC,
                province_code="75",
                lon=lon,
                lat=lat,
                opened_on=date(2015, 1, 1),
            ),
            actor_id=None,
            confirm_duplicates=True,
        )
    officer = UserFactory(role=Role.LICENSING_OFFICER, province_code="75")
    issued = tokens.create_token(
        db_session, officer, name="OGC", expires_on=date(2099, 1, 1), today=date(2098, 6, 1)
    )
    db_session.commit()
    return issued.secret


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("caller", ["anonymous", "token"])
def test_ogc_conforms_to_its_api_definition(app, officer_token, mode, caller):
    schema = schemathesis.openapi.from_wsgi("/ogc/api?f=json", app)
    headers = {"Authorization": f"Bearer {officer_token}"} if caller == "token" else {}
    # The WSGI call does not undo compression (tested in tests/maps/test_compression.py).
    headers["Accept-Encoding"] = "identity"
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    # Every operation of the definition but /api itself, which schemathesis leaves out.
    assert len(labels) == 3 + 3 * 6, labels

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every operation's failure reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
