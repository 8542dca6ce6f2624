# ruff: noqa: F811  (shared fixtures are imported from test_services)
"""Planning reads facilities as the reader may see them, and writes only within the editor's
jurisdiction: regression tests for the cases found in review (issue 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.errors import PermissionDenied
from registry.facilities.read import Reader
from registry.planning import services
from registry.planning.models import ItemAction
from tests.factories import FacilityFactory, UserFactory
from tests.planning.test_services import (  # noqa: F401  (fixtures)
    DN_PLAN,
    district_points,
    plans,
    register,
)

SHELTER = (106.87913, 10.96187)
LEAKS = ("106.879", "10.961", "10.962", "Quỳnhxyz")


@pytest.fixture
def shelter(db_session):
    return register(
        db_session, "Nhà tạm lánh An Bình", "SHELTER", SHELTER, address="Hẻm Quỳnhxyz", capacity=10
    )


def _login(auth, role, province="75"):
    user = UserFactory(role=role, province_code=province)
    auth.login(user)
    return user


def _rule(plans, plan_code, rule_code=None):
    rules = plans[plan_code].rules
    return next(r for r in rules if rule_code is None or r.code == rule_code)


def test_another_provinces_admin_cannot_change_a_plan_target(
    client, auth, db_session, plans, post_form
):
    rule = next(r for r in plans[DN_PLAN].rules if services.target_slots(r))
    slot = services.target_slots(rule)[0]
    before = services.effective_params(rule).get(slot.key)
    _login(auth, Role.ADMIN, "66")
    response = post_form(
        f"/planning/plans/{DN_PLAN}/rules/{rule.id}/target",
        {"key": slot.key, "unit_code": slot.unit_code or "", "value": "1", "reason": "thử"},
        page_url="/planning/",
    )
    assert response.status_code == 403
    db_session.refresh(rule)
    assert services.effective_params(rule).get(slot.key) == before


def test_a_province_enters_only_its_own_entries_of_a_national_plan(db_session, plans):
    rule = _rule(plans, "QD-1520-LDTBXH-2015", "1520-TOTAL")
    with pytest.raises(PermissionDenied):
        services.set_rule_target(
            db_session, rule, "unit_min", 3, unit_code="75", reason="x", editor_province="66"
        )
    services.set_rule_target(
        db_session, rule, "unit_min", 3, unit_code="75", reason="x", editor_province="75"
    )
    assert services.effective_params(rule)["unit_min"]["75"] == 3


def test_the_provinces_audit_view_shows_a_national_users_change(client, auth, db_session, plans):
    rule = next(r for r in plans[DN_PLAN].rules if services.target_slots(r))
    slot = services.target_slots(rule)[0]
    services.set_rule_target(
        db_session,
        rule,
        slot.key,
        7,
        unit_code=slot.unit_code,
        reason="Bộ nhập chỉ tiêu",
        editor_province=None,
    )
    db_session.flush()
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "plan_rules", AuditEvent.reason == "Bộ nhập chỉ tiêu"
        )
    ).one()
    assert event.jurisdiction == "75"
    _login(auth, Role.ADMIN, "75")
    assert "Bộ nhập chỉ tiêu" in client.get("/audit/").get_data(as_text=True)


def test_scenario_proposals_refer_to_facilities_and_show_the_readers_view(
    client, auth, db_session, plans, shelter
):
    scenario = services.create_scenario(
        db_session, name="Nâng cấp", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    for action in (ItemAction.CAPACITY, ItemAction.CLOSE):
        item = services.add_item(
            db_session,
            scenario,
            action=action,
            facility=shelter,
            design_capacity=20 if action is ItemAction.CAPACITY else None,
        )
        assert (item.lon, item.lat) == (None, None)
    services.add_item(
        db_session,
        scenario,
        action=ItemAction.ADD,
        name="Nhà tạm lánh mới",
        type_code="SHELTER",
        lon=106.90123,
        lat=10.97456,
    )
    views = services.item_views(db_session, Reader("75", False), scenario)
    assert all(v.generalised for v in views.values())
    _login(auth, Role.VIEWER)
    for url in (
        f"/planning/scenarios/{scenario.id}",
        f"/planning/scenarios/{scenario.id}/map.json",
    ):
        body = client.get(url).get_data(as_text=True)
        assert [w for w in (*LEAKS, "106.901", "10.974") if w in body] == [], url
    officer = services.item_views(db_session, Reader("75", True), scenario)
    assert any(not v.generalised for v in officer.values())


def test_coverage_page_shows_confidential_supply_only_at_its_generalised_point(
    client, auth, db_session, plans, shelter
):
    _login(auth, Role.VIEWER)
    page = client.get(
        "/planning/coverage?province=75&type_code=SHELTER&distance_km=15&level=commune"
    ).get_data(as_text=True)
    assert [w for w in LEAKS if w in page] == []


def test_cross_border_supply_is_limited_to_what_can_reach_the_province(db_session, plans):
    far = FacilityFactory(name="Cơ sở Hà Nội", province_code="01", lon=105.85, lat=21.03)
    near = register(db_session, "Cơ sở Biên Hòa", "GENERAL", (106.84, 10.95))
    db_session.flush()
    supply = services.supply_points(
        db_session, Reader(None, False), ["GENERAL"], province_code="75", distance_km=15
    )
    ids = {s.id for s in supply}
    assert near.id in ids
    assert far.id not in ids


def test_compare_with_an_unknown_plan_is_not_found(client, auth, db_session, plans):
    _login(auth, Role.PLANNER)
    a = services.create_scenario(
        db_session, name="A", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    b = services.create_scenario(
        db_session, name="B", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    response = client.get(f"/planning/compare?plan=KHONG-CO&ids={a.id}&ids={b.id}")
    assert response.status_code == 404
