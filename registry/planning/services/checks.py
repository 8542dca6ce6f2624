"""Checks of the live registry (or a scenario) against the plans: the engine's input built
from what the reader may see, and the run.

Facilities come from ``facilities.read`` as the reader sees them: a confidential facility the
reader may not locate takes part at its generalised point, so no distance, ranking or marker
in a report lets anyone compute the exact place.

Dates. A plan is checked as of a date: the one asked for, else, for a plan whose period has
ended, the last day of the period (a 2018–2020 plan is checked on 31/12/2020, against the
network of that day), else today. Each plan's report says its period, the date it was checked
on and the unit catalogue it used (``PlanInfo``). Facilities take part with their status on
that date (``facilities.read.statuses_on``, the one definition).

Scenarios. A scenario describes the network as it would be once implemented: in its checks,
proposed new facilities count as *operating* from 1 January of the scenario's target year
(planned before then; the default "as of" of a scenario check is 31 December of that year),
capacity changes and closures replace the registry's values. The registry itself changes only
on adoption.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import clock
from registry.facilities import definitions, read
from registry.facilities import services as facility_services
from registry.facilities.read import FacilityRecord, Reader
from registry.geography import services as geography
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _l
from registry.investment.facts import project_facts
from registry.planning import rules
from registry.planning.models import ItemAction, MasterPlan, Scenario
from registry.planning.services.plans import PlanningError, all_plans, plan_from_row
from registry.planning.services.scenarios import ItemView, item_views

Box = tuple[float, float, float, float]


def _facility_fact(f: FacilityRecord, status: str) -> rules.FacilityFact:
    return rules.FacilityFact(
        id=f.id,
        code=f.code,
        name=f.name,
        type_code=f.type_code,
        ownership=f.ownership.value,
        status=status,
        province_code=f.province_code,
        commune_code=f.commune_code,
        district_code=f.district_code,
        category=f.category,
        lon=f.lon,
        lat=f.lat,
        design_capacity=f.design_capacity,
        residents=f.residents,
        has_registration=bool(f.registration_no),
        has_licence=bool(f.licence_no),
        opened_on=f.opened_on,
        closed_on=f.closed_on,
        approximate=f.location_approximate,
        level=f.level.value if f.level is not None else None,
        service_codes=tuple(f.service_codes),
        target_groups=tuple(f.target_groups),
        criteria_supported_on=f.criteria_supported_on,
    )


def facility_facts(
    session: Session,
    reader: Reader,
    *,
    as_of: date,
    province_codes: Sequence[str] | None = None,
    everywhere: bool = False,
    bbox: Box | None = None,
) -> list[rules.FacilityFact]:
    """Facts about every facility the reader may see (planned and closed ones included),
    with its status on ``as_of`` from the status history; facilities not yet registered on
    ``as_of`` are left out. ``everywhere``/``bbox``: see ``facilities.read.records``."""
    found = read.records(
        session, reader, provinces=province_codes, everywhere=everywhere, bbox=bbox
    )
    statuses = read.statuses_on(session, [f.id for f in found], as_of)
    facts = []
    for record in found:
        status = statuses.get(record.id)
        if status is not None:
            facts.append(_facility_fact(record, status.value))
    return facts


def unit_facts(session: Session) -> list[rules.UnitFact]:
    """Every administrative unit of both editions, without outlines."""
    rows = session.execute(
        select(
            AdminUnit.id,
            AdminUnit.parent_id,
            AdminUnit.code,
            AdminUnit.level,
            AdminUnit.name,
            AdminUnit.edition,
            AdminUnit.population,
            AdminUnit.population_year,
            AdminUnit.rep_lon,
            AdminUnit.rep_lat,
            AdminUnit.province_code,
            AdminUnit.valid_from,
            AdminUnit.valid_to,
        )
    ).all()
    code_of = {r.id: r.code for r in rows}
    return [
        rules.UnitFact(
            code=r.code,
            level=Level(r.level).value,
            name=r.name,
            parent_code=code_of.get(r.parent_id),
            edition=Edition(r.edition).value,
            population=definitions.known_population(r.population, r.population_year),
            population_year=r.population_year,
            rep_lon=r.rep_lon,
            rep_lat=r.rep_lat,
            province_code=r.province_code,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in rows
    ]


def apply_scenario(
    facts: Sequence[rules.FacilityFact],
    scenario: Scenario,
    views: Mapping[int, ItemView] | None = None,
    *,
    as_of: date | None = None,
) -> list[rules.FacilityFact]:
    """The facts as the scenario would leave them (see the module docstring) on ``as_of``
    (default: the scenario's own date). ``views`` gives the point each proposed facility is
    shown at (``scenarios.item_views``); without them the proposal's own point is used."""
    by_id: dict[int | str, rules.FacilityFact] = {f.id: f for f in facts}
    opened = date(scenario.target_year, 1, 1)
    added_status = "operating" if as_of is None or as_of >= opened else "planned"
    for item in scenario.items:
        if item.action is ItemAction.ADD:
            view = (views or {}).get(item.id)
            lon, lat = (view.lon, view.lat) if view is not None else (item.lon, item.lat)
            fact = rules.FacilityFact(
                id=f"S{item.id}",
                code=f"KB-{item.id}",
                name=item.name or "",
                type_code=item.type_code or "",
                ownership=item.ownership or "public",
                status=added_status,
                province_code=item.province_code,
                commune_code=item.commune_code,
                district_code=item.district_code,
                lon=lon,
                lat=lat,
                design_capacity=item.design_capacity,
                opened_on=opened,
                approximate=bool(view and view.generalised),
            )
            by_id[fact.id] = fact
            continue
        current = by_id.get(item.facility_id) if item.facility_id is not None else None
        if current is None:
            continue
        if item.action is ItemAction.CAPACITY:
            by_id[current.id] = replace(current, design_capacity=item.design_capacity)
        elif item.action is ItemAction.UPGRADE:
            by_id[current.id] = replace(
                current,
                status=item.new_status or current.status,
                design_capacity=item.design_capacity
                if item.design_capacity is not None
                else current.design_capacity,
            )
        elif item.action is ItemAction.CLOSE:
            by_id[current.id] = replace(current, status="closed", closed_on=None)
    return list(by_id.values())


def scenario_as_of(scenario: Scenario) -> date:
    """A scenario is checked at the end of its target year unless asked otherwise."""
    return date(scenario.target_year, 12, 31)


def build_context(
    session: Session,
    reader: Reader,
    *,
    as_of: date,
    jurisdiction: str | None,
    scenario: Scenario | None = None,
) -> rules.CheckContext:
    """The engine's input read from the live registry (and the scenario, if any), as the
    reader may see it.

    ``jurisdiction`` is the current province code checked (None: national); a scenario
    narrows it to the scenario's province. Investment projects (not cancelled) come from
    ``investment.facts``; a project counts only through a facility the reader sees.
    """
    if scenario is not None:
        jurisdiction = scenario.province_code
    codes = None if jurisdiction is None else [jurisdiction]
    facts = facility_facts(session, reader, as_of=as_of, province_codes=codes)
    if scenario is not None:
        facts = apply_scenario(facts, scenario, item_views(session, reader, scenario), as_of=as_of)
    return rules.CheckContext(
        as_of=as_of,
        facilities=tuple(facts),
        units=tuple(unit_facts(session)),
        jurisdiction_province_codes=None if jurisdiction is None else frozenset(codes or ()),
        type_categories=facility_services.type_categories(session),
        province_code_map=geography.province_code_map(session),
        projects=tuple(project_facts(session, codes)),
    )


@dataclass(frozen=True)
class PlanInfo:
    """What a plan's report must say beside its results: the plan period, the date it was
    checked on (and whether that is the default), and the unit catalogues it used."""

    period_start: int
    period_end: int | None
    as_of: date
    as_of_default: bool
    catalogues: tuple[str, ...]
    today: date

    @property
    def period_ends_on(self) -> date | None:
        return None if self.period_end is None else date(self.period_end, 12, 31)

    @property
    def ended(self) -> bool:
        """The plan period is over (on the day of the check)."""
        end = self.period_ends_on
        return end is not None and end < self.today

    @property
    def after_period(self) -> bool:
        """Checked on a date after the period ended: the network of a later day."""
        end = self.period_ends_on
        return end is not None and self.as_of > end

    @property
    def before_period(self) -> bool:
        return self.as_of < date(self.period_start, 1, 1)

    def period_text(self, locale: str = "vi") -> str:
        end = "" if self.period_end is None else str(self.period_end)
        if self.period_end is None:
            return f"from {self.period_start}" if locale == "en" else f"từ {self.period_start}"
        return f"{self.period_start}–{end}"

    def catalogue_texts(self, locale: str = "vi") -> list[str]:
        return [rules.catalogue_text(edition, locale) for edition in self.catalogues]

    def date_note(self, locale: str = "vi") -> str:
        """Why the check is on this date, and what it means for an ended plan."""
        end = self.period_ends_on
        en = locale == "en"
        if end is not None and self.ended and self.as_of_default and self.as_of == end:
            return (
                f"The plan period ended on {end:%d/%m/%Y}: the plan is checked as of its last "
                "day, against the network of that day."
                if en
                else f"Kỳ kế hoạch đã kết thúc ngày {end:%d/%m/%Y}: kế hoạch được đối chiếu tại "
                "ngày cuối kỳ, với mạng lưới của ngày đó."
            )
        if end is not None and self.after_period:
            return (
                f"The plan period ended on {end:%d/%m/%Y}; this check is as of "
                f"{self.as_of:%d/%m/%Y}, after it: it compares the network of that later day "
                "with the plan's targets."
                if en
                else f"Kỳ kế hoạch đã kết thúc ngày {end:%d/%m/%Y}; lần đối chiếu này tại ngày "
                f"{self.as_of:%d/%m/%Y}, sau khi kết thúc kỳ: so mạng lưới của ngày đó với chỉ "
                "tiêu của kế hoạch."
            )
        if self.before_period:
            return (
                f"This check is as of {self.as_of:%d/%m/%Y}, before the plan period "
                f"({self.period_text('en')}) began."
                if en
                else f"Lần đối chiếu này tại ngày {self.as_of:%d/%m/%Y}, trước khi kỳ kế hoạch "
                f"({self.period_text()}) bắt đầu."
            )
        if end is not None and self.ended:
            return (
                f"The plan period ended on {end:%d/%m/%Y}."
                if en
                else f"Kỳ kế hoạch đã kết thúc ngày {end:%d/%m/%Y}."
            )
        return ""


def default_as_of(row: MasterPlan, today: date) -> date:
    """The date a plan is checked on when none is asked for: the last day of an ended
    period, else today."""
    if row.period_end is not None and date(row.period_end, 12, 31) < today:
        return date(row.period_end, 12, 31)
    return today


@dataclass(frozen=True)
class CheckRun:
    """The reports of one check, with what it was run on. ``as_of`` is the date asked for, or
    the latest of the plans' own dates; each plan's date is in ``plans`` (``info``)."""

    as_of: date
    jurisdiction: str | None
    scenario: Scenario | None
    reports: list[tuple[MasterPlan, rules.PlanReport]]
    plans: Mapping[str, PlanInfo] = field(default_factory=dict)
    requested_as_of: date | None = None

    def info(self, plan_code: str) -> PlanInfo:
        return self.plans[plan_code]

    @property
    def one_date(self) -> bool:
        """Every plan was checked on the same date."""
        return len({report.as_of for _, report in self.reports}) <= 1


def run_check(
    session: Session,
    reader: Reader,
    plan_codes: Sequence[str] | None,
    *,
    as_of: date | None,
    jurisdiction: str | None,
    scenario: Scenario | None = None,
    context: rules.CheckContext | None = None,
) -> CheckRun:
    """Check the named plans (all when None) against the registry or a scenario; an unknown
    plan code is a ``PlanningError``. Without ``as_of``, a scenario is checked on its own
    date and each plan on ``default_as_of``."""
    today = clock.today()
    requested = as_of
    if context is not None:
        requested = context.as_of
    elif requested is None and scenario is not None:
        requested = scenario_as_of(scenario)
    rows = all_plans(session)
    if plan_codes:
        wanted = set(plan_codes)
        rows = [r for r in rows if r.code in wanted]
        missing = wanted - {r.code for r in rows}
        if missing:
            raise PlanningError(
                str(_l("Unknown plan: %(codes)s", codes=", ".join(sorted(missing))))
            )
    contexts: dict[date, rules.CheckContext] = {}
    if context is not None:
        contexts[context.as_of] = context
    reports: list[tuple[MasterPlan, rules.PlanReport]] = []
    infos: dict[str, PlanInfo] = {}
    for row in rows:
        day = requested or default_as_of(row, today)
        if day not in contexts:
            contexts[day] = build_context(
                session, reader, as_of=day, jurisdiction=jurisdiction, scenario=scenario
            )
        plan = plan_from_row(row)
        reports.append((row, rules.evaluate(plan, contexts[day])))
        infos[row.code] = PlanInfo(
            period_start=row.period_start,
            period_end=row.period_end,
            as_of=day,
            as_of_default=as_of is None,
            catalogues=rules.catalogues_used(plan, day),
            today=today,
        )
    shown = requested or max((info.as_of for info in infos.values()), default=today)
    return CheckRun(
        shown,
        scenario.province_code if scenario else jurisdiction,
        scenario,
        reports,
        infos,
        as_of,
    )
