"""Labels instead of codes: the vocabularies have a word for every code, citations name their
sources in words, and the pages an official reads (history, conflict, scenario, plans, audit,
check) show no stored code, ISO date or "tỉnh 75" in their visible text."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from registry import labels
from registry.auth.permissions import Role
from registry.facilities.vocab import (
    Category,
    FacilityLevel,
    LocationPrecision,
    LocationSource,
    Ownership,
    Status,
)
from registry.planning.models import ItemAction
from registry.planning.plan_schema import KIND_PARAMS, SEVERITIES
from registry.planning.rules.facts import Status as ResultStatus
from registry.planning.services.plans import TARGET_KEYS
from tests.conftest import AuthActions, csrf_token_from
from tests.factories import FacilityFactory, UserFactory

# Every stored code an official might be shown. Type codes are added from the database.
CODES = (
    {s.value for s in Ownership}
    | {s.value for s in Status}
    | {s.value for s in Category}
    | {s.value for s in FacilityLevel}
    | {s.value for s in LocationPrecision} - {"exact"}
    | {s.value for s in LocationSource}
    | {s.value for s in ItemAction}
    | {s.value for s in ResultStatus}
    | set(KIND_PARAMS)
    | set(SEVERITIES)
    | set(TARGET_KEYS)
    | {"unit_min", "True", "False", "None", "UTC"}
)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
PROVINCE_NUMBER = re.compile(r"\btỉnh\s+\d{2}\b", re.IGNORECASE)
INTERNAL_PATH = re.compile(r"shared/|README\.md|\.txt\b|\.yaml\b")
# Tokens: runs of letters, digits, "_" and "-" (so "75-GENERAL-9000", a facility code, is one).
TOKEN = re.compile(r"[\w\-]+")


class _Visible(HTMLParser):
    """The text a person sees: no attributes, no scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def raw_codes(text: str, codes: set[str]) -> list[str]:
    found = sorted({t for t in TOKEN.findall(text) if t in codes})
    found += ISO_DATE.findall(text) + PROVINCE_NUMBER.findall(text) + INTERNAL_PATH.findall(text)
    return found


# --- vocabularies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("ownership", [s.value for s in Ownership]),
        ("status", [s.value for s in Status]),
        ("category", [s.value for s in Category]),
        ("precision", [s.value for s in LocationPrecision]),
        ("location_source", [s.value for s in LocationSource]),
        ("item_action", [s.value for s in ItemAction]),
        ("result", [s.value for s in ResultStatus]),
        ("rule_kind", sorted(KIND_PARAMS)),
        ("severity", sorted(SEVERITIES)),
        ("target_key", [*TARGET_KEYS, "unit_min"]),
        ("levels", [s.value for s in FacilityLevel]),
    ],
)
def test_every_code_of_a_vocabulary_has_a_word(app, kind, codes):
    with app.test_request_context("/"):
        for code in codes:
            word = labels.label(kind, code)
            assert word, (kind, code)
            assert word != code, (kind, code)


def test_stored_values_read_as_words(app):
    names = labels.Names({"GENERAL": "Cơ sở trợ giúp xã hội tổng hợp"}, {"75": "Đồng Nai"})
    with app.test_request_context("/"):
        assert names.value("type_code", "GENERAL") == "Cơ sở trợ giúp xã hội tổng hợp"
        assert names.value("ownership", "public") == "Công lập"
        assert names.value("status", "operating") == "Đang hoạt động"
        assert names.value("is_demo", False) == "Không"
        assert names.value("is_demo", True) == "Có"
        assert names.value("opened_on", "2025-07-01") == "01/07/2025"
        assert names.value("opened_on", date(2025, 7, 1)) == "01/07/2025"
        assert names.value("province_code", "75") == "Đồng Nai"
        assert names.value("design_capacity", 1500) == "1.500"
        assert names.value("notes", None) == "—"


@pytest.mark.parametrize(
    "text",
    [
        "Danh mục và mã số các đơn vị hành chính Việt Nam (Quyết định 124/2004/QĐ-TTg), "
        "theo shared/domain/README.md §6",
        "Mục tiêu đến năm 2030 (theo shared/domain/README.md §1)",
        'shared/domain/README.md, "Rules a registry can check automatically" no. 2',
        "quy mô cơ sở theo giấy phép (điều khoản chưa được xác minh trong shared/domain/README.md)",
    ],
)
def test_citations_name_internal_sources_in_words(app, text):
    with app.test_request_context("/"):
        shown = labels.citation(text)
    assert not INTERNAL_PATH.search(shown), shown
    assert "tài liệu tổng hợp căn cứ pháp lý" in shown or "kiểm tra tự động" in shown


def test_section_numbers_become_section_titles(app):
    with app.test_request_context("/"):
        shown = labels.citation("Mục tiêu (theo shared/domain/README.md §6)")
    assert "Sắp xếp đơn vị hành chính năm 2025" in shown


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def pages(app, client, auth, db_session):
    """An administrator of Đồng Nai with a facility that has a history, a scenario with
    proposals, the plans loaded and one audit trail of each kind."""
    from registry.facilities import services as facility_services
    from registry.facilities.models import FacilityType
    from registry.planning import services as planning
    from registry.planning.models import ScenarioItem

    facility_services.load_types(db_session)
    planning.load_plans(db_session)
    user = UserFactory(role=Role.ADMIN, province_code="75")
    facility = FacilityFactory(province_code="75", opened_on=date(2010, 5, 1))
    db_session.flush()
    facility.ownership = Ownership.NON_PUBLIC
    facility.type_code = "ELDERLY" if db_session.get(FacilityType, "ELDERLY") else "GENERAL"
    facility.is_demo = True
    facility.status_changed_on = date(2025, 7, 1)
    db_session.flush()
    scenario = planning.create_scenario(
        db_session, name="Mở rộng", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    scenario.items.append(
        ScenarioItem(
            action=ItemAction.UPGRADE,
            facility_id=facility.id,
            name="Nâng cấp",
            type_code="GENERAL",
            lon=106.82,
            lat=10.95,
            province_code="75",
            design_capacity=500,
            new_status=Status.OPERATING,
        )
    )
    db_session.flush()
    auth.login(user)
    type_codes = {t.code for t in db_session.query(FacilityType)}
    plans = [p.code for p in planning.all_plans(db_session)]
    return {"facility": facility, "scenario": scenario, "plans": plans, "codes": CODES | type_codes}


def _check(client, url: str, codes: set[str]) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    text = visible_text(response.get_data(as_text=True))
    assert raw_codes(text, codes) == [], url
    return text


def test_history_audit_scenario_and_plan_pages_show_words_not_codes(client, pages):
    facility, codes = pages["facility"], pages["codes"]
    history = _check(client, f"/facilities/{facility.id}/history", codes)
    assert "Ngoài công lập" in history  # the ownership change, in words
    assert "01/07/2025" in history
    _check(client, "/audit/", codes)
    scenario = _check(client, f"/planning/scenarios/{pages['scenario'].id}", codes)
    assert "Đang hoạt động" in scenario
    for code in pages["plans"]:
        _check(client, f"/planning/plans/{code}", codes)


def test_check_page_cites_sources_in_words(client, pages):
    for code in pages["plans"]:
        response = client.get(f"/planning/check?plan={code}")
        assert response.status_code == 200
        text = visible_text(response.get_data(as_text=True))
        assert INTERNAL_PATH.findall(text) == [], code
        assert ISO_DATE.findall(text) == [], code


def test_conflict_page_shows_words_not_codes(app, client, db_session, pages):
    facility = pages["facility"]
    other = app.test_client()
    AuthActions(other).login(UserFactory(role=Role.ADMIN, province_code="75"))
    token_a = csrf_token_from(client.get(f"/facilities/{facility.id}/edit"))
    token_b = csrf_token_from(other.get(f"/facilities/{facility.id}/edit"))
    form = {
        "name": facility.name,
        "type_code": "GENERAL",
        "ownership": "public",
        "province_code": "75",
        "location_mode": "latlon",
        "lat": f"{facility.lat:.6f}",
        "lon": f"{facility.lon:.6f}",
        "status": "operating",
        "opened_on": "01/05/2010",
        "design_capacity": "400",
        "residents": "100",
        "version": str(facility.version),
    }
    assert (
        other.post(
            f"/facilities/{facility.id}/edit",
            data={**form, "residents": "200", "csrf_token": token_b},
        ).status_code
        == 302
    )
    response = client.post(
        f"/facilities/{facility.id}/edit", data={**form, "residents": "50", "csrf_token": token_a}
    )
    assert response.status_code == 409
    text = visible_text(response.get_data(as_text=True))
    assert raw_codes(text, pages["codes"]) == []
    assert "Công lập" in text


def test_plan_targets_name_their_units(client, auth, db_session):
    """A per-unit target shows the unit's name, not only its GSO code."""
    from registry.planning import services as planning

    planning.load_plans(db_session)
    auth.login(UserFactory(role=Role.ADMIN, province_code=None))
    page = client.get("/planning/plans/QD-1520-LDTBXH-2015").get_data(as_text=True)
    # Decision 1520's per-province targets: the unit cell names the province, code beside it.
    assert re.search(r"<td>[^<]*Đồng Nai\s*<span[^>]*>\(75\)</span></td>", page)
