"""Which status changes are allowed, and what the recorded changes say about a date. Pure: no
database, no Flask.

A facility is planned, built, operated, possibly suspended (Decree 103/2017 Art. 32(1):
suspension of up to six months to restore the conditions) and finally closed. Closed
facilities stay in the registry for history; a planned facility that is dropped is closed
with its reason.

Time. Each status change has the date it took effect (``effective_on``), apart from when it
was typed (``recorded_at``). ``timeline`` turns the changes, in the order they were recorded,
into the periods they establish; ``status_on`` reads a date off them. These two functions are
the one definition of "a facility's status on a date": ``facilities.read.statuses_on`` applies
them to the database, and every page, check and analysis asks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from registry.facilities.vocab import Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.UNDER_CONSTRUCTION, Status.OPERATING, Status.CLOSED}),
    Status.UNDER_CONSTRUCTION: frozenset({Status.OPERATING, Status.SUSPENDED, Status.CLOSED}),
    Status.OPERATING: frozenset({Status.SUSPENDED, Status.CLOSED}),
    Status.SUSPENDED: frozenset({Status.OPERATING, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

EXISTING = frozenset({Status.OPERATING, Status.SUSPENDED, Status.CLOSED})

#: One status period: the status held from this date until the next period starts.
Period = tuple[date, Status]


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def allowed_targets(current: Status) -> list[Status]:
    return [s for s in Status if s in TRANSITIONS[current]]


def is_existing(status: Status) -> bool:
    """Facilities that exist on the ground, as opposed to planned or being built."""
    return status in EXISTING


def _kept(dates: Sequence[date]) -> list[int]:
    """Indexes of the changes (dates in recorded order) that still hold: each later-recorded
    change removes the ones recorded before it with a later date."""
    kept: list[int] = []
    for index, day in enumerate(dates):
        while kept and dates[kept[-1]] > day:
            kept.pop()
        kept.append(index)
    return kept


def timeline(changes: Iterable[tuple[date, Status]]) -> list[Period]:
    """The status periods the changes establish, from ``(effective_on, to_status)`` pairs in
    the order they were recorded.

    A change holds from its effective date until the next period. A change recorded later
    but dated earlier than periods already recorded replaces them from its date on: a
    facility registered today as planned, then recorded as operating since 2005, was
    operating from 2005, and the registration's "planned" no longer says anything."""
    found = list(changes)
    return [found[i] for i in _kept([day for day, _ in found])]


def superseded(dates: Sequence[date]) -> set[int]:
    """Indexes of the changes (effective dates in recorded order) that ``timeline`` drops."""
    return set(range(len(dates))) - set(_kept(dates))


def status_on(
    periods: Sequence[Period],
    day: date,
    *,
    opened_on: date | None = None,
    closed_on: date | None = None,
    current: Status | None = None,
) -> Status | None:
    """The status on ``day`` (None: the registry knows of no status then).

    From the periods when there are any: the last one started on or before ``day``. Before
    the first one, the opening date still counts: a facility opened in 2005 whose history
    starts when it was registered in 2026 (as operating, suspended or closed) was operating
    in 2020. A facility with no recorded change at all (loaded in bulk) has its ``current``
    status, bounded by its opening and closing dates."""
    if not periods:
        if current is None:
            return None
        if current in EXISTING and opened_on is not None and opened_on > day:
            return None
        if current is Status.CLOSED and closed_on is not None and closed_on > day:
            return Status.OPERATING
        return current
    found: Status | None = None
    for start, status in periods:
        if start > day:
            break
        found = status
    if found is None and opened_on is not None and opened_on <= day and periods[0][1] in EXISTING:
        return Status.OPERATING
    return found


def earliest_existing(periods: Sequence[Period], opened_on: date | None) -> date | None:
    """The first day the facility is known to exist (operate, be suspended or closed)."""
    if opened_on is not None and periods and periods[0][1] in EXISTING:
        return min(opened_on, periods[0][0])
    for start, status in periods:
        if status in EXISTING:
            return start
    return opened_on
