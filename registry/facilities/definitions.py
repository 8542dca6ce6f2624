"""The definitions of the figures several modules show, kept in one place so that the map, the
plan check and the exports give one answer to one question. Pure: no database, no Flask.

*Which statuses count.* A network figure (a count, a capacity, a ratio) counts the facilities
that operate: planned ones and ones being built are not there yet, suspended ones do not take
anyone in, closed ones are history. A plan rule may list other statuses for its own target
(parameter ``statuses``); the figure then says which.

*Capacity per 10,000 population.* The summed design capacity (places) of the counted
facilities of a unit, divided by the unit's population and multiplied by 10,000. A population
counts only with its year (a figure of unknown vintage is no figure); a facility without a
recorded design capacity adds nothing, and the rule engine then says its result is incomplete.

Each figure is shown with ``capacity_definition`` beside it.
"""

from __future__ import annotations

from collections.abc import Iterable

from registry.facilities.vocab import Status

#: The statuses a network figure counts unless a plan rule lists others.
COUNTED_STATUSES: tuple[Status, ...] = (Status.OPERATING,)
#: Capacity is given per this many inhabitants.
PER_POPULATION = 10_000

_STATUS_WORDS = {
    Status.PLANNED: ("quy hoạch", "planned"),
    Status.UNDER_CONSTRUCTION: ("đang xây dựng", "under construction"),
    Status.OPERATING: ("đang hoạt động", "operating"),
    Status.SUSPENDED: ("tạm ngừng hoạt động", "suspended"),
    Status.CLOSED: ("đã đóng cửa", "closed"),
}


def known_population(population: int | None, year: int | None) -> int | None:
    """A unit's population as the figures use it: only with the year it is of."""
    if population is None or year is None or population <= 0:
        return None
    return population


def per_population(
    capacity: float, population: float | None, per: float = PER_POPULATION
) -> float | None:
    """Design capacity per ``per`` inhabitants; None without a population."""
    if not population:
        return None
    return capacity / population * per


def _statuses(statuses: Iterable[Status | str]) -> list[Status]:
    return [Status(s) for s in statuses]


def status_words(statuses: Iterable[Status | str], locale: str = "vi") -> str:
    """The statuses as words of the locale ("đang hoạt động", "operating")."""
    index = 1 if locale == "en" else 0
    words = [_STATUS_WORDS[s][index] for s in _statuses(statuses)]
    joiner = " or " if locale == "en" else " hoặc "
    return joiner.join(words)


def capacity_definition(
    statuses: Iterable[Status | str] = COUNTED_STATUSES,
    per: float = PER_POPULATION,
    locale: str = "vi",
) -> str:
    """The definition shown beside a capacity-per-population figure."""
    chosen = _statuses(statuses)
    left_out = [s for s in Status if s not in chosen]
    per_text = f"{int(per):,}".replace(",", "." if locale != "en" else ",")
    if locale == "en":
        text = (
            f"Design capacity (places) of the {status_words(chosen, 'en')} facilities per "
            f"{per_text} inhabitants (population with its year)"
        )
        if left_out:
            text += f"; {status_words(left_out, 'en').replace(' or ', ', ')} ones are not counted"
        return text + "; a facility without a recorded capacity adds nothing."
    text = (
        f"Công suất thiết kế (chỗ) của các cơ sở {status_words(chosen)} trên {per_text} dân "
        "(dân số có năm số liệu)"
    )
    if left_out:
        text += f"; không tính cơ sở {status_words(left_out).replace(' hoặc ', ', ')}"
    return text + "; cơ sở chưa ghi công suất không được cộng."


__all__ = [
    "COUNTED_STATUSES",
    "PER_POPULATION",
    "capacity_definition",
    "known_population",
    "per_population",
    "status_words",
]
