"""Exports of the investment portfolio: the OC4IDS project package (JSON) and the XLSX report.

Both list the projects the user's jurisdiction covers (``services.visible``) and read their
facilities through ``facilities.read`` with the user as reader, so a confidential facility's
exact place never leaves in a file for a user who may not see it.
"""

from __future__ import annotations

import io
import json

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user

from registry import clock
from registry.auth.decorators import requires
from registry.extensions import db
from registry.facilities import read
from registry.geography import services as geography
from registry.geography.models import Edition
from registry.i18n import _
from registry.investment import bp, oc4ids, report

PUBLISHER = oc4ids.PUBLISHER


def _projects() -> list:
    from registry.investment import services

    stmt = oc4ids.with_children(services.visible(db.session, current_user))
    return list(db.session.scalars(stmt).unique())


def _nothing():
    flash(_("There are no projects to export."), "info")
    return redirect(url_for("investment.index"))


@bp.route("/oc4ids.json", endpoint="oc4ids")
@requires("investment.view")
def oc4ids_export():
    projects = _projects()
    if not projects:  # OC4IDS requires at least one project in a package
        return _nothing()
    package = oc4ids.package_for(
        db.session,
        projects,
        read.Reader.of(current_user),
        uri=request.base_url,
        publisher=current_app.config.get("INVESTMENT_OC4IDS_PUBLISHER", PUBLISHER),
        prefix=current_app.config.get("INVESTMENT_OC4IDS_PREFIX", oc4ids.DEFAULT_PREFIX),
    )
    body = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
    response = send_file(
        io.BytesIO(body),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"oc4ids-{clock.today():%Y%m%d}.json",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export.xlsx")
@requires("investment.view")
def export_xlsx():
    from registry.investment import services

    projects = _projects()
    today = clock.today()
    ids = sorted({p.facility_id for p in projects if p.facility_id is not None})
    records = read.records(db.session, read.Reader.of(current_user), ids=ids) if ids else []
    ctx = report.Context(
        facility_names={r.id: r.name for r in records},
        province_names=geography.unit_names(
            db.session, {p.province_code for p in projects}, Edition.CURRENT
        ),
        flags={p.id: [f.message_vi for f in services.flags(p, today)] for p in projects},
    )
    response = send_file(
        io.BytesIO(report.to_xlsx(projects, ctx)),
        mimetype=report.MIMETYPE,
        as_attachment=True,
        download_name=report.filename(today),
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
