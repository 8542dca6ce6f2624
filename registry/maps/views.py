"""The planner's map: page, facility data, boundaries, capacity per unit, and drag-to-relocate
for planned facilities."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm.exc import StaleDataError

from registry.auth.decorators import requires
from registry.errors import RegistryError
from registry.extensions import db
from registry.facilities import definitions, read
from registry.facilities import services as facilities
from registry.facilities.forms import OWNERSHIP_LABELS, STATUS_LABELS
from registry.facilities.places import PRECISION_LABELS
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import Reader
from registry.forms import choices
from registry.geography.models import Edition, Level
from registry.geography.services import province_choices
from registry.http import to_float, to_int
from registry.i18n import _
from registry.maps import bp, services

# A facility id no record has, replaced in the browser by the real one.
ID_PLACEHOLDER = 987654321


def _filter_args(flt: FacilityFilter) -> dict[str, Any]:
    """The filter as query parameters, bounding box included (the list drops it)."""
    args = flt.to_args(page=1)
    args.pop("sort", None)
    if flt.bbox:
        args["bbox"] = ",".join(f"{v:g}" for v in flt.bbox)
    return args


def _page_config(flt: FacilityFilter) -> dict[str, Any]:
    """Everything map.js needs, passed as one data attribute (CSP: no inline script)."""
    locale = str(get_locale() or "vi")
    args = _filter_args(flt)
    list_args = flt.to_args(page=1)
    return {
        "dataUrl": url_for("maps.data", **args),
        "capacityUrl": url_for("maps.capacity", **args),
        "boundariesUrl": url_for("maps.boundaries", edition="EDITION", level="LEVEL"),
        "relocateUrl": url_for("maps.relocate", facility_id=ID_PLACEHOLDER),
        "detailUrl": url_for("facilities.detail", facility_id=ID_PLACEHOLDER),
        "newUrl": url_for("facilities.new"),
        "listUrl": url_for("facilities.index", **list_args),
        "idPlaceholder": str(ID_PLACEHOLDER),
        "province": flt.province or current_user.province_code,
        "filterTypes": list(flt.types),
        "canPropose": current_user.can("facilities.propose"),
        "csrfToken": generate_csrf(),
        "locale": locale,
        "tileUrl": _config("TILE_URL"),
        "tileAttribution": _config("TILE_ATTRIBUTION"),
        "types": [
            {
                "code": t.code,
                "name": t.name(locale),
                "color": t.marker_color,
                "radiusKm": t.default_radius_km,
                "confidential": t.confidential,
            }
            for t in facilities.facility_types(db.session)
        ],
        "statusLabels": {s.value: str(label) for s, label in STATUS_LABELS.items()},
        "ownershipLabels": {o.value: str(label) for o, label in OWNERSHIP_LABELS.items()},
        "precisionLabels": {p.value: str(label) for p, label in PRECISION_LABELS.items()},
        "text": {
            "count": _("%(n)s facilities shown"),
            "tilesUnavailable": _(
                "Basemap tiles are unavailable; boundaries and markers still draw."
            ),
            "loadFailed": _("The map data could not be loaded."),
            "code": _("Code"),
            "type": _("Type"),
            "status": _("Status"),
            "ownership": _("Ownership"),
            "capacity": _("Design capacity"),
            "location": _("Location"),
            "open": _("Open the record"),
            "generalised": _("Confidential: shown at the commune's representative point."),
            "population": _("Population"),
            "perTenThousand": _("Capacity per 10,000 people"),
            "definition": definitions.capacity_definition(locale=locale),
            "noData": _("No population data"),
            "facilities": _("Facilities"),
            "populationYears": _("Population year: %(years)s"),
            "moved": _("Facility moved."),
            "moveFailed": _("The facility was not moved."),
            "proposeHint": _("Click the map where the new facility should be."),
            "legendTypes": _("Facility types"),
            "legendStatus": _("Status"),
            "legendOwnership": _("Ownership"),
            "legendShading": _("Capacity per 10,000 people"),
            "dragHint": _("Planned: drag to move"),
        },
    }


def _config(name: str) -> str:
    from flask import current_app

    return str(current_app.config.get(name) or "")


@bp.route("/")
@requires("facilities.view")
def index():
    flt = FacilityFilter.from_args(request.args)
    total = read.count(db.session, Reader.of(current_user), flt)
    locale = str(get_locale() or "vi")
    type_choices = choices((t.code, t.name(locale)) for t in facilities.facility_types(db.session))
    provinces = choices(
        (code, name) for code, name in province_choices() if current_user.covers(code)
    )
    return render_template(
        "maps/index.html",
        flt=flt,
        total=total,
        config=_page_config(flt),
        type_choices=type_choices,
        province_choices=provinces,
        list_url=url_for("facilities.index", **flt.to_args(page=1)),
        types=facilities.facility_types(db.session),
        capacity_definition=definitions.capacity_definition(locale=locale),
    )


@bp.route("/data")
@requires("facilities.view")
def data():
    """The filtered facilities as compact GeoJSON; ``bbox=minLon,minLat,maxLon,maxLat``."""
    flt = FacilityFilter.from_args(request.args)
    body = services.features_geojson(db.session, flt, Reader.of(current_user))
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _layer(edition: str, level: str) -> tuple[Edition, Level]:
    try:
        layer = Edition(edition), Level(level)
    except ValueError:
        abort(404)
    if not services.layer_exists(*layer):
        abort(404)
    return layer


@bp.route("/boundaries/<edition>/<level>")
@requires("facilities.view")
def boundaries(edition: str, level: str):
    """One layer of administrative units (``?province=`` narrows it), cacheable by ETag."""
    layer = _layer(edition, level)
    province = request.args.get("province") or None
    if province is not None and not (
        province.isascii() and province.isdigit() and len(province) <= 2
    ):
        abort(404)
    result = services.boundaries(db.session, *layer, province=province)
    response = Response(result.body, mimetype="application/geo+json")
    response.set_etag(result.etag)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response.make_conditional(request)


@bp.route("/capacity")
@requires("facilities.view")
def capacity():
    """Design capacity per unit for the filtered facilities, per 10,000 people where known."""
    edition, level = _layer(request.args.get("edition", ""), request.args.get("level", ""))
    flt = FacilityFilter.from_args(request.args)
    units = services.capacity_by_unit(db.session, flt, Reader.of(current_user), edition, level)
    # The figure counts what the definition counts, whatever statuses the map shows.
    years = sorted({u.population_year for u in units.values() if u.per_10k is not None})
    locale = str(get_locale() or "vi")
    return jsonify(
        edition=edition.value,
        level=level.value,
        years=years,
        statuses=[s.value for s in definitions.COUNTED_STATUSES],
        definition=definitions.capacity_definition(locale=locale),
        units={code: u.as_json() for code, u in units.items()},
    )


def _error(message: str, status: int, errors: dict[str, list[str]] | None = None):
    return jsonify(error=message, errors=errors or {}), status


@bp.route("/facilities/<int:facility_id>/location", methods=["POST"])
@requires("facilities.propose")
def relocate(facility_id: int):
    """Move a planned facility dragged on the map; JSON in (lon, lat, version, reason), JSON
    out. The CSRF token travels in the ``X-CSRFToken`` header."""
    reader = Reader.of(current_user)
    item = read.get(db.session, reader, facility_id) or abort(404)
    if item.generalised:
        abort(404)  # a confidential point the user may not see cannot be moved by them
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _error(_("Send the new location as JSON."), 422)
    try:
        lon = to_float(payload["lon"], low=-180.0, high=180.0)
        lat = to_float(payload["lat"], low=-90.0, high=90.0)
        version = to_int(payload["version"])
    except (KeyError, TypeError, ValueError):
        return _error(
            _("The new location is incomplete."),
            422,
            {"location": [_("Longitude, latitude and version are required.")]},
        )
    reason = str(payload.get("reason") or "")
    try:
        facility = facilities.for_update(db.session, item.id)
        facilities.relocate_planned(
            db.session,
            facility,
            lon,
            lat,
            reason=reason,
            actor_id=current_user.id,
            expected_version=version,
        )
        db.session.flush()
    except facilities.ValidationFailed as exc:
        db.session.rollback()
        return _error(exc.message, 422, exc.errors)
    except RegistryError as exc:
        db.session.rollback()
        return _error(
            exc.message, exc.status_code, {exc.field: [exc.message]} if exc.field else None
        )
    except StaleDataError:
        db.session.rollback()
        return _error(_("This facility was changed by someone else; reload it."), 409)
    db.session.commit()
    features = services.facility_features(
        db.session, FacilityFilter(statuses=[facility.status]), reader, facility_id=facility.id
    )
    return jsonify(message=_("Facility moved."), feature=features[0] if features else None)
