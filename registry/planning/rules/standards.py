"""Per-facility standards: each matching facility is checked on its own.

``capacity_bounds``
    Each matching facility's design capacity lies within [``min``, ``max``].
``residents_within_capacity``
    Residents do not exceed design capacity.
``licensing_required``
    Decree 103/2017: a non-public facility with ``residents_threshold`` (10) or more residents
    needs an establishment registration and an operating licence.

A standard checked on no facility is NOT_EVALUABLE (nothing in scope), never met. A plan's
capacity band applies to the facilities it names (``facility``), not to a whole type.
"""

from __future__ import annotations

from registry.planning.rules.engine import Outcome, Run, facility_check, fact_ref, kind
from registry.planning.rules.facts import LIVE_STATUSES, FacilityFact, Status


@kind("capacity_bounds")
def _capacity_bounds(run: Run) -> Outcome:
    low, high = run.p.get("min"), run.p.get("max")
    if low is None and high is None:
        return Outcome(
            Status.NOT_SET,
            "reason",
            {"reason_vi": "Chưa đặt giới hạn công suất.", "reason_en": "Capacity bounds not set."},
        )
    checked, _ = run.select(LIVE_STATUSES)
    failing, unknown = [], []
    for f in checked:
        if f.design_capacity is None:
            unknown.append(fact_ref(f))
        elif (low is not None and f.design_capacity < low) or (
            high is not None and f.design_capacity > high
        ):
            failing.append(
                {**fact_ref(f), "design_capacity": f.design_capacity, "min": low, "max": high}
            )
    out = facility_check(
        checked,
        failing,
        unknown,
        (
            "Chưa có công suất thiết kế của một số cơ sở.",
            "Some facilities have no design capacity recorded.",
        ),
        run=run,
    )
    out.evidence.update({"min": low, "max": high})
    return out


@kind("residents_within_capacity")
def _residents_within_capacity(run: Run) -> Outcome:
    checked, _ = run.select(("operating", "suspended"))
    if not checked:
        return run.nothing_in_scope(
            ("cơ sở đang hoạt động hoặc tạm dừng", "facilities operating or suspended")
        )
    failing, unknown = [], []
    for f in checked:
        if f.residents is None or f.design_capacity is None:
            unknown.append(fact_ref(f))
        elif f.residents > f.design_capacity:
            failing.append(
                {
                    **fact_ref(f),
                    "residents": f.residents,
                    "design_capacity": f.design_capacity,
                    "excess": f.residents - f.design_capacity,
                }
            )
    return facility_check(
        checked,
        failing,
        unknown,
        (
            "Thiếu số đối tượng hoặc công suất thiết kế của một số cơ sở.",
            "Residents or design capacity are missing for some facilities.",
        ),
        run=run,
    )


@kind("licensing_required")
def _licensing_required(run: Run) -> Outcome:
    threshold = run.p["residents_threshold"]
    candidates, _ = run.select(("operating", "suspended"), ownership="non_public")
    checked: list[FacilityFact] = []
    failing, unknown = [], []
    for f in candidates:
        if f.residents is None:
            unknown.append({**fact_ref(f), "missing": ["residents"]})
            continue
        if f.residents < threshold:
            continue
        checked.append(f)
        missing = [
            name
            for name, flag in (("registration", f.has_registration), ("licence", f.has_licence))
            if flag is False
        ]
        unsure = [
            name
            for name, flag in (("registration", f.has_registration), ("licence", f.has_licence))
            if flag is None
        ]
        if missing:
            failing.append({**fact_ref(f), "residents": f.residents, "missing": missing})
        elif unsure:
            unknown.append({**fact_ref(f), "residents": f.residents, "unknown": unsure})
    if not checked and not unknown:
        return run.nothing_in_scope(
            (
                f"cơ sở ngoài công lập đang hoạt động hoặc tạm dừng, nuôi dưỡng từ {threshold} "
                "đối tượng trở lên",
                f"non-public facilities operating or suspended with {threshold} or more residents",
            )
        )
    out = facility_check(
        checked + [f for f in candidates if f.residents is None],
        failing,
        unknown,
        (
            "Chưa rõ số đối tượng hoặc tình trạng đăng ký/giấy phép của một số cơ sở.",
            "Residents or registration/licence status are unknown for some facilities.",
        ),
        run=run,
    )
    out.evidence["residents_threshold"] = threshold
    return out
