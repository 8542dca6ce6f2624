"""Administrative-code validity, and which unit catalogue a check reads.

``valid_admin_codes``
    ``subject: facilities`` — facilities' unit codes exist in the catalogue in force on the
    check date (pre-2025 before 1/7/2025, the 2025 edition from then on; Decision
    19/2025/QĐ-TTg); ``subject: plan_units`` — the unit codes a plan names existed on the
    plan's date (its issue date, else the first day of its period).

What a catalogue can show. A catalogue whose units carry start dates (``valid_from``) shows
which units existed on a date. The pre-2025 catalogue loaded is not one: it is the GSO
snapshot of 01/03/2025 (``data/boundaries/README.md``) with no start dates, so it shows which
codes existed on 01/03/2025 and nothing about an earlier day: units merged or dissolved
before then are missing from it (Đắk Lắk has 180 communes in it against the 184 its
2016–2020 plan counts), units created after the plan are in it. On a date it cannot speak
for, the rule is *not evaluable* and says what the snapshot does show; it never claims
validity on the plan's date. Every result names the catalogue it read (evidence
``catalogue_vi`` / ``catalogue_en``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from registry.planning.plan_schema import Plan
from registry.planning.rules.engine import (
    Outcome,
    Run,
    facility_check,
    fact_ref,
    join_names,
    kind,
    not_evaluable,
)
from registry.planning.rules.facts import LIVE_STATUSES, REORGANISATION_DATE, Status, UnitFact
from registry.planning.rules.messages import EDITION_EN, EDITION_VI, MESSAGES


@dataclass(frozen=True)
class Catalogue:
    """A unit catalogue as loaded: its edition, what it is, and (for a catalogue without
    start dates) the one day it is a picture of."""

    edition: str
    name_vi: str
    name_en: str
    snapshot: date | None = None


#: The catalogues the registry loads (``registry.geography.loader``, ``data/boundaries``).
CATALOGUES: dict[str, Catalogue] = {
    "pre2025": Catalogue(
        "pre2025",
        "danh mục đơn vị hành chính trước sắp xếp 2025 (bản chụp ngày 01/03/2025 của Tổng cục "
        "Thống kê, không có ngày bắt đầu hiệu lực)",
        "the pre-2025 unit catalogue (GSO snapshot of 01/03/2025, without start dates)",
        date(2025, 3, 1),
    ),
    "2025": Catalogue(
        "2025",
        "danh mục đơn vị hành chính hiện hành (sau sắp xếp, có hiệu lực từ 01/07/2025)",
        "the current unit catalogue (after the reorganisation, in force from 01/07/2025)",
    ),
}


def edition_on(day: date) -> str:
    """The catalogue in force on a day: pre-2025 before 1/7/2025, the 2025 edition after."""
    return "2025" if day >= REORGANISATION_DATE else "pre2025"


def catalogue_text(edition: str, locale: str = "vi") -> str:
    found = CATALOGUES.get(edition)
    if found is None:
        return edition
    return found.name_en if locale == "en" else found.name_vi


def catalogues_used(plan: Plan, as_of: date) -> tuple[str, ...]:
    """The catalogue editions a plan's check reads on ``as_of``: the plan's own, any a rule
    names, and for a facilities code check the one in force on the date."""
    found: dict[str, None] = {plan.jurisdiction.edition: None}
    for rule in plan.rules:
        if rule.kind == "valid_admin_codes" and rule.params.get("subject") == "facilities":
            found[edition_on(as_of)] = None
        else:
            found[rule.params.get("edition", plan.jurisdiction.edition)] = None
    return tuple(found)


def _dated(units: Sequence[UnitFact]) -> bool:
    """Whether the catalogue's units carry start dates (can show what existed on a day)."""
    return bool(units) and all(u.valid_from is not None for u in units)


def _speaks_for(edition: str, units: Sequence[UnitFact], day: date) -> bool:
    """Whether the loaded catalogue can tell which units existed on ``day``: a dated one can;
    a snapshot only from its own day until the edition's end."""
    if _dated(units):
        return True
    snapshot = CATALOGUES.get(edition, Catalogue(edition, "", "")).snapshot
    if snapshot is None:
        return False
    ends = max((u.valid_to for u in units if u.valid_to is not None), default=None)
    return snapshot <= day and (ends is None or day <= ends)


def _catalogue_evidence(edition: str, day: date) -> dict[str, Any]:
    catalogue = CATALOGUES.get(edition)
    snapshot = catalogue.snapshot if catalogue is not None else None
    return {
        "edition": edition,
        "catalogue_vi": catalogue_text(edition, "vi"),
        "catalogue_en": catalogue_text(edition, "en"),
        "snapshot": snapshot.isoformat() if snapshot else None,
        "date": day.isoformat(),
        "date_vi": f"{day:%d/%m/%Y}",
    }


def _snapshot_vi(edition: str) -> str:
    snapshot = CATALOGUES[edition].snapshot if edition in CATALOGUES else None
    return f"{snapshot:%d/%m/%Y}" if snapshot else "?"


# This module's result texts, which name the catalogue read.
MESSAGES.update(
    {
        ("admin_codes", Status.PASS): (
            "Đạt: mã đơn vị hành chính của cả {n_checked} cơ sở có trong {catalogue_vi}, "
            "đối chiếu ngày {date_vi}.",
            "Met: the unit codes of all {n_checked} facilities are in {catalogue_en}, "
            "as of {date}.",
        ),
        ("admin_codes", Status.FAIL): (
            "Mã đơn vị hành chính không có trong {catalogue_vi} (ngày {date_vi}): "
            "{n_failing}/{n_checked} cơ sở: {failing_names}.",
            "Unit codes not in {catalogue_en} (as of {date}): {n_failing} of {n_checked} "
            "facilities: {failing_names}.",
        ),
        ("admin_codes", Status.NOT_EVALUABLE): ("{reason_vi}", "{reason_en}"),
        ("plan_unit_codes", Status.PASS): (
            "Đạt: cả {n_checked} mã đơn vị hành chính của kế hoạch có hiệu lực ngày {date_vi} "
            "theo {catalogue_vi}.",
            "Met: all {n_checked} unit codes the plan names were in force on {date} in "
            "{catalogue_en}.",
        ),
        ("plan_unit_codes", Status.FAIL): (
            "Mã đơn vị hành chính không có hiệu lực ngày {date_vi} theo {catalogue_vi}: "
            "{failing_names}.",
            "Unit codes not in force on {date} in {catalogue_en}: {failing_names}.",
        ),
    }
)


@kind("valid_admin_codes")
def _valid_admin_codes(run: Run) -> Outcome:
    if run.p["subject"] == "plan_units":
        return _plan_unit_codes(run)
    as_of = run.ctx.as_of
    edition = edition_on(as_of)
    units = [u for u in run.ctx.units if u.edition == edition]
    about = _catalogue_evidence(edition, as_of)
    if not _speaks_for(edition, units, as_of):
        return _not_on_this_day(run, edition, units, as_of, about)
    valid = {(u.level, u.code): u for u in units if u.valid_on(as_of)}
    provinces = {code for level, code in valid if level == "province"}
    if not provinces:
        return not_evaluable(
            f"Chưa có danh mục đơn vị hành chính ({EDITION_VI.get(edition, edition)}) "
            f"có hiệu lực ngày {as_of:%d/%m/%Y}.",
            f"No administrative unit catalogue ({EDITION_EN.get(edition, edition)}) "
            f"in force on {as_of:%d/%m/%Y} is loaded.",
            **about,
        )
    failing, unknown, facilities = _facility_problems(run, edition, valid)
    out = facility_check(
        facilities,
        failing,
        unknown,
        (
            "Chưa có danh mục xã của một số tỉnh để kiểm tra.",
            "The commune catalogue of some provinces is not loaded.",
        ),
    )
    out.evidence.update(about)
    if out.variant == "facilities" and out.status != Status.NOT_EVALUABLE:
        out.variant = "admin_codes"
    return out


def _facility_problems(
    run: Run, edition: str, valid: dict[tuple[str, str], UnitFact]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """Facilities whose codes are not among ``valid``; those that cannot be checked."""
    provinces = {code for level, code in valid if level == "province"}
    communes_of: set[str | None] = {
        run.idx.unit_province(u) for (level, _), u in valid.items() if level == "commune"
    }
    facilities, _ = run.select(LIVE_STATUSES, edition=edition)
    failing: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
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
    return failing, unknown, facilities


def _not_on_this_day(
    run: Run, edition: str, units: Sequence[UnitFact], day: date, about: dict[str, Any]
) -> Outcome:
    """Facilities' codes on a day the catalogue cannot speak for: what its snapshot shows."""
    pictured = {(u.level, u.code): u for u in units}
    if not pictured:
        return not_evaluable(
            f"Chưa có danh mục đơn vị hành chính ({EDITION_VI.get(edition, edition)}).",
            f"No administrative unit catalogue ({EDITION_EN.get(edition, edition)}) is loaded.",
            **about,
        )
    failing, _unknown, facilities = _facility_problems(run, edition, pictured)
    names = join_names([str(r["name"]) for r in failing])
    snap = _snapshot_vi(edition)
    found = len(facilities) - len(failing)
    absent_vi = f"; không có mã của: {names}" if failing else ""
    absent_en = f"; absent: the codes of {names}" if failing else ""
    return not_evaluable(
        f"Không xác định được mã nào có hiệu lực ngày {day:%d/%m/%Y}: {about['catalogue_vi']} "
        f"chỉ cho biết các mã có ngày {snap}. Trong bản chụp đó có mã của {found}/"
        f"{len(facilities)} cơ sở{absent_vi}.",
        f"Which codes were in force on {day:%d/%m/%Y} cannot be established: "
        f"{about['catalogue_en']} shows only the codes of {snap}. That snapshot holds the codes "
        f"of {found} of {len(facilities)} facilities{absent_en}.",
        **about,
        n_checked=len(facilities),
        n_absent=len(failing),
        absent_facilities=failing,
    )


def plan_date(plan: Plan) -> tuple[date, bool]:
    """The day a plan's unit codes are checked on, and whether it is the issue date (else the
    first day of the period: the plan's own date is not known)."""
    if plan.issued_on is not None:
        return plan.issued_on, True
    return date(plan.period_start, 1, 1), False


def _plan_unit_codes(run: Run) -> Outcome:
    plan = run.plan
    day, issued = plan_date(plan)
    edition = plan.jurisdiction.edition
    units = [u for u in run.ctx.units if u.edition == edition]
    about = _catalogue_evidence(edition, day)
    about["date_is_issue_date"] = issued
    if not units:
        return not_evaluable(
            f"Chưa có danh mục đơn vị hành chính ({EDITION_VI.get(edition, edition)}).",
            f"No administrative unit catalogue ({EDITION_EN.get(edition, edition)}) is loaded.",
            **about,
        )
    wanted: set[tuple[str, str]] = {("province", c) for c in plan.jurisdiction.province_codes}
    for rule in plan.rules:
        level = rule.params.get("level")
        if level is None or rule.params.get("edition", edition) != edition:
            continue
        codes = list(rule.params.get("units") or ()) + list(rule.params.get("unit_min") or ())
        wanted.update((level, c) for c in codes)
    which_vi = "ngày ban hành" if issued else "ngày đầu kỳ kế hoạch (không rõ ngày ban hành)"
    which_en = "its issue date" if issued else "the first day of its period (no issue date known)"
    if not _speaks_for(edition, units, day):
        pictured = {(u.level, u.code) for u in units}
        absent = sorted(wanted - pictured)
        names = join_names([f"{lv} {c}" for lv, c in absent])
        snapshot = _snapshot_vi(edition)
        found = len(wanted) - len(absent)
        absent_vi = (
            f"; không có: {names} (có thể đã sáp nhập, giải thể trước {snapshot}, hoặc sai mã)"
            if absent
            else ""
        )
        absent_en = (
            f"; absent: {names} (possibly merged or dissolved before {snapshot}, or wrong)"
            if absent
            else ""
        )
        counts = {level: len(run.area_units(level, edition)) for level in ("district", "commune")}
        return not_evaluable(
            f"Không kiểm tra được mã đơn vị có hiệu lực ngày {day:%d/%m/%Y} ({which_vi}): "
            f"{about['catalogue_vi']} chỉ cho biết các đơn vị có ngày {snapshot}, không cho "
            f"biết đơn vị nào có ngày {day:%d/%m/%Y}. Trong bản chụp đó có {found}/"
            f"{len(wanted)} mã kế hoạch nêu{absent_vi}; địa bàn kế hoạch có "
            f"{counts['district']} huyện, {counts['commune']} xã.",
            f"Whether the unit codes were in force on {day:%d/%m/%Y} ({which_en}) cannot be "
            f"checked: {about['catalogue_en']} shows only the units of {snapshot}, not those "
            f"of {day:%d/%m/%Y}. That snapshot holds {found} of the {len(wanted)} codes the "
            f"plan names{absent_en}; the plan's area has {counts['district']} districts and "
            f"{counts['commune']} communes in it.",
            **about,
            snapshot_units=counts,
            n_checked=len(wanted),
            n_in_snapshot=len(wanted) - len(absent),
            absent_units=[{"level": lv, "code": c} for lv, c in absent],
        )
    known = {(u.level, u.code) for u in units if u.valid_on(day)}
    bad = sorted(wanted - known)
    ev: dict[str, Any] = {
        **about,
        "n_checked": len(wanted),
        "n_failing": len(bad),
        "failing_units": [{"level": lv, "code": c} for lv, c in bad],
        "failing_names": join_names([f"{lv} {c}" for lv, c in bad]),
    }
    return Outcome(Status.FAIL if bad else Status.PASS, "plan_unit_codes", ev)
