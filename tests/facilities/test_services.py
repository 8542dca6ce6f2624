from datetime import date

import pytest

from registry.audit.services import history_for
from registry.facilities import read, services
from registry.facilities.models import Facility, Status
from tests.facilities.conftest import BUON_MA_THUOT


def test_register_assigns_code_and_units(db_session, types, make_input):
    facility, warnings = services.register_facility(db_session, make_input(), actor_id=None)
    assert facility.code == "75-GENERAL-0001"
    assert facility.province_code == "75"
    assert facility.district_code == "731"  # Biên Hòa before 2025
    assert facility.old_province_code == "75"
    assert facility.commune_code is not None
    assert warnings == []
    assert [c.to_status for c in facility.status_changes] == [Status.OPERATING]


def test_codes_are_never_reused(db_session, types, make_input):
    first, _ = services.register_facility(db_session, make_input(), actor_id=None)
    db_session.delete(first)
    db_session.flush()
    second, _ = services.register_facility(db_session, make_input(name="Khác hẳn"), actor_id=None)
    assert second.code == "75-GENERAL-0002"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lon": 100.0, "lat": 13.7}, "location"),  # Bangkok
        ({"lon": BUON_MA_THUOT[0], "lat": BUON_MA_THUOT[1]}, "location"),  # Đắk Lắk, not 75
        ({"type_code": "NOPE"}, "type_code"),
    ],
)
def test_invalid_input_is_rejected_with_field_errors(
    db_session, types, make_input, overrides, field
):
    with pytest.raises(services.ValidationFailed) as info:
        services.register_facility(db_session, make_input(**overrides), actor_id=None)
    assert field in info.value.errors
    assert db_session.query(Facility).count() == 0


def test_residents_above_capacity_are_recorded_with_a_warning(db_session, types, make_input):
    """Overcrowding is a fact to record and flag (issue 9: a 500-place rehab centre holding
    1,447), not a reason to refuse the record."""
    facility, warnings = services.register_facility(
        db_session, make_input(design_capacity=500, residents=1447), actor_id=None
    )
    assert facility.residents == 1447
    assert len(warnings) == 1
    assert "1447" in warnings[0]
    assert read.get(db_session, read.SYSTEM, facility.id).over_capacity


@pytest.mark.parametrize("status", [Status.PLANNED, Status.OPERATING])
def test_no_type_design_range_is_enforced(db_session, types, make_input, status):
    """Decree 103 sets no capacity bound per type (issue 9): a 120-place general centre,
    planned or operating, registers without an error or a warning."""
    facility, warnings = services.register_facility(
        db_session, make_input(design_capacity=120, residents=0, status=status), actor_id=None
    )
    assert facility.id is not None
    assert warnings == []


def test_same_type_within_200_m_needs_confirmation(db_session, types, make_input):
    services.register_facility(db_session, make_input(name="Mái ấm Hoa Sen"), actor_id=None)
    near = make_input(name="Nhà dưỡng lão Bình An", lon=106.8210, lat=10.9510)  # ~120 m
    with pytest.raises(services.ValidationFailed) as info:
        services.register_facility(db_session, near, actor_id=None)
    assert [d.name for d in info.value.duplicates] == ["Mái ấm Hoa Sen"]
    assert info.value.errors == {}
    facility, _ = services.register_facility(
        db_session, near, actor_id=None, confirm_duplicates=True
    )
    assert facility.code == "75-GENERAL-0002"


def test_far_enough_same_type_is_not_a_duplicate(db_session, types, make_input):
    services.register_facility(db_session, make_input(name="Mái ấm Hoa Sen"), actor_id=None)
    far = make_input(name="Nhà dưỡng lão Bình An", lon=106.8250, lat=10.9500)  # ~550 m east
    services.register_facility(db_session, far, actor_id=None)


def test_similar_name_in_same_commune_needs_confirmation(db_session, types, make_input):
    services.register_facility(
        db_session,
        make_input(name="Trung tâm Công tác xã hội Biên Hòa", type_code="SOCIAL_WORK"),
        actor_id=None,
    )
    similar = make_input(
        name="Trung tam cong tac xa hoi Bien Hoa", type_code="GENERAL", lon=106.8230, lat=10.9530
    )
    with pytest.raises(services.ValidationFailed) as info:
        services.register_facility(db_session, similar, actor_id=None)
    assert len(info.value.duplicates) == 1


def test_stale_version_raises_conflict_and_writes_nothing(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    version_seen_by_both = facility.version
    services.update_facility(
        db_session,
        facility,
        make_input(residents=150),
        expected_version=version_seen_by_both,
        actor_id=None,
    )
    assert facility.residents == 150
    with pytest.raises(services.EditConflict):
        services.update_facility(
            db_session,
            facility,
            make_input(residents=99),
            expected_version=version_seen_by_both,
            actor_id=None,
        )
    db_session.refresh(facility)
    assert facility.residents == 150


def test_update_records_only_changed_fields(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    services.update_facility(
        db_session,
        facility,
        make_input(residents=130, staff=12),
        expected_version=facility.version,
        actor_id=None,
        reason="Kiểm tra",
    )
    event = history_for(db_session, "facilities", facility.id)[0]
    assert event.action == "update"
    assert set(event.changes) == {"residents", "staff"}
    assert event.changes["residents"] == [120, 130]
    assert event.reason == "Kiểm tra"


def test_status_change_needs_reason_and_allowed_transition(db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session, make_input(opened_on=date(2019, 5, 1)), actor_id=None
    )
    with pytest.raises(services.RegistryError):
        services.change_status(
            db_session,
            facility,
            Status.CLOSED,
            effective_on=date(2026, 1, 1),
            reason=" ",
            actor_id=None,
            expected_version=facility.version,
        )
    with pytest.raises(services.InvalidTransition):
        services.change_status(
            db_session,
            facility,
            Status.PLANNED,
            effective_on=date(2026, 1, 1),
            reason="x",
            actor_id=None,
            expected_version=facility.version,
        )
    services.change_status(
        db_session,
        facility,
        Status.CLOSED,
        effective_on=date(2026, 1, 31),
        reason="Sáp nhập",
        actor_id=None,
        expected_version=facility.version,
    )
    assert facility.closed_on == date(2026, 1, 31)
    on = read.statuses_on
    assert on(db_session, [facility.id], date(2026, 1, 30))[facility.id] is Status.OPERATING
    assert on(db_session, [facility.id], date(2026, 2, 1))[facility.id] is Status.CLOSED


def test_only_planned_facilities_move_on_the_map(db_session, types, make_input):
    existing, _ = services.register_facility(db_session, make_input(), actor_id=None)
    with pytest.raises(services.InvalidTransition):
        services.relocate_planned(
            db_session,
            existing,
            106.83,
            10.96,
            reason="x",
            actor_id=None,
            expected_version=existing.version,
        )
    planned, _ = services.register_facility(
        db_session,
        make_input(name="Dự kiến", status=Status.PLANNED, lon=106.86, lat=10.97),
        actor_id=None,
    )
    services.relocate_planned(
        db_session,
        planned,
        106.87,
        10.975,
        reason="Đất mới",
        actor_id=None,
        expected_version=planned.version,
    )
    assert (planned.lon, planned.lat) == (106.87, 10.975)
    assert history_for(db_session, "facilities", planned.id)[0].reason == "Đất mới"
