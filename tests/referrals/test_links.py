"""Facility identifiers in other systems and directory profiles: edited, audited, exported."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.facilities.read import Reader
from registry.referrals import services
from registry.referrals.models import ExternalSystem
from tests.conftest import csrf_token_from
from tests.factories import FacilityFactory, UserFactory


def test_identifiers_are_set_changed_removed_and_audited(db_session):
    facility = FacilityFactory()
    reader = Reader("75", False)
    services.set_external_ids(
        db_session,
        reader,
        facility.id,
        {ExternalSystem.CHILD_DATABASE: "TE-75-0012", ExternalSystem.REHAB_IT: "CN/75/3"},
        actor="test",
    )
    links = services.set_external_ids(
        db_session,
        reader,
        facility.id,
        {ExternalSystem.CHILD_DATABASE: "TE-75-0013", ExternalSystem.REHAB_IT: ""},
        actor="test",
    )
    assert links == {"child_database": "TE-75-0013"}
    actions = [
        e.action
        for e in db_session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "facility_external_ids")
        )
    ]
    assert sorted(actions) == sorted(["insert", "insert", "update", "delete"])


def test_an_identifier_with_odd_characters_is_refused(db_session):
    facility = FacilityFactory()
    with pytest.raises(services.LinkRefused):
        services.set_external_ids(
            db_session,
            Reader("75", False),
            facility.id,
            {ExternalSystem.CHILD_DATABASE: "=HYPERLINK(1)"},
            actor="test",
        )


def test_another_provinces_facility_cannot_be_linked(db_session):
    facility = FacilityFactory(province_code="75")
    with pytest.raises(services.NotFound):
        services.set_external_ids(
            db_session, Reader("66", False), facility.id, {ExternalSystem.REHAB_IT: "x"}, actor="t"
        )


def test_the_page_saves_identifiers_and_the_export_lists_them(client, auth, db_session):
    facility = FacilityFactory()
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    page = client.get(f"/referrals/facilities/{facility.id}")
    response = client.post(
        f"/referrals/facilities/{facility.id}/links",
        data={"csrf_token": csrf_token_from(page), "disability_software": "NKT-001"},
    )
    assert response.status_code == 302
    rows = list(
        csv.reader(io.StringIO(client.get("/referrals/links.csv").data.decode("utf-8-sig")))
    )
    assert any(r[0] == facility.code and "NKT-001" in r for r in rows[1:])


def test_a_shelter_keeps_no_directory_profile(db_session):
    shelter = FacilityFactory(type_code="SHELTER")
    spec = services.ProfileInput("24/7", "0", None, True, True, True)
    with pytest.raises(services.LinkRefused):
        services.save_profile(db_session, Reader(None, True), shelter.id, spec, actor="t")


def test_a_viewer_sees_the_identifiers_but_cannot_change_them(client, auth, db_session):
    facility = FacilityFactory()
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    assert client.get(f"/referrals/facilities/{facility.id}").status_code == 200
    page = client.get("/")
    response = client.post(
        f"/referrals/facilities/{facility.id}/links",
        data={"csrf_token": csrf_token_from(page), "rehab_it": "x"},
    )
    assert response.status_code == 403
