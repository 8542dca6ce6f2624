"""``/api/v1/admin-units``: the administrative units of both organisations (pre-2025 and the
current one), without outlines (the map and OGC API serve those). Public reference data,
read by every signed-in role (geography.view)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from registry.api.v1 import schemas
from registry.api.v1.common import (
    LINK_HEADER,
    PageRequest,
    api_blueprint,
    link_header,
    needs,
    not_found,
    page_schema,
    paged,
)
from registry.extensions import db
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _

blp = api_blueprint(
    "api_geography",
    __name__,
    description="Administrative units before and after the 1 July 2025 reorganisation.",
)

UnitList = page_schema("UnitList", schemas.UnitSchema)
_LEVEL_BY_CODE_LENGTH = {2: Level.PROVINCE, 3: Level.DISTRICT, 5: Level.COMMUNE}
_PARENT = aliased(AdminUnit)
_COLUMNS = (
    AdminUnit.edition,
    AdminUnit.level,
    AdminUnit.code,
    AdminUnit.name,
    AdminUnit.full_name,
    AdminUnit.name_en,
    AdminUnit.division_type,
    AdminUnit.province_code,
    _PARENT.code.label("parent_code"),
    AdminUnit.population,
    AdminUnit.population_year,
    AdminUnit.area_km2,
    AdminUnit.rep_lon,
    AdminUnit.rep_lat,
    AdminUnit.min_lon,
    AdminUnit.min_lat,
    AdminUnit.max_lon,
    AdminUnit.max_lat,
)


def _unit_json(row: Any) -> dict[str, Any]:
    box = (row.min_lon, row.min_lat, row.max_lon, row.max_lat)
    return {
        "edition": str(row.edition.value),
        "level": str(row.level.value),
        "code": row.code,
        "name": row.name,
        "full_name": row.full_name,
        "name_en": row.name_en,
        "division_type": row.division_type,
        "province_code": row.province_code,
        "parent_code": row.parent_code,
        "population": row.population,
        "population_year": row.population_year,
        "area_km2": row.area_km2,
        "rep_lon": row.rep_lon,
        "rep_lat": row.rep_lat,
        "bbox": list(box) if all(v is not None for v in box) else None,
    }


def _select() -> Any:
    return select(*_COLUMNS).outerjoin(_PARENT, _PARENT.id == AdminUnit.parent_id)


@blp.route("/admin-units")
@blp.arguments(schemas.UnitQuery, location="query", as_kwargs=False)
@blp.response(200, UnitList, headers=LINK_HEADER)
@needs("geography.view")
def list_units(args: dict[str, Any]):
    """Units of one edition (default the current one), by level and province, in code order;
    ``q`` matches the start of the name."""
    conditions = [AdminUnit.edition == Edition(args["edition"])]
    if args.get("level"):
        conditions.append(AdminUnit.level == Level(args["level"]))
    if args.get("province"):
        conditions.append(AdminUnit.province_code == args["province"])
    if args.get("q"):
        text = args["q"].strip()
        conditions.append(
            or_(AdminUnit.name.startswith(text, autoescape=True), AdminUnit.code == text)
        )
    req = PageRequest.of(args)
    total = int(db.session.scalar(select(func.count(AdminUnit.id)).where(*conditions)) or 0)
    rows = db.session.execute(
        _select()
        .where(*conditions)
        .order_by(AdminUnit.level, AdminUnit.code)
        .limit(req.per_page)
        .offset(req.offset)
    ).all()
    body = paged([_unit_json(r) for r in rows], total, req)
    return body, 200, link_header(body)


@blp.route("/admin-units/<any('2025', 'pre2025'):edition>/<code>")
@blp.response(200, schemas.UnitSchema)
@needs("geography.view")
def get_unit(edition: str, code: str):
    """One unit by edition and GSO code (2 digits: province, 3: district, 5: commune)."""
    level = _LEVEL_BY_CODE_LENGTH.get(len(code))
    row = None
    if level is not None and code.isascii() and code.isdigit():
        row = db.session.execute(
            _select().where(
                AdminUnit.edition == Edition(edition),
                AdminUnit.level == level,
                AdminUnit.code == code,
            )
        ).first()
    if row is None:
        raise not_found(_("No such administrative unit."))
    return _unit_json(row)
