"""No 5xx from bad input (issue 8, item 8): every GET route, its path filled with fuzzed values
of its converter's type and its query string built from the parameters the app reads, answers
below 500 for an administrator of Đồng Nai (75).

One test walks ``app.url_map``, so a new route is fuzzed without being listed here; each route
gets its own Hypothesis run and every failing route is reported, not only the first.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter, UnicodeConverter

from registry.auth.permissions import Role
from tests.factories import FacilityFactory, UserFactory

REGISTRY = Path(__file__).resolve().parent.parent / "registry"
EXAMPLES_PER_ROUTE = 40
# Routes not fuzzed, each with its reason. Keep this short: a route listed here is untested.
EXCLUDED: dict[str, str] = {}

# Every query parameter the app reads (checked against the source below), with values that
# get past the first checks so the fuzzing reaches deeper code too.
VALID: dict[str, list[str]] = {
    "province": ["75", "66", "01"],
    "district": ["731", "643"],
    "commune": ["26041", "00004"],
    "type": ["GENERAL", "ELDERLY"],
    "type_code": ["GENERAL", "ELDERLY"],
    "ownership": ["public", "non_public"],
    "status": ["operating", "planned", "closed"],
    "capacity_min": ["0", "100"],
    "capacity_max": ["500", "2147483647"],
    "q": ["Biên Hòa", "bao tro"],
    "bbox": ["106.5,10.5,107.5,11.5", "-180,-90,180,90"],
    "sort": ["name", "-capacity", "updated"],
    "page": ["1", "2"],
    "lat": ["10.95"],
    "lon": ["106.82"],
    "edition": ["2025", "pre2025"],
    "level": ["province", "district", "commune"],
    "plan": ["QD-1520-LDTBXH-2015", "DL-TGXH-2016-2020"],
    "scenario": ["{scenario}"],
    "as_of": ["31/12/2025", "01/01/2020"],
    "format": ["html", "json", "xlsx", "pdf"],
    "name": ["Cơ sở mới"],
    "distance_km": ["15", "0.1", "500"],
    "k": ["1", "3"],
    "model": ["mclp", "lscp"],
    "time_limit": ["1"],
    "ids": ["{scenario}"],
    "entity": ["facilities", "users"],
    "next": ["/facilities/", "//evil.example/", "https://evil.example/"],
    "lang": ["vi", "en"],
    # Investment: the portfolio filters and the new-project form's facility.
    "stage": ["construction", "handover"],
    "kind": ["upgrade", "repair"],
    "flag": ["stalled", "supervision_missing"],
    "facility": ["75-GENERAL-0001"],
    # The open interfaces: the API's page size and application state, OGC's format, paging,
    # time and property filters.
    "per_page": ["2", "100"],
    "state": ["received", "under_review"],
    "f": ["json", "html"],
    "limit": ["10", "10000"],
    "offset": ["0", "5"],
    "datetime": ["2020-01-01T00:00:00Z/..", "../2025-07-01", "2024-05-01"],
    "province_code": ["75"],
    "commune_code": ["26041"],
    # Coverage weighted by a demand layer (issue 15).
    "demand": ["1"],
}
PARAMS = sorted(VALID)
# Parameters a page checks first (a province the user covers, a layer that exists, a type).
GATES = {
    "province": "75",
    "edition": "2025",
    "level": "commune",
    "type_code": "GENERAL",
    "type": "GENERAL",
    "plan": "QD-1520-LDTBXH-2015",
}
NASTY = ["99999999999999999999999", "abc", "-1", "1e309", "nan", "\x00"]

JUNK = [
    "",
    " ",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "99999999999999999999999",
    "2147483648",
    "2147483647",
    "-1",
    "-2147483649",
    "0",
    "00",
    "1.5",
    "0x10",
    "1_000",
    "+7",
    "١٢",
    "𝟙𝟚",
    "½",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    "1; DROP TABLE facilities",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "a" * 5000,
    "9" * 5000,
    ",,,",
    "1,2,3",
    "nan,nan,nan,nan",
    "1e309,0,0,0",
    "-200,-100,200,100",
    "107,11,106,10",
    "31/02/2025",
    "99/99/99999",
    "00/00/0000",
    "2025-12-31",
    "Đồng Nai",
    "ĐỒNG NAI",
    "\u202e",
    "\ufeff",
    "😀",
]


def _value(name: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(VALID[name]),
        st.sampled_from(JUNK),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(max_size=40),
    )


QUERY = st.lists(
    st.sampled_from(PARAMS).flatmap(lambda name: st.tuples(st.just(name), _value(name))),
    max_size=6,
)


def _segment(converter, valid: list[str]) -> st.SearchStrategy[str]:
    """Fuzzed values for one path part, of the converter's type (and some that are not)."""
    strings = st.one_of(st.sampled_from(JUNK[:40]), st.text(min_size=1, max_size=40))
    if isinstance(converter, IntegerConverter):
        return st.one_of(
            st.sampled_from(valid),
            st.integers(min_value=-(10**25), max_value=10**25).map(str),
            st.sampled_from(
                [
                    "0",
                    "2147483647",
                    "2147483648",
                    "99999999999999999999",
                    "9" * 5000,
                    "-1",
                    "١٢",
                    "𝟙",
                ]
            ),
            strings,
        )
    if isinstance(converter, AnyConverter):
        return st.one_of(st.sampled_from(valid), strings)
    if isinstance(converter, PathConverter | UnicodeConverter):
        return st.one_of(st.sampled_from(valid), strings)
    return strings


# Values that reach a real record or file, per path argument name.
PATH_VALID = {
    "facility_id": ["{facility}"],
    "user_id": ["{user}"],
    "scenario_id": ["{scenario}"],
    "code": ["75", "QD-1520-LDTBXH-2015", "731", "26188"],
    "edition": ["2025", "pre2025"],
    "level": ["province", "district", "commune"],
    "fmt": ["csv", "xlsx", "geojson"],
    "filename": ["app.css", "leaflet.js", "css/bootstrap.min.css"],
    "lib": ["leaflet", "leaflet-markercluster"],
    "procedure_code": ["operating_licence", "small_facility"],
    "token": ["x" * 43],
    "index": ["0"],
    "collection_id": ["facilities", "admin-units-2025-commune", "admin-units-pre2025-district"],
    "feature_id": ["75-GENERAL-0001", "26041", "731"],
    "layer_id": ["1"],
}

_PLACEHOLDER = re.compile(r"<(?:[^<>:]+:)?(\w+)>")


def _get_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in EXCLUDED
    ]


def _setup(db_session) -> dict[str, str]:
    from registry.planning import services as planning

    user = UserFactory(role=Role.ADMIN, province_code="75")
    facility = FacilityFactory(province_code="75")
    planning.load_plans(db_session)
    scenario = planning.create_scenario(
        db_session, name="Fuzz", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    # Released into the outer (rolled-back) transaction: a request that fails and rolls back
    # its own work keeps the user and the records.
    db_session.commit()
    return {
        "user": str(user.id),
        "facility": str(facility.id),
        "scenario": str(scenario.id),
        "username": user.username,
    }


def _fill(value: str, ids: dict[str, str]) -> str:
    """``{facility}`` and the like stand for the records made for the test."""
    return ids.get(value[1:-1], value) if value[:1] == "{" and value[-1:] == "}" else value


def _url(rule, segments: dict[str, str], query: list[tuple[str, str]]) -> str:
    path = _PLACEHOLDER.sub(lambda m: quote(segments[m.group(1)], safe=""), rule.rule)
    return path + ("?" + urlencode(query) if query else "")


def _describe(rule, segments: dict[str, str], query: list[tuple[str, str]]) -> str:
    """The request for the report: long values cut, "every parameter" when all are one."""
    path = _PLACEHOLDER.sub(lambda m: quote(segments[m.group(1)][:40], safe=""), rule.rule)
    values = {v for k, v in query if k not in GATES}
    if len(query) == len(PARAMS) and len(values) == 1:
        gates = "valid gates, " if all(dict(query).get(k) == v for k, v in GATES.items()) else ""
        return f"{path} with {gates}every parameter = {next(iter(values))[:40]!r}"
    return path + ("?" + urlencode([(k, v[:40]) for k, v in query]) if query else "")


@pytest.fixture
def capped_optimiser(monkeypatch):
    """The siting page runs an optimiser for up to ``time_limit`` seconds (default 20): the
    form's parsing is fuzzed as it is, the solver gets at most one second."""
    from registry.planning import views

    real = views.services.suggest_sites

    def capped(*args, **kwargs):
        kwargs["time_limit_s"] = min(float(kwargs.get("time_limit_s") or 1), 1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(views.services, "suggest_sites", capped)


def _fuzz_route(client, db_session, rule, ids) -> str | None:
    """Run Hypothesis on one route; the failing URL and the error's summary, or None."""
    segments = st.fixed_dictionaries(
        {  # werkzeug keeps a rule's converters in _converters
            name: _segment(rule._converters[name], PATH_VALID.get(name, ["1"]))
            for name in sorted(rule.arguments)
        }
    )
    seen: list[str] = []

    # Shrinking is left out: it would multiply the run time, and the URL that failed is
    # reported as it was sent.
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(segments=segments, query=QUERY)
    def run(segments, query):
        filled = {k: _fill(v, ids) for k, v in segments.items()}
        query = [(k, _fill(v, ids)) for k, v in query]
        url = _url(rule, filled, query)
        try:
            response = client.get(url)
        except Exception as exc:  # TESTING propagates what would be a 500
            db_session.rollback()
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "/registry/" in f.filename][-3:]
            if frames and frames[-1] not in ours:
                ours.append(frames[-1])  # where it broke, in a library or a template
            where = ", ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in ours)
            seen.append(
                f"{_describe(rule, filled, query)}\n    {type(exc).__name__}: "
                f"{str(exc)[:200]}\n    at {where}"
            )
            raise AssertionError(seen[-1]) from exc
        response.close()  # files sent by static routes stay open otherwise
        if response.status_code >= 500:
            seen.append(f"{_describe(rule, filled, query)}\n    HTTP {response.status_code}")
            raise AssertionError(seen[-1])

    # Beside the random examples, on the route's valid path: the valid query values, then every
    # parameter at once set to each value that broke parsing before, with the parameters that
    # gate a page kept valid so the others are read (rare combinations, such as lat and lon
    # both infinite, are then always tried), and a few with no gate open.
    valid_segments = {name: PATH_VALID.get(name, ["1"])[0] for name in rule.arguments}
    explicit = [[(name, VALID[name][0]) for name in PARAMS]]
    for nasty in NASTY:
        explicit.append([(name, GATES.get(name, nasty)) for name in PARAMS])
    for nasty in NASTY[:2]:
        explicit.append([(name, nasty) for name in PARAMS])
    for query in explicit:
        run = example(segments=valid_segments, query=query)(run)
    try:
        run()
    except Exception:  # one failure, or a group of distinct ones
        if not seen:
            raise
        distinct: dict[str, str] = {}
        for report in seen:  # one request per kind of error and place it broke
            _request, error, *where = report.split("\n")
            distinct.setdefault(error.split(":")[0] + "".join(where), report)
        return "\n".join(f"{rule.endpoint}: {report}" for report in distinct.values())
    return None


def test_no_get_route_answers_a_server_error(app, client, auth, db_session, capped_optimiser):
    ids = _setup(db_session)
    auth.login(ids["username"])
    assert client.get("/facilities/").status_code == 200  # logged in: the routes are reached
    failures = [
        failure
        for rule in _get_rules(app)
        if (failure := _fuzz_route(client, db_session, rule, ids))
    ]
    assert failures == [], "server errors from bad input:\n" + "\n".join(failures)
    assert client.get("/facilities/").status_code == 200  # still logged in at the end


def test_the_fuzzed_parameters_are_all_the_app_reads():
    """A parameter read anywhere in ``registry/`` (``request.args``, the list filter's
    ``args``, or a form filled from ``request.args``) must be fuzzed above."""
    from registry.planning.forms import CheckForm, CoverageForm, SitingForm

    read: set[str] = set()
    pattern = re.compile(r"\bargs(?:\.get|\.getlist)?[(\[]\s*[\"'](\w+)[\"']")
    for path in REGISTRY.rglob("*.py"):
        read.update(pattern.findall(path.read_text(encoding="utf-8")))
    for form in (CheckForm, CoverageForm, SitingForm):  # built from request.args
        read.update(
            name for name in dir(form) if type(getattr(form, name)).__name__ == "UnboundField"
        )
    missing = sorted(read - set(PARAMS))
    assert missing == [], f"parameters the app reads that the fuzz test never sends: {missing}"
