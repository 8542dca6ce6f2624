"""Writing demand layers and facility figures. Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.context import set_actor, set_reason
from registry.demand import importer
from registry.demand.importer import DemandImportFailed, Problem
from registry.demand.models import DemandCount, DemandLayer, FacilityFigure
from registry.demand.vocab import FigureKind, Measure
from registry.errors import RegistryError
from registry.facilities import catalogue, read
from registry.geography.models import Edition, Level
from registry.i18n import _l


@dataclass(frozen=True)
class LayerInput:
    measure: Measure
    province_code: str
    edition: Edition
    as_of: date
    source: str
    file_name: str | None = None


def import_layer(
    session: Session, data: bytes, fmt: str, spec: LayerInput, *, actor: Any
) -> DemandLayer:
    """A layer from a count file: every problem of every row in one pass
    (``DemandImportFailed``), nothing written unless there is none."""
    rows, problems = importer.read_rows(data, fmt)
    carried: list[importer.Carried] = []
    if rows:
        carried, more = importer.carry(
            session, rows, province_code=spec.province_code, edition=spec.edition
        )
        problems += more
    if not spec.source.strip():
        problems.append(Problem(None, "source", str(_l("Say where the counts come from."))))
    if problems:
        raise DemandImportFailed(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    set_actor(session, actor)
    set_reason(session, spec.source)
    layer = DemandLayer(
        measure=spec.measure,
        province_code=spec.province_code,
        edition=spec.edition,
        level=Level.COMMUNE,
        as_of=spec.as_of,
        source=spec.source.strip(),
        file_name=spec.file_name,
        input_rows=len(rows),
        sex_given=any(r.male is not None or r.female is not None for r in rows),
        created_by_id=getattr(actor, "id", None),
    )
    layer.counts = [
        DemandCount(
            unit_code=c.code,
            total=c.total,
            male=c.male if layer.sex_given else None,
            female=c.female if layer.sex_given else None,
            method=c.method,
            complete=c.complete,
            sources=c.sources,
        )
        for c in carried
    ]
    session.add(layer)
    session.flush()
    return layer


class FigureRefused(RegistryError):
    pass


@dataclass(frozen=True)
class FigureInput:
    kind: FigureKind
    as_of: date
    total: int
    male: int | None
    female: int | None
    source: str
    target_group: str | None = None


def record_figure(
    session: Session, reader: read.Reader, facility_id: int, spec: FigureInput, *, actor: Any
) -> FacilityFigure:
    """A facility's figure on a date (replacing the one of the same kind, group and date)."""
    record = read.get(session, reader, facility_id)
    if record is None:
        raise FigureRefused(str(_l("No such facility.")))
    if (spec.male or 0) + (spec.female or 0) > spec.total:
        raise FigureRefused(str(_l("Men and women together exceed the total.")), field="male")
    if spec.target_group and not catalogue.is_target_group(spec.target_group):
        raise FigureRefused(str(_l("Unknown target group.")), field="target_group")
    if not spec.source.strip():
        raise FigureRefused(str(_l("Say where the counts come from.")), field="source")
    set_actor(session, actor)
    existing = session.scalars(
        select(FacilityFigure).where(
            FacilityFigure.facility_id == facility_id,
            FacilityFigure.kind == spec.kind,
            FacilityFigure.target_group.is_(None)
            if spec.target_group is None
            else FacilityFigure.target_group == spec.target_group,
            FacilityFigure.as_of == spec.as_of,
        )
    ).one_or_none()
    figure = existing or FacilityFigure(
        facility_id=facility_id,
        kind=spec.kind,
        target_group=spec.target_group,
        as_of=spec.as_of,
        created_by_id=getattr(actor, "id", None),
    )
    figure.province_code = record.province_code
    figure.total, figure.male, figure.female = spec.total, spec.male, spec.female
    figure.source = spec.source.strip()
    session.add(figure)
    session.flush()
    return figure


__all__ = [
    "DemandImportFailed",
    "FigureInput",
    "FigureRefused",
    "LayerInput",
    "import_layer",
    "record_figure",
]
