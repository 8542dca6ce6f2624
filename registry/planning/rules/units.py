"""Administrative-code validity.

``valid_admin_codes``
    ``subject: facilities`` — facilities' unit codes exist in the catalogue in force at
    ``as_of`` (pre-2025 before 1/7/2025, the 2025 edition from then on; Decision 19/2025/QĐ-TTg);
    ``subject: plan_units`` — the unit codes a plan names existed at the plan's date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.planning.rules.engine import (
    Outcome,
    Run,
    facility_check,
    fact_ref,
    join_names,
    kind,
    not_evaluable,
)
from registry.planning.rules.facts import LIVE_STATUSES, REORGANISATION_DATE, Status


@kind("valid_admin_codes")
def _valid_admin_codes(run: Run) -> Outcome:
    if run.p["subject"] == "plan_units":
        return _plan_unit_codes(run)
    as_of = run.ctx.as_of
    edition = "2025" if as_of >= REORGANISATION_DATE else "pre2025"
    valid = {
        (u.level, u.code): u for u in run.ctx.units if u.edition == edition and u.valid_on(as_of)
    }
    provinces = {code for level, code in valid if level == "province"}
    if not provinces:
        return not_evaluable(
            f"Chưa có danh mục đơn vị hành chính ({edition}) có hiệu lực ngày {as_of:%d/%m/%Y}.",
            f"No administrative unit catalogue ({edition}) in force on {as_of:%d/%m/%Y} is loaded.",
        )
    communes_of: set[str | None] = {
        run.idx.unit_province(u) for (level, _), u in valid.items() if level == "commune"
    }
    facilities, _ = run.select(LIVE_STATUSES, edition=edition)
    failing, unknown = [], []
    for f in facilities:
        problems: list[str] = []
        province = (
            f.province_code if edition == "2025" else run.idx.facility_province(f, "pre2025")[0]
        )
        if province not in provinces:
            problems.append(f"province {province}")
        commune = f.commune_code if edition == "2025" else f.commune_code_pre2025
        district = f.district_code if edition == "pre2025" else None
        if district is not None:
            unit = valid.get(("district", district))
            if unit is None or run.idx.unit_province(unit) != province:
                problems.append(f"district {district}")
        if commune is None:
            if edition == "2025":
                problems.append("commune missing")
        elif province in communes_of:
            unit = valid.get(("commune", commune))
            if unit is None or run.idx.unit_province(unit) != province:
                problems.append(f"commune {commune}")
        elif not problems:
            unknown.append(fact_ref(f))
            continue
        if problems:
            failing.append({**fact_ref(f), "problems": problems})
    out = facility_check(
        facilities,
        failing,
        unknown,
        (
            "Chưa có danh mục xã của một số tỉnh để kiểm tra.",
            "The commune catalogue of some provinces is not loaded.",
        ),
    )
    out.evidence["edition"] = edition
    return out


def _plan_unit_codes(run: Run) -> Outcome:
    plan = run.plan
    day = plan.issued_on or date(plan.period_start, 1, 1)
    edition = plan.jurisdiction.edition
    known = {(u.level, u.code) for u in run.ctx.units if u.edition == edition and u.valid_on(day)}
    if not known:
        return not_evaluable(
            f"Chưa có danh mục đơn vị hành chính ({edition}).",
            f"No administrative unit catalogue ({edition}) is loaded.",
        )
    wanted: set[tuple[str, str]] = {("province", c) for c in plan.jurisdiction.province_codes}
    for rule in plan.rules:
        level = rule.params.get("level")
        if level is None or rule.params.get("edition", edition) != edition:
            continue
        codes = list(rule.params.get("units") or ()) + list(rule.params.get("unit_min") or ())
        wanted.update((level, c) for c in codes)
    bad = sorted(wanted - known)
    ev: dict[str, Any] = {
        "n_checked": len(wanted),
        "n_failing": len(bad),
        "failing_units": [{"level": lv, "code": c} for lv, c in bad],
        "failing_names": join_names([f"{lv} {c}" for lv, c in bad]),
        "date": day.isoformat(),
        "date_vi": f"{day:%d/%m/%Y}",
        "edition": edition,
    }
    return Outcome(Status.FAIL if bad else Status.PASS, "plan_units", ev)
