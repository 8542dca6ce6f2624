"""Leak hunter for confidential locations (shelters, victim support).

Seeds confidential facilities with distinctive exact points and invented address and notes
words, then, for every reader who may not see them (every role without
``facilities.view_confidential`` in the province, a holder of the permission in another
province), requests every GET route of the URL map (path parameters filled from the seed) and a
list of URLs with query strings that steer the outputs (filters, exports, coverage, siting,
plan checks in every format), decodes each body (HTML, JSON, CSV, GeoJSON, XLSX cells, PDF
text) and looks for the exact coordinates (3 to 6 decimals, point or comma) and the words.

The oracle tests then ask bounding-box, text and distance questions aimed at the exact point:
they may not tell more than the same questions aimed at the generalised point (the current
commune's representative point).

New routes are hunted automatically: a GET route whose path parameters have no filler in
``_fillers`` fails ``test_every_get_route_is_hunted`` and the hunt (add a filler there).
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from itertools import product
from urllib.parse import quote, unquote

import pytest
from pyproj import Geod
from werkzeug.routing.converters import AnyConverter

from registry.auth.permissions import Role
from registry.text import fold
from tests.factories import UserFactory

# --- the seed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretSpec:
    """A confidential place: its exact point and the words only permitted readers may see."""

    key: str
    lon: float
    lat: float
    province: str
    name: str
    address: str | None
    notes: str | None
    words: tuple[str, ...]  # the invented words of the address and the notes
    status: str = "operating"
    ownership: str = "public"


# Exact points chosen well inside their communes (over 1 km from every unit outline; the seed
# checks the outlines of the units that hold them) and more than 0.01° from the commune's
# representative point in both coordinates, so a 3-decimal match can only be the exact
# point. Boundary layers are written with 4 decimals, so one coordinate matched to 5
# decimals or more is a leak on its own; a boundary vertex is never near enough to be a pair.
SHELTER_A = SecretSpec(
    "A",
    106.91637,
    10.92874,
    "75",
    "Địa chỉ tin cậy Long Bình",
    "Hẻm Quỳnhxyz 17, ngõ Zebrawq",
    "Cổng sau mở bằng mã Kiwiplumq",
    ("Quỳnhxyz", "Zebrawq", "Kiwiplumq"),
    ownership="non_public",  # licensed: on the public register, and in licensing's pages
)
SHELTER_B = SecretSpec(
    "B",
    106.80027,
    10.95963,
    "75",
    "Nhà tạm lánh Trấn Biên",
    "Kiệt Tràmvoxy số 5",
    "Liên hệ chị Mangojuq trước khi đến",
    ("Tràmvoxy", "Mangojuq"),
    status="planned",
)
SHELTER_C = SecretSpec(  # another province: the jurisdiction rule
    "C",
    108.04427,
    12.71936,
    "66",
    "Nhà tạm lánh Buôn Ma Thuột",
    "Buôn Ếchdrazq, hẻm 3",
    "Chìa khóa gửi ông Pineqzol",
    ("Ếchdrazq", "Pineqzol"),
)
# A proposal (scenario item) of a confidential type: its point is as secret as a facility's.
PROPOSAL_P = SecretSpec("P", 106.88436, 10.97118, "75", "Nhà tạm lánh đề xuất", None, None, ())
FACILITY_SPECS = (SHELTER_A, SHELTER_B, SHELTER_C)
CONFIDENTIAL_TYPE = "SHELTER"
NO_SUCH_WORD = "Khongcoqzv"  # the text query at the "generalised" address (there is none)


@dataclass
class Place:
    spec: SecretSpec
    id: int | None
    code: str | None
    commune: str
    district: str | None
    rep: tuple[float, float]  # the commune's representative point: what readers may see


@dataclass
class Seed:
    places: dict[str, Place]
    scenarios: dict[str, int]
    plans: list[str]
    other_user_id: int
    licensing: dict[str, list[str]] = field(default_factory=dict)
    investment: dict[str, list[str]] = field(default_factory=dict)
    demand: dict[str, list[str]] = field(default_factory=dict)
    commune_points: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def codes(self) -> dict[str, str]:
        return {k: p.code for k, p in self.places.items() if p.code}


def _seed(db_session) -> Seed:
    from sqlalchemy import select

    from registry.facilities import services as facilities
    from registry.facilities.models import Ownership, Status
    from registry.geo import point, to_shapely
    from registry.geography.models import AdminUnit, Edition, Level
    from registry.geography.services import locate
    from registry.planning import services as planning
    from registry.planning.models import ItemAction

    places: dict[str, Place] = {}
    records = {}
    for spec in (*FACILITY_SPECS, PROPOSAL_P):
        where = locate(db_session, spec.lon, spec.lat)
        assert where.province is not None, spec
        assert where.province.code == spec.province, spec
        assert where.commune is not None, spec
        assert where.commune.rep_lon is not None, spec
        rep = (where.commune.rep_lon, where.commune.rep_lat)
        # The generalised point must differ at the 2nd decimal (no false 3-decimal match).
        assert abs(rep[0] - spec.lon) > 0.01, (spec, rep)
        assert abs(rep[1] - spec.lat) > 0.01, (spec, rep)
        here = point(spec.lon, spec.lat)
        for unit in (where.province, where.commune, where.old_province, where.district):
            if unit is not None and unit.geom is not None:
                # No boundary vertex near the exact point: a coordinate pair found in a
                # boundary layer can then only be a leak.
                assert to_shapely(unit.geom).boundary.distance(here) > 0.005, (spec, unit)
        record = None
        if spec is not PROPOSAL_P:
            data = facilities.FacilityInput(
                name=spec.name,
                type_code=CONFIDENTIAL_TYPE,
                ownership=Ownership(spec.ownership),
                province_code=spec.province,
                lon=spec.lon,
                lat=spec.lat,
                status=Status(spec.status),
                managing_body="Hội Liên hiệp Phụ nữ",
                address=spec.address,
                notes=spec.notes,
                design_capacity=20,
                residents=6 if spec.status == "operating" else None,
            )
            record, _warnings = facilities.register_facility(
                db_session, data, actor_id=None, confirm_duplicates=True
            )
            records[spec.key] = record
        places[spec.key] = Place(
            spec,
            record.id if record else None,
            record.code if record else None,
            where.commune.code,
            where.district.code if where.district else None,
            rep,
        )

    planning.load_plans(db_session)
    plans = sorted(p.code for p in planning.all_plans(db_session))
    s1 = planning.create_scenario(
        db_session,
        name="Kịch bản mạng lưới 2030",
        province_code="75",
        target_year=2030,
        notes=None,
        actor_id=None,
    )
    planning.add_item(
        db_session, s1, action=ItemAction.CAPACITY, facility=records["A"], design_capacity=40
    )
    planning.add_item(
        db_session, s1, action=ItemAction.UPGRADE, facility=records["B"], new_status="operating"
    )
    planning.add_item(
        db_session,
        s1,
        action=ItemAction.ADD,
        name=PROPOSAL_P.name,
        type_code=CONFIDENTIAL_TYPE,
        ownership="public",
        lon=PROPOSAL_P.lon,
        lat=PROPOSAL_P.lat,
        design_capacity=15,
    )
    s2 = planning.create_scenario(
        db_session,
        name="Kịch bản thu gọn",
        province_code="75",
        target_year=2030,
        notes=None,
        actor_id=None,
    )
    planning.add_item(db_session, s2, action=ItemAction.CLOSE, facility=records["A"])
    s66 = planning.create_scenario(
        db_session,
        name="Kịch bản Đắk Lắk",
        province_code="66",
        target_year=2030,
        notes=None,
        actor_id=None,
    )
    planning.add_item(
        db_session, s66, action=ItemAction.CAPACITY, facility=records["C"], design_capacity=30
    )
    other = UserFactory(role=Role.VIEWER, province_code="75")
    db_session.flush()
    licensing = _seed_licensing(db_session, records["A"].code)
    investment = _seed_investment(db_session, records["A"].id, records["C"].id)
    demand = _seed_demand(db_session, places["A"].commune)

    # Committed (into the test's outer transaction), as a site's data is: the answers the
    # open interfaces keep between requests are then kept during the hunt too.
    db_session.commit()
    communes = db_session.execute(
        select(AdminUnit.code, AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_code == "75",
        )
    )
    return Seed(
        places=places,
        scenarios={"s1": s1.id, "s2": s2.id, "s66": s66.id},
        plans=plans,
        other_user_id=other.id,
        licensing=licensing,
        investment=investment,
        demand=demand,
        commune_points={c: (lon, lat) for c, lon, lat in communes if lon is not None},
    )


def _seed_licensing(db_session, code_a: str) -> dict[str, list[str]]:
    """Shelter A's operating licence: an application recorded at the counter with every
    document handed in, reviewed and approved, so the public register lists A and the
    licensing pages (officer and tracking link) have a real application to show."""
    from registry.licensing import services as licensing
    from registry.licensing.workflow import State

    proc = licensing.procedure("operating_licence")
    officer = UserFactory(role=Role.LICENSING_OFFICER, province_code="75")
    app, token = licensing.record_counter(
        db_session,
        licensing.ApplicationInput(
            procedure_code=proc.code,
            organisation="Hội Liên hiệp Phụ nữ",
            representative="Nguyễn Thị Hoa",
            facility_code=code_a,
            provided=tuple(d.code for d in proc.documents),
        ),
        actor=officer,
    )
    licensing.transition(db_session, app, State.UNDER_REVIEW, actor=officer, reason="Đủ hồ sơ")
    licence = licensing.approve(db_session, app, actor=officer, capacity=20)
    db_session.flush()
    return {
        "application_id": [str(app.id)],
        "licence_id": [str(licence.id)],
        "document_id": [str(d.id) for d in app.documents][:2],
        "token": [token],
    }


def _seed_investment(db_session, a_id: int, c_id: int) -> dict[str, list[str]]:
    """An upgrade project for shelter A (75) with a progress report, and one for C (66): the
    project pages, the portfolio map, the charts and the exports name the facility."""
    from datetime import date

    from registry.investment import services as investment
    from registry.investment.models import Kind

    national = UserFactory(role=Role.ADMIN, province_code=None)
    ids: dict[str, list[str]] = {"project_id": [], "report_id": []}
    for code, facility_id, province in (("DA-A", a_id, "75"), ("DA-C", c_id, "66")):
        project = investment.create_project(
            db_session,
            investment.ProjectInput(
                code=code,
                name=f"Nâng cấp {code}",
                kind=Kind.UPGRADE,
                province_code=province,
                facility_id=facility_id,
                owner="Sở Y tế",
                capacity_after=50,
            ),
            actor=national,
        )
        report = investment.add_progress(
            db_session,
            project,
            as_of=date(2025, 1, 1),
            physical_pct=20,
            narrative="Thi công móng",
            problems=None,
            actor=national,
        )
        ids["project_id"].append(str(project.id))
        ids["report_id"].append(str(report.id))
    db_session.flush()
    return ids


def _seed_demand(db_session, commune: str) -> dict[str, list[str]]:
    """A demand layer on shelter A's commune: its page, map, exports and the coverage it
    weighs. (The directory of A's commune is hunted through the fillers and map clicks.)"""
    from datetime import date

    from registry.demand import services as demand
    from registry.demand.vocab import Measure
    from registry.geography.models import Edition

    layer = demand.import_layer(
        db_session,
        f"Mã xã,Tổng số,Nam,Nữ\n{commune},3,1,2\n".encode(),
        "csv",
        demand.LayerInput(Measure.CHILDREN, "75", Edition.CURRENT, date(2025, 12, 31), "Thử"),
        actor="leak-hunter",
    )
    db_session.flush()
    return {"layer_id": [str(layer.id)]}


# --- readers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    role: Role
    province: str
    secrets: tuple[str, ...]  # the places whose exact point and words they may not see

    @property
    def label(self) -> str:
        return f"{self.role.value}@{self.province}"


ALL_SECRETS = ("A", "B", "P", "C")
READERS = [
    # No permission, in the province of A, B and P (C is another province's).
    *(
        Reader(role, "75", ALL_SECRETS)
        for role in (Role.PLANNER, Role.INVESTMENT_OFFICER, Role.REPORTER, Role.VIEWER)
    ),
    # The permission, but another province's jurisdiction: Đắk Lắk's admin for Đồng Nai's
    # places, Đồng Nai's admin for Đắk Lắk's shelter (an admin reaches every page a licensing
    # officer, the other role with the permission, does).
    Reader(Role.ADMIN, "66", ("A", "B", "P")),
    Reader(Role.ADMIN, "75", ("C",)),
]
NO_PERMISSION_75 = [r for r in READERS if r.province == "75" and "A" in r.secrets]


@pytest.fixture
def seed(db_session) -> Seed:
    return _seed(db_session)


def _login(auth, reader: Reader):
    user = UserFactory(role=reader.role, province_code=reader.province)
    response = auth.login(user)
    assert response.status_code == 302, f"login failed for {reader.label}"
    return user


# --- the URLs --------------------------------------------------------------------------------

# Static files and vendored libraries (the API documentation page's too) hold no registry data.
SKIP_ENDPOINTS = frozenset({"static", "bootstrap.static", "main.vendor", "api_docs.asset"})


def _fillers(seed: Seed) -> dict[str, list[str]]:
    """Values for path parameters: ``endpoint:name`` first, then ``name``. ``any(...)``
    parameters (formats) take every value their converter allows, with no filler."""
    from registry.geography.models import Edition, Level

    a = seed.places["A"]
    return {
        "facility_id": [str(p.id) for p in seed.places.values() if p.id],
        "scenario_id": [str(i) for i in seed.scenarios.values()],
        "user_id": [str(seed.other_user_id)],
        "edition": [e.value for e in Edition],
        "level": [lv.value for lv in Level],
        "planning.plan:code": seed.plans,
        "geography.unit:code": ["75", a.commune, a.district or "731"],
        # Licensing: shelter A's licence application (see _seed_licensing); no inspection
        # photos in the seed (a photo is an image, no text to hunt), so that page is a 404.
        **seed.licensing,
        **seed.investment,
        **seed.demand,
        **{
            f"referrals.{endpoint}:code": [a.commune, seed.places["C"].commune]
            for endpoint in ("commune", "commune_json", "public_commune", "public_commune_json")
        },
        "inspection_id": ["1"],
        "index": ["0"],
        "procedure_code": ["operating_licence", "small_facility"],
        # The open interfaces (issue 13): every OGC collection, the facilities by their
        # registry code, a unit by its GSO code; the API's units and plans by code.
        "collection_id": list(_ogc_collections()),
        "ogc.feature:collection_id": ["facilities", "admin-units-2025-commune"],
        "ogc.feature:feature_id": [*seed.codes.values(), a.commune],
        "api_geography.get_unit:code": ["75", a.commune, a.district or "731"],
        "api_planning.get_plan:code": seed.plans,
        "api_referrals.get_directory:code": [a.commune, seed.places["C"].commune],
    }


def _ogc_collections() -> list[str]:
    from registry.api.ogc_collections import COLLECTIONS

    return list(COLLECTIONS)


def _get_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in SKIP_ENDPOINTS
    ]


def _values_for(rule, arg: str, fillers: dict[str, list[str]]) -> list[str] | None:
    converter = rule._converters.get(arg)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    return fillers.get(f"{rule.endpoint}:{arg}") or fillers.get(arg)


def _route_urls(app, seed: Seed) -> tuple[list[str], list[str]]:
    """Every GET route with its path parameters filled; and the routes that could not be."""
    fillers = _fillers(seed)
    urls: list[str] = []
    unfilled: list[str] = []
    for rule in _get_rules(app):
        args = sorted(rule.arguments)
        choices = [_values_for(rule, arg, fillers) for arg in args]
        missing = [arg for arg, values in zip(args, choices, strict=True) if not values]
        if missing:
            unfilled.append(f"{rule.endpoint} {rule.rule} (no filler for {missing})")
            continue
        for combo in product(*choices):
            built = rule.build(dict(zip(args, combo, strict=True)), append_unknown=False)
            if built is not None:
                urls.append(built[1])
    return urls, unfilled


def _box(lon: float, lat: float, half: float) -> str:
    return f"{lon - half:.6f},{lat - half:.6f},{lon + half:.6f},{lat + half:.6f}"


def _extra_urls(seed: Seed) -> list[str]:
    """Query strings that steer outputs towards the confidential records."""
    a, c = seed.places["A"], seed.places["C"]
    s1, s2, s66 = seed.scenarios["s1"], seed.scenarios["s2"], seed.scenarios["s66"]
    open_ = "status=operating&status=planned"
    shelter = f"type={CONFIDENTIAL_TYPE}"
    urls = [
        f"/facilities/?{shelter}",
        f"/facilities/?province=75&{shelter}&{open_}",
        "/facilities/?sort=-updated",
        f"/facilities/?commune={a.commune}",
        f"/facilities/?district={a.district}",
        f"/facilities/?province=66&{open_}",
        f"/facilities/?bbox={_box(*a.rep, 0.05)}&{open_}",
        f"/facilities/?bbox={_box(*c.rep, 0.05)}&{open_}",
        f"/map/?{shelter}",
        f"/map/data?{shelter}&{open_}",
        "/map/data?province=66",
        f"/map/data?bbox={_box(*a.rep, 0.05)}&{open_}",
        f"/map/capacity?edition=2025&level=commune&{shelter}&{open_}",
        f"/map/capacity?edition=pre2025&level=district&{shelter}&{open_}",
        "/map/capacity?edition=2025&level=province",
        "/map/boundaries/2025/commune?province=75",
        f"/geography/lookup?lon={a.rep[0]}&lat={a.rep[1]}",
        "/audit/?entity=facilities",
        "/audit/?entity=scenario_items",
        f"/planning/scenarios/{s1}?type_code={CONFIDENTIAL_TYPE}",
        f"/planning/?scenario={s1}",
    ]
    for fmt in ("csv", "xlsx", "geojson"):
        urls += [
            f"/facilities/export.{fmt}?{shelter}&{open_}",
            f"/facilities/export.{fmt}?province=66&{open_}",
            f"/facilities/export.{fmt}?bbox={_box(*a.rep, 0.05)}&{open_}",
        ]
    # Every plan at once (no ``plan=``), in every format; a scenario run holds the registry
    # plus the proposals. Each run takes a while: one per format with the scenario.
    urls += [
        f"/planning/check?format={fmt}&scenario={s1}" for fmt in ("html", "json", "xlsx", "pdf")
    ]
    compare_plan = next((p for p in seed.plans if p.startswith("DN-")), seed.plans[0])
    urls.append(f"/planning/compare?ids={s1}&ids={s2}&plan={quote(compare_plan)}")
    for province, scenario in (("75", s1), ("66", s66)):
        base = f"province={province}&type_code={CONFIDENTIAL_TYPE}&distance_km=15"
        for level in ("commune", "district"):
            urls += [
                f"/planning/coverage?{base}&level={level}",
                f"/planning/coverage?{base}&level={level}&scenario={scenario}",
            ]
        urls += [
            f"/planning/siting?{base}&level=commune&model=mclp&k=2&time_limit=5"
            f"&scenario={scenario}",
            f"/planning/siting?{base}&level=commune&model=lscp&time_limit=5",
        ]
    # The open interfaces: the API's list with the HTML list's filters, the OGC items in
    # both formats and at the largest page, boxes and property filters at the places.
    items = "/ogc/collections/facilities/items"
    urls += [
        f"/api/v1/facilities?type={CONFIDENTIAL_TYPE}&{open_}&per_page=100",
        f"/api/v1/facilities?province=66&{open_}",
        f"/api/v1/facilities?commune={a.commune}",
        f"/api/v1/facilities?bbox={_box(*a.rep, 0.05)}&{open_}",
        f"/api/v1/facilities?bbox={_box(*c.rep, 0.05)}&{open_}",
        "/api/v1/facilities?sort=-updated",
        f"/api/v1/plan-checks?scenario={s1}",
        f"/api/v1/plan-checks?scenario={s66}",
        f"{items}?limit=10000",
        f"{items}?limit=10000&f=html",
        f"{items}?type_code={CONFIDENTIAL_TYPE}&f=json",
        f"{items}?type_code={CONFIDENTIAL_TYPE}&f=html",
        f"{items}?province_code=66&limit=100",
        f"{items}?commune_code={a.commune}",
        f"{items}?bbox={_box(*a.rep, 0.05)}",
        f"{items}?bbox={_box(*c.rep, 0.05)}&f=html",
        f"{items}?datetime=2020-01-01T00:00:00Z/..",
        "/ogc/collections/facilities?f=json",
        "/ogc/collections?f=json",
    ]
    # The referral directory: a map click on the exact points, the commune searched by name.
    layer = seed.demand["layer_id"][0]
    for spec in (a, c):
        urls += [
            f"/referrals/at.json?lon={spec.spec.lon}&lat={spec.spec.lat}",
            f"/referrals/at.json?lon={spec.rep[0]}&lat={spec.rep[1]}",
            f"/api/v1/referrals/communes?lon={spec.spec.lon}&lat={spec.spec.lat}",
        ]
    urls += [
        f"/referrals/?q={quote(SHELTER_A.name)}",
        f"/referrals/public/?q={quote(SHELTER_A.name)}",
        f"/api/v1/referrals/communes?q={quote(SHELTER_A.name)}",
        f"/planning/coverage?province=75&type_code={CONFIDENTIAL_TYPE}&distance_km=15"
        f"&level=commune&demand={layer}",
        "/demand/figures?province=75",
        "/demand/figures.csv?province=75",
    ]
    # Text queries with the secret words: the hunt ignores the word the URL itself carries.
    for spec in FACILITY_SPECS:
        for word in spec.words:
            urls += [
                f"/facilities/?q={quote(word)}",
                f"/map/data?q={quote(word)}",
                f"/facilities/export.csv?q={quote(word)}",
                f"/api/v1/facilities?q={quote(word)}",
                f"/referrals/?q={quote(word)}",
            ]
    return urls


def _interface_urls(urls: list[str]) -> list[str]:
    return [url for url in urls if url.startswith(("/api/", "/ogc"))]


# --- decoding bodies -------------------------------------------------------------------------

_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Body:
    """What a response shows, as text; ``json`` when numbers side by side are a point only
    inside one array or object (GeoJSON boundaries hold thousands of vertices)."""

    text: str
    json: bool = False


def decode(response) -> Body:
    """The readable content of a response: XLSX cell values (a row per line, cells
    tab-separated), PDF text, or the text with HTML entities, JSON ``\\u`` escapes and URL
    escapes undone."""
    data = response.get_data()
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pdf = PdfReader(io.BytesIO(data))
            return Body("\n".join(page.extract_text() or "" for page in pdf.pages))
    if data.startswith(b"PK"):
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                lines = [
                    "\t".join("" if v is None else str(v) for v in row)
                    for sheet in book.worksheets
                    for row in sheet.iter_rows(values_only=True)
                ]
            finally:
                book.close()
        return Body("\n".join(lines))
    text = data.decode("utf-8-sig", errors="replace")
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(text))
    if "%" in text:
        text += "\n" + unquote(text)
    return Body(text, json="json" in (response.mimetype or ""))


def body_text(response) -> str:
    return decode(response).text


# --- what counts as a leak -------------------------------------------------------------------

SINGLE_DECIMALS = 5  # a lone coordinate this precise is a leak (boundaries carry 4)
PAIR_WINDOW = 200  # at most this many characters between the two numbers of a point
# Any number with 3 decimals or more, point or comma; a comma before it separates it.
_NUMBER = re.compile(r"(?<![\d.])\d{1,3}[.,]\d{3,}")
# In JSON, two numbers are one point only within one array ([lon, lat]) or one object
# ("lon": x, "lat": y), not across vertices ("…, lat], [lon, …").
_JSON_PAIR_GAP = re.compile(r'\s*,\s*(?:"[^"\\]{1,40}"\s*:\s*)?\Z')


def _decimals_revealed(token: str, exact: float) -> int:
    """How many decimals (3 to 6) of ``exact`` the number ``token`` gives away, rounded or
    truncated; 0 for none."""
    text = token.replace(",", ".")
    whole, _, decimals = text.partition(".")
    full = f"{exact:.10f}"
    for k in (6, 5, 4, 3):
        if len(decimals) >= k and (
            f"{float(text):.{k}f}" == f"{exact:.{k}f}"
            or text[: len(whole) + 1 + k] == full[: len(whole) + 1 + k]
        ):
            return k
    return 0


def _coordinate_hits(text: str, exact: float) -> list[tuple[int, int, int, str]]:
    """(start, end, decimals revealed, token) for the numbers close to ``exact``."""
    whole, _, decimals = f"{exact:.6f}".partition(".")
    prefix = f"{whole}.{decimals[:2]}"
    if prefix not in text and prefix.replace(".", ",") not in text:
        return []  # the cheap test first: most bodies hold no such number
    # A literal start lets the regex engine skip ahead; the character before is checked here.
    pattern = re.compile(rf"{whole}[.,]{decimals[:2]}\d*")
    hits = []
    for match in pattern.finditer(text):
        if match.start() and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            continue  # part of a longer number
        k = _decimals_revealed(match.group(), exact)
        if k:
            hits.append((match.start(), match.end(), k, match.group()))
    return hits


def _neighbours(text: str, start: int, end: int) -> list[tuple[str, str]]:
    """The numbers just after and just before text[start:end], with what lies between."""
    out = []
    after = _NUMBER.search(text, end)
    if after is not None and after.start() - end <= PAIR_WINDOW:
        out.append((after.group(), text[end : after.start()]))
    before = list(_NUMBER.finditer(text, max(0, start - PAIR_WINDOW), start))
    if before:
        out.append((before[-1].group(), text[before[-1].end() : start]))
    return out


def coordinate_leaks(text: str, spec: SecretSpec, *, json: bool = False) -> list[str]:
    """The exact point of ``spec`` in the text: a longitude and a latitude side by side to 3
    decimals or more, or one of them alone to 5 or more."""
    singles: list[str] = []
    for axis, exact, other in (("lon", spec.lon, spec.lat), ("lat", spec.lat, spec.lon)):
        for start, end, k, token in _coordinate_hits(text, exact):
            if k >= SINGLE_DECIMALS:
                singles.append(f"{spec.key} {axis} {token} ({k} decimals)")
            for neighbour, gap in _neighbours(text, start, end):
                if json and not _JSON_PAIR_GAP.match(gap):
                    continue
                k_other = _decimals_revealed(neighbour, other)
                if k_other:
                    lon, lat = (token, neighbour) if axis == "lon" else (neighbour, token)
                    # The point says it all; lone coordinates are listed only without one.
                    return [f"{spec.key} point {lon}/{lat} ({min(k, k_other)} decimals)"]
    return sorted(set(singles))


_COMBINING = re.compile("[\u0300-\u036f]")


def fast_fold(text: str) -> str:
    """``registry.text.fold`` without its per-character loop (bodies run to megabytes)."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return _COMBINING.sub("", decomposed).replace("đ", "d")


def word_leaks(
    text: str, spec: SecretSpec, ignore: str = "", *, folded: str | None = None
) -> list[str]:
    folded = fast_fold(text) if folded is None else folded
    return [
        f"{spec.key} word {word!r}"
        for word in spec.words
        if fold(word) in folded and fold(word) not in ignore
    ]


def leaks_in(body: Body, specs: list[SecretSpec], url: str) -> list[str]:
    ignore = fold(unquote(url))  # a word the query itself carries is echoed, not leaked
    folded = fast_fold(body.text)
    out: list[str] = []
    for spec in specs:
        out += coordinate_leaks(body.text, spec, json=body.json)
        out += word_leaks(body.text, spec, ignore, folded=folded)
    return out


def _fetch(client, url: str):
    """The response, or the exception an unhandled error raised (a 5xx under test)."""
    try:
        return client.get(url, buffered=True), None
    except Exception as exc:  # the app under test raised: report it as a 5xx
        return None, f"{type(exc).__name__}: {exc}"


# --- the hunt --------------------------------------------------------------------------------


def test_every_get_route_is_hunted(app, seed):
    """A new GET route is hunted as soon as it exists; one whose path parameters cannot be
    filled from the seed fails here until ``_fillers`` learns them."""
    urls, unfilled = _route_urls(app, seed)
    assert unfilled == [], "GET routes the leak hunter cannot fill: " + "; ".join(unfilled)
    assert urls


def _assert_seed_survived(db_session) -> None:
    """A route that rolled the session back would have emptied the seed for every route hunted
    after it (the suite runs inside one transaction): the hunt would prove nothing."""
    from sqlalchemy import func, select

    from registry.facilities.models import Facility

    count = db_session.execute(select(func.count()).select_from(Facility)).scalar()
    assert count == len(FACILITY_SPECS), "a GET route rolled the session back mid-hunt"


@pytest.mark.parametrize("reader", READERS, ids=[r.label for r in READERS])
def test_no_route_leaks_a_confidential_location(app, client, auth, seed, reader, db_session):
    _login(auth, reader)
    routes, unfilled = _route_urls(app, seed)
    specs = [seed.places[key].spec for key in reader.secrets]
    problems: list[str] = [f"unfilled route {u}" for u in unfilled]
    seen = 0
    for url in dict.fromkeys(routes + _extra_urls(seed)):
        response, error = _fetch(client, url)
        if error is not None:
            problems.append(f"{url} [{reader.label}] raised {error}")
            continue
        if response.status_code >= 500:
            problems.append(f"{url} [{reader.label}] HTTP {response.status_code}")
            continue
        if response.status_code in (403, 404):
            continue
        seen += 1
        leaks = leaks_in(decode(response), specs, url)
        if leaks:
            problems.append(
                f"{url} [{reader.label}] HTTP {response.status_code}: " + "; ".join(leaks)
            )
    assert seen > 20, f"only {seen} responses were readable: is {reader.label} logged in?"
    _assert_seed_survived(db_session)
    if problems:
        pytest.fail(
            f"{len(problems)} URLs leak to {reader.label}:\n  " + "\n  ".join(problems),
            pytrace=False,
        )


@pytest.mark.parametrize("reader", READERS, ids=[r.label for r in READERS])
def test_no_interface_leaks_to_a_token(app, client, seed, reader, db_session):
    """The API and OGC routes called as another system does, with the reader's own token and
    no browser session: the same readers, the same secrets."""
    from tests.api.conftest import issue_token

    user = UserFactory(role=reader.role, province_code=reader.province)
    headers = {"Authorization": f"Bearer {issue_token(db_session, user)}"}
    routes, _unfilled = _route_urls(app, seed)
    specs = [seed.places[key].spec for key in reader.secrets]
    problems: list[str] = []
    seen = 0
    for url in dict.fromkeys(_interface_urls(routes + _extra_urls(seed))):
        response = client.get(url, headers=headers, buffered=True)
        if response.status_code >= 500:
            problems.append(f"{url} [{reader.label}] HTTP {response.status_code}")
            continue
        if response.status_code in (403, 404):
            continue
        assert response.status_code != 401, f"{url}: the token was refused"
        seen += 1
        leaks = leaks_in(decode(response), specs, url)
        if leaks:
            problems.append(f"{url} [{reader.label}]: " + "; ".join(leaks))
    assert seen > 20, seen
    _assert_seed_survived(db_session)
    assert problems == [], "\n".join(problems)


def test_the_hunter_sees_what_a_permitted_reader_sees(client, auth, seed):
    """Positive control: a Đồng Nai admin (permission, jurisdiction) sees the exact point,
    the address and the notes, and the hunter finds them."""
    _login(auth, Reader(Role.ADMIN, "75", ()))
    a = seed.places["A"]
    response = client.get(f"/facilities/{a.id}")
    assert response.status_code == 200
    text = body_text(response)
    found = coordinate_leaks(text, a.spec)
    assert any("point" in f for f in found), found
    assert any("(6 decimals)" in f for f in found), found
    assert {f.split("word ")[1] for f in word_leaks(text, a.spec)} == {
        repr(w) for w in a.spec.words
    }
    assert a.code in _codes(client, f"/facilities/?q={quote('Zebrawq')}", seed)
    assert a.code in _codes(client, f"/facilities/?bbox={_box(a.spec.lon, a.spec.lat, 5e-5)}", seed)
    assert coordinate_leaks(f"{a.rep[0]:.6f}, {a.rep[1]:.6f}", a.spec) == []
    # Every export format decodes, and shows the permitted reader the exact place.
    for fmt in ("csv", "xlsx", "geojson"):
        text = body_text(client.get(f"/facilities/export.{fmt}?type={CONFIDENTIAL_TYPE}"))
        assert coordinate_leaks(text, a.spec), fmt
        assert len(word_leaks(text, a.spec)) == len(a.spec.words), fmt
    pdf = body_text(client.get("/planning/check?format=pdf"))
    assert any(code in pdf for code in seed.plans), pdf[:500]
    # The open interfaces give the permitted reader the exact point too.
    for url in (
        f"/api/v1/facilities/{a.id}",
        f"/api/v1/facilities?type={CONFIDENTIAL_TYPE}",
        f"/ogc/collections/facilities/items/{a.code}",
        f"/ogc/collections/facilities/items?type_code={CONFIDENTIAL_TYPE}",
    ):
        found = coordinate_leaks(body_text(client.get(url)), a.spec, json=True)
        assert any("(5 decimals)" in f or "(6 decimals)" in f for f in found), (url, found)


def test_the_detector_reads_every_form_of_a_coordinate():
    a = SHELTER_A
    assert coordinate_leaks("[106.91637,10.92874]", a) == [
        "A point 106.91637/10.92874 (5 decimals)"
    ]
    assert coordinate_leaks("Kinh độ 106,916; vĩ độ 10,929", a) == [
        "A point 106,916/10,929 (3 decimals)"
    ]
    assert coordinate_leaks("lon 106.916370", a) == ["A lon 106.916370 (6 decimals)"]
    assert coordinate_leaks("106.9164 alone", a) == []  # 4 decimals alone: boundary vertices
    assert coordinate_leaks("106.915, 10.928 and 1106.91637", a) == []
    assert coordinate_leaks('{"lat": 10.92874, "lon": 106.9164}', a, json=True) == [
        "A point 106.9164/10.92874 (4 decimals)"
    ]
    # Neighbouring vertices of a boundary are not a point: "…, lat], [lon, …".
    assert coordinate_leaks("[[106.7,10.9287],[106.9164,10.99]]", a, json=True) == []
    assert word_leaks("HẺM QUỲNHXYZ", a) == ["A word 'Quỳnhxyz'"]
    assert word_leaks("hem quynhxyz", a) == ["A word 'Quỳnhxyz'"]


# --- oracles: questions aimed at the exact point ---------------------------------------------

TEN_METRES = 5e-5  # half the side of a box of about 10 m


def _codes(client, url: str, seed: Seed) -> set[str]:
    response = client.get(url)
    if response.status_code in (403, 404):
        return set()
    assert response.status_code == 200, (url, response.status_code)
    text = body_text(response)
    return {
        code
        for code in seed.codes.values()
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)
    }


BOX_URLS = (
    "/facilities/?bbox={box}&{open}",
    "/facilities/export.geojson?bbox={box}&{open}",
    "/facilities/export.csv?bbox={box}&{open}",
    "/map/data?bbox={box}&{open}",
    "/api/v1/facilities?bbox={box}&{open}",
    "/ogc/collections/facilities/items?bbox={box}",
)
TEXT_URLS = (
    "/facilities/?q={q}",
    "/facilities/export.csv?q={q}",
    "/map/data?q={q}",
    "/facilities/export.geojson?q={q}",
    "/api/v1/facilities?q={q}",
)


@pytest.mark.parametrize("reader", READERS, ids=[r.label for r in READERS])
def test_bbox_and_text_queries_tell_no_more_than_the_generalised_point(client, auth, seed, reader):
    _login(auth, reader)
    open_ = "status=operating&status=planned"
    problems = []
    for key in reader.secrets:
        place = seed.places[key]
        if place.code is None:
            continue
        for template in BOX_URLS:
            at_exact = template.format(
                box=_box(place.spec.lon, place.spec.lat, TEN_METRES), open=open_
            )
            at_shown = template.format(box=_box(*place.rep, TEN_METRES), open=open_)
            exact, shown = _codes(client, at_exact, seed), _codes(client, at_shown, seed)
            if place.code in exact:
                problems.append(f"{at_exact}: a 10 m box at {key}'s exact point finds it")
            if not exact <= shown:
                problems.append(
                    f"{at_exact}: finds {sorted(exact - shown)}, more than the "
                    f"same box at the generalised point ({sorted(shown)})"
                )
        for word in place.spec.words:
            for template in TEXT_URLS:
                url = template.format(q=quote(word))
                found = _codes(client, url, seed)
                control = _codes(client, template.format(q=NO_SUCH_WORD), seed)
                if place.code in found or not found <= control:
                    problems.append(
                        f"{url}: the withheld word {word!r} of {key} finds {sorted(found)}"
                    )
    if problems:
        pytest.fail(f"{reader.label}:\n  " + "\n  ".join(problems), pytrace=False)


_GEOD = Geod(ellps="WGS84")
_ROW = re.compile(r"\((\d{5})\)</td>.*?<td>([^<]*)</td></tr>", re.DOTALL)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return _GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000


@pytest.mark.parametrize("reader", NO_PERMISSION_75, ids=[r.label for r in NO_PERMISSION_75])
@pytest.mark.parametrize("with_scenario", [False, True], ids=["registry", "scenario"])
def test_coverage_distances_are_measured_from_the_generalised_point(
    client, auth, seed, reader, with_scenario
):
    """The coverage table's nearest-facility distance of each commune: never the distance to
    an exact point where it differs from the distance to the generalised one."""
    _login(auth, reader)
    url = (
        f"/planning/coverage?province=75&type_code={CONFIDENTIAL_TYPE}&distance_km=15&level=commune"
    )
    supply = ["A", "C"]  # operating shelters; the scenario opens B and proposes P
    if with_scenario:
        url += f"&scenario={seed.scenarios['s1']}"
        supply += ["B", "P"]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    rows = dict(_ROW.findall(response.get_data(as_text=True)))
    assert set(rows) == set(seed.commune_points), "the coverage table was not found"
    exact_points = [(seed.places[k].spec.lon, seed.places[k].spec.lat) for k in supply]
    shown_points = [seed.places[k].rep for k in supply]
    telling = []
    for commune, here in seed.commune_points.items():
        exact = f"{min(_km(here, p) for p in exact_points):.1f}"
        shown = f"{min(_km(here, p) for p in shown_points):.1f}"
        if exact != shown and rows[commune].strip() == exact:
            telling.append((float(exact), f"{commune}: {exact} km (generalised: {shown} km)"))
    telling = [line for _km_, line in sorted(telling)]
    if telling:
        pytest.fail(
            f"{url} [{reader.label}]: {len(telling)} communes show the distance to an "
            "exact point: " + "; ".join(telling[:8]),
            pytrace=False,
        )


def test_the_public_pages_leak_nothing_to_the_anonymous(app, client, seed, db_session):
    """No login: every GET route (most answer with the login page) and the public licensing
    pages — the register lists shelter A's licence, at most with its commune, and the
    tracking link shows the application — carry neither A's exact point nor its words."""
    routes, _unfilled = _route_urls(app, seed)
    specs = [seed.places[key].spec for key in ALL_SECRETS]
    problems: list[str] = []
    for url in dict.fromkeys(routes + _extra_urls(seed) + ["/licensing/register?q=Long+B"]):
        response, error = _fetch(client, url)
        if error is not None or response.status_code >= 500:
            problems.append(f"{url} raised {error or response.status_code}")
            continue
        if response.status_code == 200:
            problems += [f"{url}: {leak}" for leak in leaks_in(decode(response), specs, url)]
    assert problems == [], "\n".join(problems)
    _assert_seed_survived(db_session)
    register = body_text(client.get("/licensing/register"))
    assert SHELTER_A.name in register  # the positive control: A is on the register
    assert SHELTER_A.name in body_text(client.get("/licensing/register.csv"))
    token = seed.licensing["token"][0]
    assert client.get(f"/licensing/track/{token}").status_code == 200


def test_another_provinces_licensing_officer_cannot_open_the_application(client, auth, seed):
    _login(auth, Reader(Role.LICENSING_OFFICER, "66", ALL_SECRETS))
    app_id = seed.licensing["application_id"][0]
    assert client.get(f"/licensing/applications/{app_id}").status_code == 404
    assert SHELTER_A.name not in body_text(client.get("/licensing/"))
