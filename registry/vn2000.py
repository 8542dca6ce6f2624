"""VN-2000 plane coordinates (provincial 3° transverse Mercator zones) to and from WGS 84.

Cadastral and construction drawings in Vietnam give positions on the national datum VN-2000
(EPSG:4756) in a 3° transverse Mercator zone: scale factor 0.9999, false easting 500 000 m,
false northing 0 and a central meridian fixed per province by Circular 973/2001/TCĐC-PTTĐ.

Axis naming follows Vietnamese surveying practice, which is the reverse of the GIS habit:

* ``x`` is the **northing** (metres from the equator, about 900 000-2 600 000 in Vietnam);
* ``y`` is the **easting** (metres, including the 500 000 m false easting, so roughly
  200 000-800 000).

Every public function here takes and returns ``(x, y)`` in that surveying order, while
geographic positions are ``(lon, lat)``. :func:`looks_swapped` and :func:`surveying_order`
catch the common mistake of typing the two values the GIS way round.

The datum shift is pinned to EPSG:6960 "VN-2000 to WGS 84 (2)", the 7-parameter
(coordinate frame) Helmert with the parameters published for the whole country (Decision
05/2007/QĐ-BTNMT); EPSG gives it an accuracy of 1 m (its scope field reads "Academic
research, not officially adopted"), which is ample for locating a facility. PROJ
would otherwise pick an operation per point by area of use: EPSG:5194 "VN-2000 to WGS 84 (1)"
(a Mekong-delta set) inside its box, which includes Biên Hòa, and a ballpark (null) shift
offshore, which is about 225 m wrong. Pinning keeps one, documented operation everywhere.
"""

from __future__ import annotations

import functools
import math
import re

from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import TransverseMercatorConversion
from pyproj.enums import TransformDirection
from pyproj.exceptions import ProjError
from pyproj.transformer import TransformerGroup

from registry.bounds import VIETNAM_BBOX


def N_(message: str) -> str:  # noqa: N802 - the marker pybabel extracts by this name
    """Marks a message for the translation catalogue; the caller translates it."""
    return message


class CoordinateError(ValueError):
    """Input that gives no position in Vietnam. ``parts`` are (message, parameters) pairs in
    English, marked for the catalogue, so a page can show them in the reader's language
    (``registry.i18n.coordinate_message``); ``str()`` is the English text."""

    def __init__(self, *parts: tuple[str, dict[str, object]]) -> None:
        self.parts = parts
        super().__init__(" ".join(message % shown(params) for message, params in parts))


#: Decimals shown for each number a message names (metres to the millimetre, degrees to ~1 m).
MESSAGE_DECIMALS = {
    "x": 3,
    "y": 3,
    "lon": 5,
    "lat": 5,
    "min_lon": 1,
    "max_lon": 1,
    "min_lat": 1,
    "max_lat": 1,
}


def shown(params: dict[str, object], *, point: str = ".", group: str = ",") -> dict[str, object]:
    """A message's numbers written for reading (``1,211,084.200``; Vietnamese passes
    ``point=","`` and ``group="."``); other values as they are."""
    out: dict[str, object] = {}
    for key, value in params.items():
        if isinstance(value, float) and math.isfinite(value):
            decimals = MESSAGE_DECIMALS.get(key, 0 if value.is_integer() else 2)
            text = f"{value:,.{decimals}f}"
            value = text.replace(",", "\x00").replace(".", point).replace("\x00", group)
        out[key] = value
    return out


VN2000_GEOGRAPHIC = "EPSG:4756"
WGS84_GEOGRAPHIC = "EPSG:4326"

#: The datum transformation used for every conversion (name and EPSG code as in PROJ's database).
TRANSFORMATION_NAME = "VN-2000 to WGS 84 (2)"
TRANSFORMATION_CODE = 6960

TM3_SCALE_FACTOR = 0.9999
UTM_SCALE_FACTOR = 0.9996
FALSE_EASTING = 500_000.0
FALSE_NORTHING = 0.0

# Refinement steps of wgs84_to_vn2000 (see there).
_INVERSE_STEPS = 1

# Mainland Vietnam with its islands, generously bounded (lon, lat); the same box as

# Plausible ranges of surveying coordinates in Vietnam, used only to spot swapped input.
EASTING_RANGE = (200_000.0, 800_000.0)
NORTHING_RANGE = (900_000.0, 2_600_000.0)

# Central meridians accepted from users: the westernmost 3° zone (102°, EPSG:5896) to the
# eastern islands.
MERIDIAN_RANGE = (102.0, 118.0)

# Central meridian (decimal degrees) of each province's 3° zone, keyed by the pre-2025 GSO
# province code, as set by the annex of Circular 973/2001/TCĐC-PTTĐ. Every value was checked
# against the EPSG dataset shipped with PROJ, whose "VN-2000 / TM-3 ..." CRSs list the
# provinces of each zone in their area of use (EPSG code in each comment); tests verify the
# table against that database. Provinces created after 2001 kept their parent's meridian
# (Điện Biên/Lai Châu, Đắk Lắk/Đắk Nông, Cần Thơ/Hậu Giang), as EPSG records. After the 2025
# merger a new province can span two zones (the new Đồng Nai includes Bình Phước, 106°15'):
# use the code of the pre-2025 province the drawing was made for.
PROVINCE_MERIDIANS: dict[str, float] = {
    "01": 105.0,  # Hà Nội (incl. former Hà Tây), 105°00' — EPSG:5897 zone 482 usage
    "02": 105.5,  # Hà Giang, 105°30' — EPSG:9209
    "04": 105.75,  # Cao Bằng, 105°45' — EPSG:9210
    "06": 106.5,  # Bắc Kạn, 106°30' — EPSG:9213
    "08": 106.0,  # Tuyên Quang, 106°00' — EPSG:9211
    "10": 104.75,  # Lào Cai, 104°45' — EPSG:9208
    "11": 103.0,  # Điện Biên, 103°00' — EPSG:9205
    "12": 103.0,  # Lai Châu, 103°00' — EPSG:9205
    "14": 104.0,  # Sơn La, 104°00' — EPSG:9206
    "15": 104.75,  # Yên Bái, 104°45' — EPSG:9208
    "17": 106.0,  # Hòa Bình, 106°00' — EPSG:9211
    "19": 106.5,  # Thái Nguyên, 106°30' — EPSG:9213
    "20": 107.25,  # Lạng Sơn, 107°15' — EPSG:9215
    "22": 107.75,  # Quảng Ninh, 107°45' — EPSG:5899
    "24": 107.0,  # Bắc Giang, 107°00' — EPSG:9214
    "25": 104.75,  # Phú Thọ, 104°45' — EPSG:9208
    "26": 105.0,  # Vĩnh Phúc, 105°00' — EPSG:5897 zone 482 usage
    "27": 105.5,  # Bắc Ninh, 105°30' — EPSG:9209
    "30": 105.5,  # Hải Dương, 105°30' — EPSG:9209
    "31": 105.75,  # Hải Phòng, 105°45' — EPSG:9210
    "33": 105.5,  # Hưng Yên, 105°30' — EPSG:9209
    "34": 105.5,  # Thái Bình, 105°30' — EPSG:9209
    "35": 105.0,  # Hà Nam, 105°00' — EPSG:5897 zone 482 usage
    "36": 105.5,  # Nam Định, 105°30' — EPSG:9209
    "37": 105.0,  # Ninh Bình, 105°00' — EPSG:5897 zone 482 usage
    "38": 105.0,  # Thanh Hóa, 105°00' — EPSG:5897 zone 482 usage
    "40": 104.75,  # Nghệ An, 104°45' — EPSG:9208
    "42": 105.5,  # Hà Tĩnh, 105°30' — EPSG:9209
    "44": 106.0,  # Quảng Bình, 106°00' — EPSG:9211
    "45": 106.25,  # Quảng Trị, 106°15' — EPSG:9212
    "46": 107.0,  # Huế (Thừa Thiên Huế), 107°00' — EPSG:9214
    "48": 107.75,  # Đà Nẵng, 107°45' — EPSG:5899
    "49": 107.75,  # Quảng Nam, 107°45' — EPSG:5899
    "51": 108.0,  # Quảng Ngãi, 108°00' — EPSG:5898 zone 491 usage
    "52": 108.25,  # Bình Định, 108°15' — EPSG:9217
    "54": 108.5,  # Phú Yên, 108°30' — EPSG:9218
    "56": 108.25,  # Khánh Hòa, 108°15' — EPSG:9217
    "58": 108.25,  # Ninh Thuận, 108°15' — EPSG:9217
    "60": 108.5,  # Bình Thuận, 108°30' — EPSG:9218
    "62": 107.5,  # Kon Tum, 107°30' — EPSG:9216
    "64": 108.5,  # Gia Lai, 108°30' — EPSG:9218
    "66": 108.5,  # Đắk Lắk, 108°30' — EPSG:9218
    "67": 108.5,  # Đắk Nông, 108°30' — EPSG:9218
    "68": 107.75,  # Lâm Đồng, 107°45' — EPSG:5899
    "70": 106.25,  # Bình Phước, 106°15' — EPSG:9212
    "72": 105.5,  # Tây Ninh, 105°30' — EPSG:9209
    "74": 105.75,  # Bình Dương, 105°45' — EPSG:9210
    "75": 107.75,  # Đồng Nai, 107°45' — EPSG:5899
    "77": 107.75,  # Bà Rịa - Vũng Tàu, 107°45' — EPSG:5899
    "79": 105.75,  # Hồ Chí Minh, 105°45' — EPSG:9210
    "80": 105.75,  # Long An, 105°45' — EPSG:9210
    "82": 105.75,  # Tiền Giang, 105°45' — EPSG:9210
    "83": 105.75,  # Bến Tre, 105°45' — EPSG:9210
    "84": 105.5,  # Trà Vinh, 105°30' — EPSG:9209
    "86": 105.5,  # Vĩnh Long, 105°30' — EPSG:9209
    "87": 105.0,  # Đồng Tháp, 105°00' — EPSG:5897 zone 482 usage
    "89": 104.75,  # An Giang, 104°45' — EPSG:9208
    "91": 104.5,  # Kiên Giang, 104°30' — EPSG:9207
    "92": 105.0,  # Cần Thơ, 105°00' — EPSG:5897 zone 482 usage
    "93": 105.0,  # Hậu Giang, 105°00' — EPSG:5897 zone 482 usage
    "94": 105.5,  # Sóc Trăng, 105°30' — EPSG:9209
    "95": 105.0,  # Bạc Liêu, 105°00' — EPSG:5897 zone 482 usage
    "96": 104.5,  # Cà Mau, 104°30' — EPSG:9207
}

# Separators accepted between degrees, minutes and seconds: the proper signs (degree, prime,
# double prime), their ASCII stand-ins, hyphens (EPSG names zones "107-45"), colons, spaces.
_DMS_SEPARATORS = re.compile("[\u00b0\u00ba\u2032\u2033'\":\\-]|\\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def parse_meridian(value: str | float) -> float:
    """Read a central meridian typed as decimal degrees or degrees-minutes(-seconds).

    Drawings write the meridian as ``107°45'`` or ``107-45`` (the EPSG naming); users also
    type ``107.75``, ``107,75`` or ``107 45``. A trailing "E" is allowed. Only the last part
    may have decimals. The result is checked against :data:`MERIDIAN_RANGE`.
    """
    if isinstance(value, (int, float)):
        return _checked_meridian(float(value))
    text = value.strip()
    if text[-1:] in ("E", "e"):
        text = text[:-1]
    parts = [part for part in _DMS_SEPARATORS.split(text) if part]
    if not 1 <= len(parts) <= 3 or not all(_NUMBER.fullmatch(part) for part in parts):
        raise CoordinateError(
            (
                N_("Cannot read “%(value)s” as a central meridian (for example 107°45')."),
                {"value": value},
            )
        )
    if any(not part.isdigit() for part in parts[:-1]):
        raise CoordinateError(
            (N_("Only the last part of “%(value)s” may have decimals."), {"value": value})
        )
    numbers = [float(part.replace(",", ".")) for part in parts] + [0.0, 0.0]
    degrees, minutes, seconds = numbers[:3]
    if minutes >= 60 or seconds >= 60:
        raise CoordinateError(
            (N_("Minutes and seconds must be below 60 in “%(value)s”."), {"value": value})
        )
    return _checked_meridian(degrees + minutes / 60 + seconds / 3600)


def format_meridian(central_meridian: float) -> str:
    """The meridian written the way drawings print it, e.g. ``107°45'``."""
    total_seconds = round(central_meridian * 3600)
    degrees, rest = divmod(total_seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{degrees}°{minutes:02d}'"
    return f'{text}{seconds:02d}"' if seconds else text


def _checked_meridian(central_meridian: float) -> float:
    low, high = MERIDIAN_RANGE
    if not math.isfinite(central_meridian) or not low <= central_meridian <= high:
        raise CoordinateError(
            (
                N_(
                    "The central meridian %(meridian)s is outside %(low)s°E–%(high)s°E: "
                    "VN-2000 zones in Vietnam use meridians such as 105°00' or 107°45'."
                ),
                {"meridian": central_meridian, "low": low, "high": high},
            )
        )
    return float(central_meridian)


def _checked_scale_factor(scale_factor: float) -> float:
    # Provincial 3° zones use 0.9999, the 6° UTM zones 0.9996; nothing else is in use.
    if not math.isfinite(scale_factor) or not UTM_SCALE_FACTOR <= scale_factor <= 1.0:
        raise ValueError(f"scale factor {scale_factor!r} is not between 0.9996 and 1")
    return float(scale_factor)


@functools.lru_cache(maxsize=64)
def zone_crs(central_meridian: float, scale_factor: float = TM3_SCALE_FACTOR) -> CRS:
    """The VN-2000 transverse Mercator CRS of a zone, built on the EPSG:4756 datum.

    Its axes are (easting, northing), as in EPSG's "VN-2000 / TM-3 ..." CRSs, to which it is
    equivalent when the meridian matches one of them.
    """
    central_meridian = _checked_meridian(central_meridian)
    scale_factor = _checked_scale_factor(scale_factor)
    conversion = TransverseMercatorConversion(
        latitude_natural_origin=0.0,
        longitude_natural_origin=central_meridian,
        false_easting=FALSE_EASTING,
        false_northing=FALSE_NORTHING,
        scale_factor_natural_origin=scale_factor,
    )
    name = f"VN-2000 / TM {format_meridian(central_meridian)} k={scale_factor:g}"
    return ProjectedCRS(conversion=conversion, geodetic_crs=CRS(VN2000_GEOGRAPHIC), name=name)


def _uses_pinned_operation(transformer: Transformer) -> bool:
    for operation in transformer.operations or ():
        ident = operation.to_json_dict().get("id") or {}
        if ident.get("authority") == "EPSG" and ident.get("code") == TRANSFORMATION_CODE:
            return True
    return False


@functools.lru_cache(maxsize=64)
def zone_transformer(
    central_meridian: float, scale_factor: float = TM3_SCALE_FACTOR
) -> Transformer:
    """Zone (easting, northing) → WGS 84 (lon, lat), always through EPSG:6960.

    Taken from PROJ's own candidate list (``TransformerGroup``) rather than
    ``Transformer.from_crs``, because the latter picks an operation per point by area of use.
    """
    group = TransformerGroup(
        zone_crs(central_meridian, scale_factor), WGS84_GEOGRAPHIC, always_xy=True
    )
    for candidate in group.transformers:
        if _uses_pinned_operation(candidate):
            return candidate
    raise RuntimeError(
        f"PROJ offers no operation through EPSG:{TRANSFORMATION_CODE} ({TRANSFORMATION_NAME}); "
        "the PROJ database is incomplete"
    )


def _require_finite(**values: float) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def _in_vietnam(lon: float, lat: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = VIETNAM_BBOX
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def _bbox_text() -> str:
    min_lon, min_lat, max_lon, max_lat = VIETNAM_BBOX
    return f"lon {min_lon}-{max_lon}, lat {min_lat}-{max_lat}"


def looks_swapped(x: float, y: float) -> bool:
    """True when ``x`` looks like an easting and ``y`` like a northing.

    In Vietnam the two ranges do not overlap (eastings 200-800 km, northings 900-2 600 km), so
    a value pair that fits only the GIS order was almost certainly typed as (easting, northing).
    """

    def within(value: float, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= value <= bounds[1]

    return within(x, EASTING_RANGE) and within(y, NORTHING_RANGE)


def surveying_order(x: float, y: float) -> tuple[float, float]:
    """The pair as (northing, easting), swapping it when it was typed the GIS way round."""
    return (y, x) if looks_swapped(x, y) else (x, y)


def vn2000_to_wgs84(
    x: float,
    y: float,
    central_meridian: float,
    *,
    scale_factor: float = TM3_SCALE_FACTOR,
) -> tuple[float, float]:
    """VN-2000 zone coordinates (x = northing, y = easting, metres) as WGS 84 (lon, lat).

    Raises ValueError for non-numeric input or a result outside Vietnam; when the pair looks
    swapped the message says so rather than swapping silently, because a form should let the
    user confirm which value is which.
    """
    _require_finite(x=x, y=y, central_meridian=central_meridian)
    transformer = zone_transformer(float(central_meridian), float(scale_factor))
    where = {"x": float(x), "y": float(y), "zone": format_meridian(central_meridian)}
    try:
        lon, lat = transformer.transform(float(y), float(x), errcheck=True)
    except ProjError as exc:  # far outside the projection's domain
        lon = lat = math.nan
        cause: Exception | None = exc
    else:
        cause = None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not _in_vietnam(lon, lat):
        min_lon, min_lat, max_lon, max_lat = VIETNAM_BBOX
        box = {"min_lon": min_lon, "max_lon": max_lon, "min_lat": min_lat, "max_lat": max_lat}
        parts: list[tuple[str, dict[str, object]]] = []
        if cause is None:
            parts.append(
                (
                    N_(
                        "VN-2000 X=%(x)s m, Y=%(y)s m in the %(zone)s zone gives longitude "
                        "%(lon)s, latitude %(lat)s, outside Vietnam (longitude %(min_lon)s–"
                        "%(max_lon)s, latitude %(min_lat)s–%(max_lat)s)."
                    ),
                    {**where, "lon": lon, "lat": lat, **box},
                )
            )
        else:
            parts.append(
                (
                    N_(
                        "VN-2000 X=%(x)s m, Y=%(y)s m lies far outside the zone %(zone)s, "
                        "nowhere near Vietnam."
                    ),
                    where,
                )
            )
        if looks_swapped(x, y):
            parts.append(
                (
                    N_(
                        "X and Y look swapped: X is the northing (900 000–2 600 000 m) and Y "
                        "the easting (about 500 000 m, which includes the false easting)."
                    ),
                    {},
                )
            )
        raise CoordinateError(*parts) from cause
    return lon, lat


def wgs84_to_vn2000(
    lon: float,
    lat: float,
    central_meridian: float,
    *,
    scale_factor: float = TM3_SCALE_FACTOR,
) -> tuple[float, float]:
    """WGS 84 (lon, lat) as VN-2000 zone coordinates (x = northing, y = easting, metres).

    This is the exact inverse of :func:`vn2000_to_wgs84`, so a position typed in VN-2000,
    stored in WGS 84 and shown again reads back the same to the millimetre. Running PROJ's
    operation backwards is not quite that: EPSG:6960 is a 2D ("geog2D domain") method that
    takes the ellipsoidal height as 0 on whichever side it starts from, and the two datums'
    zero heights differ by metres, which moves the result by up to about a millimetre. The
    reverse run is therefore only the first guess, refined against the forward operation
    (which is the direction EPSG defines).
    """
    _require_finite(lon=lon, lat=lat, central_meridian=central_meridian)
    if not _in_vietnam(lon, lat):
        raise ValueError(f"lon {lon:.5f}, lat {lat:.5f} is outside Vietnam ({_bbox_text()})")
    transformer = zone_transformer(float(central_meridian), float(scale_factor))

    def reverse(lon_: float, lat_: float) -> tuple[float, float]:
        return transformer.transform(
            lon_, lat_, direction=TransformDirection.INVERSE, errcheck=True
        )

    target_e, target_n = reverse(float(lon), float(lat))
    easting, northing = target_e, target_n
    # Fixed-point iteration: reverse∘forward differs from the identity by ~1e-10, so one
    # step brings the round trip from about a millimetre down to nanometres.
    for _ in range(_INVERSE_STEPS):
        back_e, back_n = reverse(*transformer.transform(easting, northing, errcheck=True))
        easting += target_e - back_e
        northing += target_n - back_n
    return northing, easting
