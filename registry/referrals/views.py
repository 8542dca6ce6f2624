"""The referral directory (operators and public), the map-click lookup, and each facility's
directory profile and external identifiers. Thin: the directory is built in ``directory``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from registry import clock
from registry.auth.decorators import requires
from registry.cells import table_bytes
from registry.extensions import db
from registry.facilities import read
from registry.geography.services import province_choices
from registry.http import arg_float, flash_form_errors, send_table
from registry.i18n import _
from registry.referrals import bp, directory, services
from registry.referrals.forms import LinksForm, ProfileForm
from registry.referrals.models import SYSTEM_LABELS, ExternalSystem


def _locale() -> str:
    return str(get_locale() or "vi")


def _hotlines() -> tuple[dict[str, str], ...]:
    return tuple(current_app.config.get("REFERRAL_HOTLINES", ()))


def _query() -> str:
    return (request.args.get("q") or "")[:120]


def _search(public: bool) -> list[directory.CommuneMatch]:
    q = _query()
    if not q:
        return []
    province = None if public else current_user.province_code
    return directory.find_communes(db.session, q, province_code=province)


def _directory(code: str, *, public: bool) -> directory.Directory:
    match = directory.commune(db.session, code)
    if match is None:
        abort(404)
    jurisdiction = None if public else current_user.province_code
    if jurisdiction is not None and match.province_code != jurisdiction:
        abort(404)
    return directory.directory(
        db.session,
        match,
        jurisdiction=jurisdiction,
        public=public,
        hotlines=_hotlines(),
        locale=_locale(),
    )


def _index(public: bool):
    matches = _search(public)
    if len(matches) == 1:
        endpoint = "referrals.public_commune" if public else "referrals.commune"
        return redirect(url_for(endpoint, code=matches[0].code))
    return render_template(
        "referrals/index.html",
        q=_query(),
        matches=matches,
        public=public,
        provinces=dict(province_choices()),
        hotlines=_hotlines(),
        locale=_locale(),
        boundaries_url=None
        if public
        else url_for(
            "maps.boundaries",
            edition="2025",
            level="commune",
            province=current_user.province_code or "75",
        ),
    )


@bp.route("/")
@requires("referrals.view")
def index():
    return _index(public=False)


def _page(code: str, *, public: bool):
    return render_template(
        "referrals/commune.html",
        d=_directory(code, public=public),
        public=public,
        locale=_locale(),
        provinces=dict(province_choices()),
    )


@bp.route("/communes/<code>")
@requires("referrals.view")
def commune(code: str):
    return _page(code, public=False)


@bp.route("/communes/<code>.json")
@requires("referrals.view")
def commune_json(code: str):
    return jsonify(_directory(code, public=False).json(_locale()))


@bp.route("/at.json")
@requires("referrals.view")
def at():
    lon = arg_float(request.args, "lon", low=-180, high=180)
    lat = arg_float(request.args, "lat", low=-90, high=90)
    if lon is None or lat is None:
        return jsonify({"error": _("Give lon and lat.")}), 400
    match = directory.commune_at(db.session, lon, lat)
    if match is None:
        return jsonify({"error": _("No commune outline at this point.")}), 404
    return redirect(url_for("referrals.commune_json", code=match.code))


@bp.route("/public/")
def public_index():
    return _index(public=True)


@bp.route("/public/<code>")
def public_commune(code: str):
    return _page(code, public=True)


@bp.route("/public/<code>.json")
def public_commune_json(code: str):
    return jsonify(_directory(code, public=True).json(_locale()))


# --- a facility's profile and identifiers -------------------------------------------------------


def _record(facility_id: int) -> read.FacilityRecord:
    record = read.get(db.session, read.Reader.of(current_user), facility_id)
    if record is None:
        abort(404)
    return record


@bp.route("/facilities/<int:facility_id>")
@requires("facilities.view")
def facility(facility_id: int):
    record = _record(facility_id)
    profile = services.profile_of(db.session, record.id)
    links = services.external_ids(db.session, [record.id]).get(record.id, {})
    may_edit = current_user.can("facilities.edit")
    profile_form = links_form = None
    if may_edit:
        links_form = LinksForm(data=links)
        if not record.confidential_type:
            profile_form = ProfileForm(obj=profile) if profile else ProfileForm()
    return render_template(
        "referrals/facility.html",
        record=record,
        profile=profile,
        links=links,
        systems=[(s.value, str(SYSTEM_LABELS[s])) for s in ExternalSystem],
        profile_form=profile_form,
        links_form=links_form,
    )


def _save(form: Any, facility_id: int, write: Callable[[], object], saved: str) -> Response:
    """Validate, write, commit and say so; a refusal or a field error is flashed and nothing
    is kept. Back to the facility's directory page either way."""
    if form.validate_on_submit():
        try:
            write()
        except services.LinkRefused as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(saved, "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("referrals.facility", facility_id=facility_id))


@bp.route("/facilities/<int:facility_id>/profile", methods=["POST"])
@requires("facilities.edit")
def save_profile(facility_id: int):
    record = _record(facility_id)
    form = ProfileForm()
    return _save(
        form,
        record.id,
        lambda: services.save_profile(
            db.session,
            read.Reader.of(current_user),
            record.id,
            services.ProfileInput(
                hours=form.hours.data,
                phone=form.phone.data,
                contact=form.contact.data,
                takes_emergency=form.takes_emergency.data,
                accepts_111=form.accepts_111.data,
                listed_publicly=form.listed_publicly.data,
            ),
            actor=current_user,
        ),
        _("The directory entry was saved."),
    )


@bp.route("/facilities/<int:facility_id>/links", methods=["POST"])
@requires("facilities.edit")
def save_links(facility_id: int):
    record = _record(facility_id)
    form = LinksForm()
    return _save(
        form,
        record.id,
        lambda: services.set_external_ids(
            db.session,
            read.Reader.of(current_user),
            record.id,
            {s: getattr(form, s.value).data for s in ExternalSystem},
            actor=current_user,
        ),
        _("The identifiers were saved."),
    )


@bp.route("/links.<any(csv, xlsx):fmt>")
@requires("facilities.export")
def links_export(fmt: str):
    rows = services.link_rows(db.session, read.Reader.of(current_user))
    systems = list(ExternalSystem)
    headers = [_("Registry code"), _("Name"), _("Province")] + [
        str(SYSTEM_LABELS[s]) for s in systems
    ]
    body = table_bytes(
        fmt,
        headers,
        (
            [r.code, r.name, r.province_code] + [links.get(s.value) for s in systems]
            for r, links in rows
        ),
    )
    return send_table(body, fmt, f"facility-links-{clock.today():%Y%m%d}")
