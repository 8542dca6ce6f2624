"""OGC answers kept between requests: served again only under the generation they were built
under, only to the same reader scope, never while the reader's own session holds uncommitted
changes; the generation changes with every committed change to facilities, their types or
administrative units, and with nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from registry import freshness
from registry.auth.permissions import Role
from registry.extensions import cache
from tests.api.conftest import issue_token
from tests.api.test_ogc_features import SHELTER_POINT, seed  # noqa: F401  (the fixture)
from tests.factories import FacilityFactory, UserFactory

ITEMS = "/ogc/collections/facilities/items"


@pytest.fixture(autouse=True)
def _empty_cache(app):
    with app.app_context():
        cache.clear()
    yield
    with app.app_context():
        cache.clear()


def _kept_keys() -> set[str]:
    return {key for key in cache.cache._cache if key.startswith("ogc:")}  # SimpleCache


def _shelter(body: dict, code: str) -> dict:
    return next(f for f in body["features"] if f["id"] == code)


def test_the_generation_changes_with_committed_facility_changes_only(db_session):
    db_session.commit()
    before = freshness.current(db_session)
    assert before is not None
    facility = FacilityFactory(province_code="75")
    assert freshness.current(db_session) is None  # flushed, not committed: no token stands
    db_session.commit()
    after = freshness.current(db_session)
    assert after not in (None, before)
    UserFactory(role=Role.VIEWER, province_code="75")
    db_session.commit()
    assert freshness.current(db_session) == after  # a user is not what the read model reads
    facility.residents = (facility.residents or 0) + 1
    db_session.commit()
    assert freshness.current(db_session) not in (None, after)


def test_a_rolled_back_change_leaves_the_token(db_session):
    db_session.commit()
    before = freshness.current(db_session)
    nested = db_session.begin_nested()
    FacilityFactory(province_code="75")
    nested.rollback()
    assert freshness.current(db_session) in (None, before)


def test_items_are_kept_and_a_committed_change_is_seen_at_once(client, db_session, seed):  # noqa: F811
    db_session.commit()
    first = client.get(ITEMS)
    assert first.status_code == 200
    assert len(_kept_keys()) == 1
    again = client.get(ITEMS)
    assert again.get_data() == first.get_data()  # the kept answer, timeStamp and all
    assert len(_kept_keys()) == 1
    # An editor renames a facility and commits: the next answer shows the new name.
    from registry.facilities.models import Facility

    facility = db_session.get(Facility, seed["elderly"][0])
    facility.name = "Trung tâm dưỡng lão Biên Hòa (đổi tên)"
    db_session.commit()
    after = client.get(ITEMS).get_json()
    names = {f["id"]: f["properties"]["name"] for f in after["features"]}
    assert names[seed["elderly"][1]] == "Trung tâm dưỡng lão Biên Hòa (đổi tên)"
    assert len(_kept_keys()) == 2


def test_nothing_is_kept_while_the_session_holds_its_own_changes(client, db_session, seed):  # noqa: F811
    # The seed is flushed, not committed: what this session sees has no token yet.
    assert client.get(ITEMS).status_code == 200
    assert _kept_keys() == set()


def test_each_reader_scope_gets_its_own_answer(client, db_session, seed):  # noqa: F811
    """The same address asked by nobody, a permitted officer of Đồng Nai, a viewer of Đồng
    Nai and an administrator of Đắk Lắk: four answers, each the reader's own, however the
    requests are ordered."""
    officer = UserFactory(role=Role.LICENSING_OFFICER, province_code="75")
    viewer = UserFactory(role=Role.VIEWER, province_code="75")
    other = UserFactory(role=Role.ADMIN, province_code="66")
    secrets = {u: issue_token(db_session, u) for u in (officer, viewer, other)}
    db_session.commit()
    shelter = seed["shelter"][1]
    for _round in range(2):  # the second round is answered from the cache
        anonymous = client.get(ITEMS).get_json()
        assert _shelter(anonymous, shelter)["geometry"]["coordinates"] != list(SHELTER_POINT)
        assert "notes" not in _shelter(anonymous, shelter)["properties"]
        permitted = client.get(
            ITEMS, headers={"Authorization": f"Bearer {secrets[officer]}"}
        ).get_json()
        assert _shelter(permitted, shelter)["geometry"]["coordinates"] == list(SHELTER_POINT)
        assert _shelter(permitted, shelter)["properties"]["notes"] == "Cổng sau Kiwiplumq"
        generalised = client.get(
            ITEMS, headers={"Authorization": f"Bearer {secrets[viewer]}"}
        ).get_json()
        point = _shelter(generalised, shelter)["geometry"]["coordinates"]
        assert point != list(SHELTER_POINT)
        assert generalised["numberMatched"] == permitted["numberMatched"]
        dak_lak = client.get(
            ITEMS, headers={"Authorization": f"Bearer {secrets[other]}"}
        ).get_json()
        assert {f["id"] for f in dak_lak["features"]} == {seed["dak_lak"][1]}
    assert len(_kept_keys()) == 4


def test_a_client_that_has_the_answer_gets_304(client, db_session, seed):  # noqa: F811
    db_session.commit()
    first = client.get(f"{ITEMS}/{seed['elderly'][1]}")
    etag = first.headers["ETag"]
    second = client.get(f"{ITEMS}/{seed['elderly'][1]}", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.get_data() == b""
    FacilityFactory(province_code="75", opened_on=date(2020, 1, 1))
    db_session.commit()  # a new generation: the old ETag no longer matches
    third = client.get(f"{ITEMS}/{seed['elderly'][1]}", headers={"If-None-Match": etag})
    assert third.status_code == 200
    assert third.headers["ETag"] != etag


def test_html_pages_are_never_kept(client, auth, db_session, seed):  # noqa: F811
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    db_session.commit()
    assert client.get(f"{ITEMS}?f=html").status_code == 200
    assert client.get(f"/ogc/collections/facilities/items/{seed['elderly'][1]}?f=html")
    assert _kept_keys() == set()
