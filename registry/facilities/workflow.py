"""Which status changes are allowed. Pure: no database, no Flask.

A facility is planned, built, operated, possibly suspended (Decree 103/2017 Art. 32(1):
suspension of up to six months to restore the conditions) and finally closed. Closed
facilities stay in the registry for history; a planned facility that is dropped is closed
with its reason.
"""

from __future__ import annotations

from registry.facilities.vocab import Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.UNDER_CONSTRUCTION, Status.OPERATING, Status.CLOSED}),
    Status.UNDER_CONSTRUCTION: frozenset({Status.OPERATING, Status.SUSPENDED, Status.CLOSED}),
    Status.OPERATING: frozenset({Status.SUSPENDED, Status.CLOSED}),
    Status.SUSPENDED: frozenset({Status.OPERATING, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

EXISTING = frozenset({Status.OPERATING, Status.SUSPENDED, Status.CLOSED})


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def allowed_targets(current: Status) -> list[Status]:
    return [s for s in Status if s in TRANSITIONS[current]]


def is_existing(status: Status) -> bool:
    """Facilities that exist on the ground, as opposed to planned or being built."""
    return status in EXISTING
