"""VN-2000 provincial zone coordinates: operation choice, accuracy and input checks."""

import csv
import math
import re
from pathlib import Path

import pytest
from pyproj import CRS, Geod, Transformer
from pyproj.crs import CoordinateOperation
from pyproj.database import query_crs_info
from pyproj.transformer import TransformerGroup

from registry.text import fold
from registry.vn2000 import (
    PROVINCE_MERIDIANS,
    TRANSFORMATION_CODE,
    TRANSFORMATION_NAME,
    format_meridian,
    looks_swapped,
    parse_meridian,
    surveying_order,
    vn2000_to_wgs84,
    wgs84_to_vn2000,
    zone_crs,
    zone_transformer,
)

GEOD = Geod(ellps="WGS84")
ADMIN_UNITS_CSV = Path(__file__).resolve().parents[1] / "data/boundaries/vn_admin_units_pre2025.csv"

# (lon, lat, province code): one point in each of several provinces and zones.
SAMPLE_POINTS = [
    (106.82, 10.95, "75"),  # Biên Hòa, Đồng Nai
    (108.05, 12.67, "66"),  # Buôn Ma Thuột, Đắk Lắk
    (105.85, 21.03, "01"),  # Hà Nội
    (106.70, 10.78, "79"),  # Hồ Chí Minh City
    (104.75, 8.70, "96"),  # Cà Mau peninsula
    (103.10, 21.39, "11"),  # Điện Biên Phủ
    (109.20, 12.25, "56"),  # Nha Trang, Khánh Hòa
]


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def _pinned_operation() -> CoordinateOperation:
    return CoordinateOperation.from_epsg(TRANSFORMATION_CODE)


def _operation_codes(transformer: Transformer) -> set[int]:
    codes = set()
    for operation in transformer.operations or ():
        ident = operation.to_json_dict().get("id") or {}
        if ident.get("authority") == "EPSG":
            codes.add(ident["code"])
    return codes


# --- which operation is used -------------------------------------------------------------


def test_pinned_operation_holds_the_published_national_parameters():
    operation = _pinned_operation()
    values = {param.code: param.value for param in operation.params}

    assert operation.name == TRANSFORMATION_NAME
    assert operation.method_name.startswith("Coordinate Frame rotation")
    assert values["8605"] == pytest.approx(-191.90441429, abs=1e-9)
    assert values["8606"] == pytest.approx(-39.30318279, abs=1e-9)
    assert values["8607"] == pytest.approx(-111.45032835, abs=1e-9)


@pytest.mark.parametrize("meridian", [107.75, 108.5, 105.0])
def test_pyproj_ranks_the_national_helmert_first_and_the_module_uses_it(meridian):
    group = TransformerGroup(zone_crs(meridian), "EPSG:4326", always_xy=True)
    assert group.best_available
    assert TRANSFORMATION_CODE in _operation_codes(group.transformers[0])

    transformer = zone_transformer(meridian)
    assert TRANSFORMATION_CODE in _operation_codes(transformer)
    assert TRANSFORMATION_NAME in transformer.description
    assert "ballpark" not in transformer.description.lower()
    assert transformer.accuracy == pytest.approx(1.0)


def test_transformers_are_cached_per_meridian():
    assert zone_transformer(107.75) is zone_transformer(107.75)
    assert zone_transformer(107.75) is not zone_transformer(108.5)


@pytest.mark.parametrize(
    ("meridian", "epsg"), [(107.75, 5899), (108.5, 9218), (105.0, 5897), (105.75, 9210)]
)
def test_zone_crs_is_equivalent_to_the_epsg_tm3_crs(meridian, epsg):
    assert zone_crs(meridian).equals(CRS.from_epsg(epsg))


# --- province meridians --------------------------------------------------------------------


def _epsg_meridians_by_province() -> dict[str, set[float]]:
    """Compact province name -> meridians, from the areas of use of EPSG's VN-2000 TM-3 CRSs."""
    found: dict[str, set[float]] = {}
    for info in query_crs_info(auth_name="EPSG"):
        if not info.name.startswith("VN-2000 / TM-3"):
            continue
        crs = CRS.from_epsg(int(info.code))
        meridian = next(p.value for p in crs.coordinate_operation.params if p.code == "8802")
        area = info.area_of_use.name.removeprefix("Vietnam - ")
        for part in re.split(r";|,| and ", area):
            name = re.sub(r"\b(provinces?|city|cities|municipality)\b", "", part)
            key = re.sub(r"[^a-z]", "", fold(name))
            if key:
                found.setdefault(key, set()).add(meridian)
    return found


def test_every_province_meridian_agrees_with_the_epsg_dataset():
    epsg = _epsg_meridians_by_province()
    with ADMIN_UNITS_CSV.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["level"] == "province"]
    names = {row["code"]: row["name"] for row in rows}
    aliases = {"hue": "thuathienhue"}  # EPSG still says "Thua Thien-Hue"

    assert set(PROVINCE_MERIDIANS) == set(names)  # all 63 pre-2025 provinces
    for code, meridian in PROVINCE_MERIDIANS.items():
        key = re.sub(r"[^a-z]", "", fold(names[code]))
        assert epsg.get(aliases.get(key, key)) == {meridian}, names[code]


def test_registry_provinces_use_the_meridians_cited_in_the_recipes():
    assert PROVINCE_MERIDIANS["75"] == parse_meridian("107°45'")  # Đồng Nai
    assert PROVINCE_MERIDIANS["66"] == parse_meridian("108°30'")  # Đắk Lắk


# --- accuracy ------------------------------------------------------------------------------


@pytest.mark.parametrize(("lon", "lat", "province"), SAMPLE_POINTS)
def test_wgs84_round_trip_is_within_a_millimetre(lon, lat, province):
    meridian = PROVINCE_MERIDIANS[province]
    x, y = wgs84_to_vn2000(lon, lat, meridian)
    lon2, lat2 = vn2000_to_wgs84(x, y, meridian)
    assert _distance_m(lon, lat, lon2, lat2) < 0.001

    x2, y2 = wgs84_to_vn2000(lon2, lat2, meridian)
    assert math.hypot(x2 - x, y2 - y) < 0.001


@pytest.mark.parametrize(("lon", "lat", "province"), SAMPLE_POINTS)
def test_datum_shift_is_the_published_translation_seen_on_the_ground(lon, lat, province):
    """The same lon/lat on the VN-2000 and on the WGS 84 datum are about 225 m apart.

    Both datums use the WGS 84 ellipsoid, so the shift is the Helmert's translation vector
    (|T| = 225.5 m, read from PROJ) projected on the local horizontal plane; rotations
    (< 0.02") and scale (0.25 ppm) add under a metre, and grid convergence within a province
    zone turns the 225 m vector by under 0.4°, about 1.5 m. Hence the 2 m tolerance.
    """
    meridian = PROVINCE_MERIDIANS[province]
    values = {param.code: param.value for param in _pinned_operation().params}
    tx, ty, tz = values["8605"], values["8606"], values["8607"]
    lam, phi = math.radians(lon), math.radians(lat)
    east = -math.sin(lam) * tx + math.cos(lam) * ty
    north = -math.sin(phi) * math.cos(lam) * tx - math.sin(phi) * math.sin(lam) * ty
    north += math.cos(phi) * tz

    x, y = wgs84_to_vn2000(lon, lat, meridian)
    # The same numbers taken as VN-2000 lon/lat: projection only, no datum change.
    e0, n0 = Transformer.from_crs("EPSG:4756", zone_crs(meridian), always_xy=True).transform(
        lon, lat
    )

    # A WGS 84 point has VN-2000 coordinates displaced by minus the shift.
    assert y - e0 == pytest.approx(-east, abs=2.0)
    assert x - n0 == pytest.approx(-north, abs=2.0)
    assert 215.0 < math.hypot(y - e0, x - n0) < 235.0


def _explicit_pipeline(meridian: float) -> Transformer:
    """The zone → WGS 84 chain written out step by step, with PROJ's EPSG:6960 parameters."""
    operation = _pinned_operation()
    assert operation.method_name.startswith("Coordinate Frame rotation")
    keys = {
        "8605": "x",
        "8606": "y",
        "8607": "z",
        "8608": "rx",
        "8609": "ry",
        "8610": "rz",
        "8611": "s",
    }
    units = {
        "x": "metre",
        "y": "metre",
        "z": "metre",
        "rx": "arc-second",
        "ry": "arc-second",
        "rz": "arc-second",
        "s": "parts per million",
    }  # PROJ helmert's own units
    helmert = []
    for param in operation.params:
        key = keys[param.code]
        assert param.unit_name == units[key]
        helmert.append(f"+{key}={param.value!r}")
    return Transformer.from_pipeline(
        " ".join(
            [
                "+proj=pipeline",
                f"+step +inv +proj=tmerc +lat_0=0 +lon_0={meridian!r} +k=0.9999",
                "+x_0=500000 +y_0=0 +ellps=WGS84",
                "+step +proj=cart +ellps=WGS84",
                "+step +proj=helmert",
                *helmert,
                "+convention=coordinate_frame",
                "+step +inv +proj=cart +ellps=WGS84",
                "+step +proj=unitconvert +xy_in=rad +xy_out=deg",
            ]
        )
    )


@pytest.mark.parametrize(
    ("x", "y", "meridian"),
    [
        (1_211_084.0, 398_156.0, 107.75),  # Biên Hòa
        (1_401_500.0, 450_000.0, 108.5),  # Buôn Ma Thuột
        (2_326_000.0, 589_000.0, 105.0),  # Hà Nội
        (962_000.0, 525_000.0, 104.5),  # Cà Mau
        # Outside the area of use of EPSG:6960 (it ends at 109.53°E): PROJ's automatic choice
        # would fall back to a ballpark shift here; the pinned operation must still apply.
        (1_826_000.0, 952_000.0, 107.75),  # Paracel Islands, about 112°E
    ],
)
def test_matches_an_explicit_helmert_pipeline_within_a_centimetre(x, y, meridian):
    lon, lat = vn2000_to_wgs84(x, y, meridian)
    lon_ref, lat_ref = _explicit_pipeline(meridian).transform(y, x)
    assert _distance_m(lon, lat, lon_ref, lat_ref) < 0.01


def test_offshore_result_is_not_a_ballpark_shift():
    x, y, meridian = 1_826_000.0, 952_000.0, 107.75
    lon, lat = vn2000_to_wgs84(x, y, meridian)
    ballpark_lon, ballpark_lat = Transformer.from_crs(
        zone_crs(meridian), "EPSG:4756", always_xy=True
    ).transform(y, x)  # what a null datum shift would return
    assert 200.0 < _distance_m(lon, lat, ballpark_lon, ballpark_lat) < 250.0


def test_bien_hoa_lies_west_of_the_dong_nai_zone_meridian():
    """Biên Hòa (106.82°E, 10.95°N) in the 107°45' zone.

    Hand estimate: 0.93° west of the meridian at cos(10.95°) = 0.982 is about 101.6 km, so the
    easting is near 398.4 km; the meridian arc to 10.95°N is about 1 210.9 km, plus 0.16 km of
    transverse Mercator term. The datum shift moves both by about 0.2 km; allow ±1.5 km.
    """
    x, y = wgs84_to_vn2000(106.82, 10.95, PROVINCE_MERIDIANS["75"])
    assert 396_900 < y < 399_900
    assert 1_209_500 < x < 1_212_500


# --- input checks --------------------------------------------------------------------------


def test_detects_easting_and_northing_typed_the_gis_way_round():
    northing, easting = 1_211_084.2, 398_156.5
    assert not looks_swapped(northing, easting)
    assert looks_swapped(easting, northing)
    assert surveying_order(easting, northing) == (northing, easting)
    assert surveying_order(northing, easting) == (northing, easting)


def test_swapped_input_is_rejected_with_a_hint():
    with pytest.raises(ValueError, match="look swapped"):
        vn2000_to_wgs84(398_156.5, 1_211_084.2, 107.75)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (500_000.0, 500_000.0),  # 4.5°N: south of Cà Mau
        (1_211_084.0, 1_700_000.0),  # 1 200 km east of the meridian: beyond 118°E
        (2_800_000.0, 500_000.0),  # 25°N: China
    ],
)
def test_result_outside_vietnam_is_rejected(x, y):
    with pytest.raises(ValueError, match="outside Vietnam"):
        vn2000_to_wgs84(x, y, 107.75)


def test_wgs84_point_outside_vietnam_is_rejected():
    with pytest.raises(ValueError, match="outside Vietnam"):
        wgs84_to_vn2000(100.5, 13.75, 105.0)  # Bangkok


@pytest.mark.parametrize(
    ("x", "y", "meridian"),
    [(math.nan, 400_000.0, 107.75), (1_211_084.0, math.inf, 107.75), (1_211_084.0, 4e5, 90.0)],
)
def test_non_finite_input_and_foreign_meridians_are_rejected(x, y, meridian):
    with pytest.raises(ValueError):
        vn2000_to_wgs84(x, y, meridian)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("107°45'", 107.75),
        ("107°45\u2032", 107.75),
        ("107-45", 107.75),
        ("107 45", 107.75),
        ("107.75", 107.75),
        ("107,75", 107.75),
        ("108°30'00\"", 108.5),
        ("104°30' E", 104.5),
        ("105", 105.0),
    ],
)
def test_parse_meridian_reads_decimal_and_sexagesimal_forms(text, expected):
    assert parse_meridian(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "107°75'", "45", "107.75.1"])
def test_parse_meridian_rejects_nonsense(text):
    with pytest.raises(ValueError):
        parse_meridian(text)


def test_format_meridian_prints_degrees_and_minutes():
    assert format_meridian(107.75) == "107°45'"
    assert format_meridian(105.0) == "105°00'"


def test_values_outside_the_projection_domain_raise_value_error_not_proj_error():
    with pytest.raises(ValueError, match="outside the zone"):
        vn2000_to_wgs84(1_200_000.0, 1e12, 107.75)
