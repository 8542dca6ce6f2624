"""``/api/v1/referrals``: the referral directory for a hotline system (permission
referrals.view): communes found by name (either organisation, with or without diacritics) or
by a point, and one commune's directory, the same as the operators' page builds it
(``referrals.directory``): confidential shelters are never listed, only the way to reach one
through the hotline or the social work centre."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask_babel import get_locale
from marshmallow import fields, validate

from registry.api.v1.common import api_blueprint, caller, needs, not_found
from registry.extensions import db
from registry.i18n import _
from registry.referrals import directory

blp = api_blueprint(
    "api_referrals",
    __name__,
    description="The referral directory: where a hotline operator can refer a caller.",
)


class CommuneQuery(ma.Schema):
    q = fields.String(validate=validate.Length(max=120))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    lat = fields.Float(validate=validate.Range(min=-90, max=90))


class CommuneSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    province_code = fields.String(allow_none=True)
    matched = fields.String(metadata={"description": "The name that matched (maybe pre-2025)"})


class CommuneList(ma.Schema):
    items = fields.List(fields.Nested(CommuneSchema), required=True)


class ServiceSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    type_code = fields.String(required=True)
    type_name = fields.String(required=True)
    services = fields.List(fields.String(), required=True)
    target_groups = fields.List(fields.String(), required=True)
    hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    takes_emergency = fields.Boolean(allow_none=True)
    accepts_111 = fields.Boolean(allow_none=True)
    distance_band = fields.String(required=True)


class HotlineSchema(ma.Schema):
    number = fields.String(required=True)
    name = fields.String(required=True)
    source = fields.String(allow_none=True)


class DirectorySchema(ma.Schema):
    """One commune's directory, as ``/referrals/communes/<code>.json`` gives it."""

    commune = fields.Nested(CommuneSchema, required=True)
    hotlines = fields.List(fields.Nested(HotlineSchema), required=True)
    nearest_gbv_service = fields.Nested(ServiceSchema, allow_none=True)
    social_work_centre = fields.Nested(ServiceSchema, allow_none=True)
    safe_place = fields.String(
        allow_none=True,
        metadata={"description": "How to reach a safe place; never its location"},
    )
    services = fields.List(fields.Nested(ServiceSchema), required=True)


def _jurisdiction() -> str | None:
    return caller().province_code


def _commune(match: Any) -> dict[str, Any]:
    return {
        "code": match.code,
        "name": match.name,
        "province_code": match.province_code,
        "matched": match.matched,
    }


@blp.route("/referrals/communes")
@blp.arguments(CommuneQuery, location="query", as_kwargs=False)
@blp.response(200, CommuneList)
@needs("referrals.view")
def find_communes(args: dict[str, Any]):
    """Communes by name (``q``) or by the point inside them (``lon`` and ``lat``), within the
    caller's jurisdiction."""
    jurisdiction = _jurisdiction()
    if args.get("lon") is not None and args.get("lat") is not None:
        match = directory.commune_at(db.session, args["lon"], args["lat"])
        found = [match] if match is not None else []
    else:
        found = directory.find_communes(db.session, args.get("q") or "", province_code=jurisdiction)
    if jurisdiction is not None:
        found = [m for m in found if m.province_code == jurisdiction]
    return {"items": [_commune(m) for m in found]}


@blp.route("/referrals/communes/<code>")
@blp.response(200, DirectorySchema)
@needs("referrals.view")
def get_directory(code: str):
    """The services a caller from this commune can be referred to, nearest first."""
    match = directory.commune(db.session, code) if len(code) <= 10 else None
    jurisdiction = _jurisdiction()
    if match is None or (jurisdiction is not None and match.province_code != jurisdiction):
        raise not_found(_("There is no commune %(code)s in your jurisdiction.", code=code[:10]))
    locale = str(get_locale() or "vi")
    return directory.directory(
        db.session,
        match,
        jurisdiction=jurisdiction,
        public=False,
        hotlines=tuple(current_app.config.get("REFERRAL_HOTLINES", ())),
        locale=locale,
    ).json(locale)
