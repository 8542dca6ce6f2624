"""Writing a validated plan: every row through the facility services (``apply``).

Creates and updates go through ``services.register_many`` / ``update_facility``, all rows in
the caller's single transaction; the caller commits, or rolls back when ``ImportFailed`` is
raised. Imports are all-or-nothing.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from registry.errors import RegistryError
from registry.facilities import services
from registry.facilities.imports.lookups import BatchLookups
from registry.facilities.imports.plan import ImportPlan, Problem, column_label
from registry.i18n import _l


class ImportFailed(RegistryError):
    """The registry refused rows while writing; the caller rolls the transaction back."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            str(
                _l(
                    "Nothing was imported: %(n)d rows were refused.",
                    n=len({p.row for p in problems}),
                )
            )
        )
        self.problems = problems


def apply(
    session: Session,
    plan: ImportPlan,
    *,
    actor_id: int | None,
    reason: str,
    expected_versions: dict[str, int] | None = None,
) -> tuple[int, int]:
    """Write a validated plan: creates and updates in file order; returns (created, updated).

    Duplicates were confirmed on the plan, so the services do not ask again. Updates check the
    version seen at the preview (``expected_versions``) so a change made in between is never
    overwritten. Raises ``ImportFailed`` when any row is refused; the caller rolls back."""
    if not plan.ok:
        raise ImportFailed(plan.errors)
    problems: list[Problem] = []
    created = updated = 0
    versions = expected_versions or {}
    _types_held = services.facility_types(session)  # in the weak identity map: no query per row
    lookups = BatchLookups(session, [row.data for row in plan.rows])
    new = [row for row in plan.rows if row.facility is None]
    for row in plan.rows:
        if row.facility is None:
            continue
        try:
            facility = row.facility
            services.update_facility(
                session,
                facility,
                row.data,
                expected_version=versions.get(facility.code, facility.version),
                actor_id=actor_id,
                confirm_duplicates=True,
                reason=reason,
                lookups=lookups,
            )
            updated += 1
        except services.EditConflict:
            message = _l(
                "This facility was changed by someone else after the preview; "
                "upload the file again."
            )
            problems.append(
                Problem(row.number, "code", column_label(plan.headers, "code"), str(message))
            )
        except services.ValidationFailed as exc:
            problems.extend(
                Problem(row.number, name, column_label(plan.headers, name), message)
                for name, messages in exc.errors.items()
                for message in messages
            )
        except SQLAlchemyError as exc:
            # The session cannot go on after a database error; report the row and stop.
            problems.append(
                Problem(
                    row.number,
                    "",
                    "",
                    str(_l("The database refused this row: %(error)s", error=type(exc).__name__)),
                )
            )
            break
    if new and not problems:
        try:
            created = len(
                services.register_many(
                    session,
                    [row.data for row in new],
                    actor_id=actor_id,
                    confirm_duplicates=True,
                    reason=reason,
                    lookups=lookups,
                )
            )
        except services.BatchValidationFailed as exc:
            problems.extend(
                Problem(new[index].number, name, column_label(plan.headers, name), message)
                for index, failure in sorted(exc.failures.items())
                for name, messages in failure.errors.items()
                for message in messages
            )
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.row))
    return created, updated
