"""Templates run no queries: every GET page of the access matrix is rendered while counting the
SQL statements issued between Flask's ``before_render_template`` and ``template_rendered``
signals (a lazy relationship or a helper that queries would show up here)."""

from __future__ import annotations

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event

from registry.auth.permissions import Role
from tests.factories import FacilityFactory, UserFactory
from tests.test_access_matrix import MATRIX, _ids_for, _url

PAGES = [
    (endpoint, template)
    for endpoint, method, template, _allowed in MATRIX
    if method == "GET"
    and not template.endswith((".json", ".csv", ".xlsx"))
    and endpoint not in {"maps.data", "maps.boundaries", "maps.capacity", "geography.lookup"}
]


@pytest.mark.parametrize(("endpoint", "template"), PAGES, ids=[p[0] for p in PAGES])
def test_page_templates_run_no_queries(app, client, auth, db_session, endpoint, template):
    user = UserFactory(role=Role.ADMIN, province_code="75")
    facility = FacilityFactory(province_code="75")
    ids = _ids_for(db_session, template)
    auth.login(user)
    rendering = {"on": False, "statements": []}

    def started(sender, template, context, **extra):
        rendering["on"] = True

    def finished(sender, template, context, **extra):
        rendering["on"] = False

    def executed(conn, cursor, statement, parameters, context, executemany):
        if rendering["on"]:
            rendering["statements"].append(statement.split("\n")[0][:120])

    engine = db_session.get_bind().engine
    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        response = client.get(_url(template, user, facility, ids))
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        before_render_template.disconnect(started, app)
        template_rendered.disconnect(finished, app)
    assert response.status_code in (200, 302), (endpoint, response.status_code)
    assert rendering["statements"] == [], endpoint
