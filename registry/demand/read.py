"""The one read path for demand counts and facility figures: every page, export, map layer
and JSON answer takes its figures from here, already protected for the reader (small numbers
banded, ``protect``), never from the models.

``exact_counts`` is the one exception, for computations that publish only aggregates built
through ``protect`` (coverage): it returns plain numbers and must never be rendered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.demand import protect
from registry.demand.models import DemandCount, DemandLayer, FacilityFigure
from registry.demand.protect import Shown
from registry.demand.vocab import (
    FIGURE_LABELS,
    MEASURE_LABELS,
    MEASURE_TYPES,
    METHOD_LABELS,
    FigureKind,
    Measure,
    Method,
)
from registry.facilities import catalogue
from registry.facilities import read as facilities_read
from registry.geography import services as geography
from registry.geography.models import AdminUnit, Edition, Level

DEFAULT_THRESHOLD = 5


def threshold() -> int:
    """The configured small-number threshold (``DEMAND_SMALL_NUMBER_THRESHOLD``)."""
    if has_app_context():
        return int(current_app.config.get("DEMAND_SMALL_NUMBER_THRESHOLD", DEFAULT_THRESHOLD))
    return DEFAULT_THRESHOLD


@dataclass(frozen=True)
class DemandReader:
    """Who reads: a jurisdiction (None: national) and whether small numbers are shown."""

    province_code: str | None
    may_see_small: bool
    threshold: int = DEFAULT_THRESHOLD

    @classmethod
    def of(cls, user: Any) -> DemandReader:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(province_code=None, may_see_small=False, threshold=threshold())
        return cls(
            province_code=user.province_code,
            may_see_small=bool(user.can("demand.view_small_numbers")),
            threshold=threshold(),
        )

    def covers(self, province_code: str | None) -> bool:
        return self.province_code is None or self.province_code == province_code

    def show(self, value: int | None) -> Shown:
        return protect.show(value, self.threshold, permitted=self.may_see_small)

    def parts(
        self, total: int | None, male: int | None, female: int | None
    ) -> tuple[Shown, Shown, Shown]:
        return protect.show_parts(total, male, female, self.threshold, permitted=self.may_see_small)

    def sum(self, values: Iterable[int | None]) -> Shown:
        return protect.show_sum(values, self.threshold, permitted=self.may_see_small)

    def aggregate(self, value: float, counts: Iterable[int | None]) -> Shown:
        """A figure computed from these counts (``protect.show_aggregate``)."""
        small = any(protect.is_small(c, self.threshold) for c in counts)
        return protect.show_aggregate(
            round(value), self.threshold, permitted=self.may_see_small, holds_small=small
        )


@dataclass(frozen=True)
class UnitFigure:
    code: str
    name: str
    total: Shown
    male: Shown
    female: Shown
    method: Method
    complete: bool
    sources: tuple[dict[str, Any], ...]
    band: str  # the map's shading class, the same for every reader: "0", "small", "1".."4"

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS[self.method])


@dataclass(frozen=True)
class LayerSummary:
    id: int
    measure: Measure
    province_code: str
    edition: Edition
    as_of: date
    source: str
    file_name: str | None
    input_rows: int
    units: int
    sex_given: bool
    created_at: datetime

    @property
    def measure_label(self) -> str:
        return str(MEASURE_LABELS[self.measure])

    @property
    def label(self) -> str:
        return f"{self.measure_label} — {self.as_of:%d/%m/%Y}"


@dataclass(frozen=True)
class LayerView:
    layer: LayerSummary
    units: tuple[UnitFigure, ...]
    total: Shown
    threshold: int
    protected: bool  # the reader sees banded values


def _summaries(session: Session, reader: DemandReader, layer_id: int | None) -> list[LayerSummary]:
    n_units = (
        select(DemandCount.layer_id, func.count(DemandCount.id).label("n"))
        .group_by(DemandCount.layer_id)
        .subquery()
    )
    stmt = (
        select(DemandLayer, func.coalesce(n_units.c.n, 0))
        .outerjoin(n_units, n_units.c.layer_id == DemandLayer.id)
        .order_by(DemandLayer.as_of.desc(), DemandLayer.id.desc())
    )
    if reader.province_code is not None:
        stmt = stmt.where(DemandLayer.province_code == reader.province_code)
    if layer_id is not None:
        stmt = stmt.where(DemandLayer.id == layer_id)
    return [
        LayerSummary(
            id=layer.id,
            measure=Measure(layer.measure),
            province_code=layer.province_code,
            edition=Edition(layer.edition),
            as_of=layer.as_of,
            source=layer.source,
            file_name=layer.file_name,
            input_rows=layer.input_rows,
            units=int(n),
            sex_given=layer.sex_given,
            created_at=layer.created_at,
        )
        for layer, n in session.execute(stmt)
    ]


def layers(session: Session, reader: DemandReader) -> list[LayerSummary]:
    """The layers of the reader's jurisdiction, newest first (no counts: nothing to band)."""
    return _summaries(session, reader, None)


def layer_summary(session: Session, reader: DemandReader, layer_id: int) -> LayerSummary | None:
    found = _summaries(session, reader, layer_id)
    return found[0] if found else None


def _bands(values: list[int], small: int) -> list[float]:
    """Quartile edges of the counts that are not small, for the map's four classes."""
    big = sorted(v for v in values if v >= small)
    if not big:
        return []
    return [big[min(len(big) - 1, (len(big) * q) // 4)] for q in (1, 2, 3)]


def _band(value: int, small: int, edges: list[float]) -> str:
    if value == 0:
        return "0"
    if value < small:
        return "small"
    return str(1 + sum(value > edge for edge in edges))


def layer(session: Session, reader: DemandReader, layer_id: int) -> LayerView | None:
    """A layer with every unit's figures as the reader may see them; None when it does not
    exist or lies outside the reader's jurisdiction."""
    summary = layer_summary(session, reader, layer_id)
    if summary is None:
        return None
    rows = session.execute(
        select(
            DemandCount.unit_code,
            AdminUnit.name,
            DemandCount.total,
            DemandCount.male,
            DemandCount.female,
            DemandCount.method,
            DemandCount.complete,
            DemandCount.sources,
        )
        .outerjoin(
            AdminUnit,
            (AdminUnit.code == DemandCount.unit_code)
            & (AdminUnit.edition == Edition.CURRENT)
            & (AdminUnit.level == Level.COMMUNE),
        )
        .where(DemandCount.layer_id == layer_id)
        .order_by(DemandCount.unit_code)
    ).all()
    edges = _bands([r.total for r in rows], reader.threshold)
    units = []
    for r in rows:
        total, male, female = reader.parts(r.total, r.male, r.female)
        units.append(
            UnitFigure(
                code=r.unit_code,
                name=r.name or r.unit_code,
                total=total,
                male=male,
                female=female,
                method=Method(r.method),
                complete=bool(r.complete),
                sources=tuple(r.sources or ()),
                band=_band(r.total, reader.threshold, edges),
            )
        )
    return LayerView(
        layer=summary,
        units=tuple(units),
        total=reader.sum(r.total for r in rows),
        threshold=reader.threshold,
        protected=not reader.may_see_small,
    )


def exact_counts(session: Session, reader: DemandReader, layer_id: int) -> dict[str, int] | None:
    """Plain counts per current commune, for computations whose published results go
    through ``protect`` (never rendered as they are). None outside the jurisdiction."""
    if layer_summary(session, reader, layer_id) is None:
        return None
    return dict(
        session.execute(
            select(DemandCount.unit_code, DemandCount.total).where(DemandCount.layer_id == layer_id)
        ).all()
    )


@dataclass(frozen=True)
class CapacityPerNeed:
    """Places in the operating facilities that serve the layer's group, per 100 people in
    need, over the whole province."""

    type_codes: tuple[str, ...]
    facilities: int
    capacity: int
    need: Shown
    per_100: float | None


def capacity_per_need(
    session: Session,
    reader: DemandReader,
    facility_reader: facilities_read.Reader,
    view: LayerView,
) -> CapacityPerNeed:
    """The layer's need against the design capacity of the facilities of its types
    (``MEASURE_TYPES``). For a reader who sees banded values, the ratio is taken on the
    rounded need, so that it cannot give the exact total back."""
    from registry.facilities.queries import FacilityFilter
    from registry.facilities.vocab import Status

    types = MEASURE_TYPES[view.layer.measure]
    flt = FacilityFilter(
        province=view.layer.province_code, types=list(types), statuses=[Status.OPERATING]
    )
    totals = facilities_read.unit_totals(session, facility_reader, flt, "province_code")
    facilities, capacity = totals.get(view.layer.province_code, (0, 0))
    exact = exact_counts(session, reader, view.layer.id) or {}
    need = sum(exact.values())
    basis = need if not view.total.suppressed else protect.round_to_tens(need)
    per_100 = round(100.0 * capacity / basis, 1) if basis > 0 else None
    return CapacityPerNeed(types, facilities, capacity, view.total, per_100)


# --- outputs: the same values in every format -------------------------------------------------

EXPORT_FIELDS = ("code", "name", "total", "male", "female", "method", "complete", "sources")


def _source_text(sources: Iterable[dict[str, Any]]) -> str:
    return "; ".join(
        f"{s.get('code')} {s.get('name')} ({round(100 * float(s.get('share', 1)))}%)"
        for s in sources
    )


def export_rows(view: LayerView) -> list[dict[str, Any]]:
    """CSV/XLSX rows: banded values are written as their text ("< 5")."""
    return [
        {
            "code": u.code,
            "name": u.name,
            "total": u.total.json(),
            "male": u.male.json(),
            "female": u.female.json(),
            "method": u.method_label,
            "complete": u.complete,
            "sources": _source_text(u.sources),
        }
        for u in view.units
    ]


def to_json(view: LayerView) -> dict[str, Any]:
    summary = view.layer
    return {
        "id": summary.id,
        "measure": summary.measure.value,
        "measure_label": summary.measure_label,
        "province_code": summary.province_code,
        "edition": summary.edition.value,
        "as_of": summary.as_of.isoformat(),
        "source": summary.source,
        "small_number_threshold": view.threshold,
        "protected": view.protected,
        "total": view.total.json(),
        "units": [
            {
                "code": u.code,
                "name": u.name,
                "total": u.total.json(),
                "male": u.male.json(),
                "female": u.female.json(),
                "method": u.method.value,
                "method_label": u.method_label,
                "complete": u.complete,
                "sources": list(u.sources),
                "band": u.band,
            }
            for u in view.units
        ],
    }


def map_values(view: LayerView) -> dict[str, Any]:
    """What the map shades: per commune code the band and the text of its count."""
    return {
        "threshold": view.threshold,
        "units": {u.code: {"band": u.band, "text": u.total.text} for u in view.units},
    }


# --- facility figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    unit_code: str
    unit_name: str
    kind: FigureKind
    target_group: str | None
    as_of: date
    facilities: int
    total: Shown
    male: Shown
    female: Shown

    @property
    def kind_label(self) -> str:
        return str(FIGURE_LABELS[self.kind])

    def target_group_label(self, locale: str) -> str:
        if self.target_group is None:
            return ""
        return catalogue.target_group_label(self.target_group, locale)


def facility_figures(
    session: Session, reader: DemandReader, facility_ids: Iterable[int]
) -> list[tuple[int, FigureKind, str | None, date, Shown, Shown, Shown, str]]:
    """One facility's (or several) figures, banded for the reader."""
    rows = session.execute(
        select(FacilityFigure)
        .where(FacilityFigure.facility_id.in_(list(facility_ids)))
        .order_by(FacilityFigure.as_of.desc(), FacilityFigure.kind, FacilityFigure.target_group)
    ).scalars()
    out = []
    for f in rows:
        total, male, female = reader.parts(f.total, f.male, f.female)
        out.append(
            (
                f.facility_id,
                FigureKind(f.kind),
                f.target_group,
                f.as_of,
                total,
                male,
                female,
                f.source,
            )
        )
    return out


def figures_by_unit(
    session: Session,
    reader: DemandReader,
    facility_reader: facilities_read.Reader,
    province_code: str,
) -> list[FigureRow]:
    """Statistics per current commune: the latest figure of each facility, kind and group,
    summed over the facilities the reader may see in the commune, banded for the reader."""
    records = {
        r.id: r
        for r in facilities_read.records(session, facility_reader, provinces=[province_code])
        if r.commune_code
    }
    if not records:
        return []
    latest: dict[tuple[int, str, str | None], FacilityFigure] = {}
    for f in session.scalars(
        select(FacilityFigure)
        .where(FacilityFigure.facility_id.in_(list(records)))
        .order_by(FacilityFigure.as_of)
    ):
        latest[(f.facility_id, f.kind, f.target_group)] = f
    groups: dict[tuple[str, str, str | None], list[FacilityFigure]] = defaultdict(list)
    for (fid, kind, group), figure in latest.items():
        groups[(records[fid].commune_code or "", kind, group)].append(figure)
    names = geography.unit_names(session, {k[0] for k in groups}, Edition.CURRENT)
    out = []
    for (unit, kind, group), figures in sorted(
        groups.items(), key=lambda i: (i[0][0], i[0][1], i[0][2] or "")
    ):
        male_known = all(f.male is not None for f in figures)
        female_known = all(f.female is not None for f in figures)
        total, male, female = reader.parts(
            sum(f.total for f in figures),
            sum(f.male or 0 for f in figures) if male_known else None,
            sum(f.female or 0 for f in figures) if female_known else None,
        )
        out.append(
            FigureRow(
                unit_code=unit,
                unit_name=names.get(unit, unit),
                kind=FigureKind(kind),
                target_group=group,
                as_of=max(f.as_of for f in figures),
                facilities=len(figures),
                total=total,
                male=male,
                female=female,
            )
        )
    return out
