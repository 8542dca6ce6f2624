"""Browse administrative units and their 2025 successions; look up the units of a point."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, render_template, request, url_for

from registry.auth.decorators import requires
from registry.extensions import db
from registry.geo import in_vietnam_bbox
from registry.geography import bp, services
from registry.geography.models import AdminUnit, Edition
from registry.http import arg_float
from registry.i18n import _

# Population figures older than this are shown with a warning (the issue asks for 2019+).
CURRENT_CENSUS_YEAR = 2019


@bp.route("/")
@requires("geography.view")
def index():
    return render_template(
        "geography/index.html",
        current=services.provinces_summary(db.session, Edition.CURRENT),
        pre2025=services.provinces_summary(db.session, Edition.PRE2025),
    )


@bp.route("/<edition>/<code>")
@requires("geography.view")
def unit(edition: str, code: str):
    try:
        chosen = Edition(edition)
    except ValueError:
        abort(404)
    found = services.unit_by_code(db.session, code, chosen)
    if found is None:
        abort(404)
    if chosen is Edition.PRE2025:
        successions = services.successors_of(db.session, found)
    else:
        successions = services.predecessors_of(db.session, found)
    return render_template(
        "geography/unit.html",
        unit=found,
        subdivisions=services.children(db.session, found),
        successions=successions,
        census_year=CURRENT_CENSUS_YEAR,
    )


@bp.route("/lookup")
@requires("geography.view")
def lookup():
    """JSON: the units of a point in both organisations, for forms that fill units in."""
    lon = arg_float(request.args, "lon", low=-180.0, high=180.0)
    lat = arg_float(request.args, "lat", low=-90.0, high=90.0)
    if lon is None or lat is None:
        return jsonify(
            error="Bad Request",
            status=400,
            detail=_("Give lon and lat as decimal degrees (WGS 84)."),
        ), 400
    location = services.locate(db.session, lon, lat)
    return jsonify(
        lon=lon,
        lat=lat,
        in_vietnam=in_vietnam_bbox(lon, lat),
        approximate=location.approximate,
        gap_m=round(location.gap_m, 1) if location.gap_m is not None else None,
        current={
            "province": _unit_json(location.province),
            "commune": _unit_json(location.commune),
        },
        pre2025={
            "province": _unit_json(location.old_province),
            "district": _unit_json(location.district),
        },
    )


def _unit_json(unit: AdminUnit | None) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {
        "code": unit.code,
        "name": unit.name,
        "full_name": unit.full_name,
        "level": unit.level.value,
        "edition": unit.edition.value,
        "url": url_for("geography.unit", edition=unit.edition.value, code=unit.code),
    }
