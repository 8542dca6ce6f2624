"""The rule engine: check a master plan's rules against plain facts about facilities and units.

Pure: no database, no Flask. Services turn models into ``FacilityFact`` / ``UnitFact``, build a
``CheckContext`` and call ``evaluate(plan, context)``; views render the ``PlanReport``.

Modules: ``facts`` (inputs, context, statuses, results), ``engine`` (the machinery all kinds
share, the ``KINDS`` registry and the entry points), ``messages`` (Vietnamese and English
texts), and one module per family of rule kinds, each registering its evaluators:
``counts`` (min_count, non_public_share, total_capacity, capacity_per_population),
``standards`` (capacity_bounds, residents_within_capacity, licensing_required), ``spatial``
(coverage, spacing), ``units`` (valid_admin_codes), ``projects`` (project_completed: a
facility upgraded, extended or built by a year, read from investment projects) and
``external`` (external_indicator).
Parameters are validated by ``plan_schema``; each kind module documents what they mean.
"""

# Importing the kind modules fills ``KINDS``.
from registry.planning.rules import (  # noqa: F401
    counts,
    external,
    projects,
    spatial,
    standards,
    units,
)
from registry.planning.rules.engine import KINDS, evaluate, evaluate_all, evaluate_rule
from registry.planning.rules.facts import (
    DEFAULT_STATUSES,
    REORGANISATION_DATE,
    CheckContext,
    FacilityFact,
    PlanReport,
    ProjectLike,
    RuleResult,
    Status,
    UnitFact,
)
from registry.planning.rules.messages import MESSAGES, render_messages
from registry.planning.rules.units import CATALOGUES, catalogue_text, catalogues_used, edition_on

__all__ = [
    "CATALOGUES",
    "DEFAULT_STATUSES",
    "KINDS",
    "MESSAGES",
    "REORGANISATION_DATE",
    "CheckContext",
    "FacilityFact",
    "PlanReport",
    "ProjectLike",
    "RuleResult",
    "Status",
    "UnitFact",
    "catalogue_text",
    "catalogues_used",
    "edition_on",
    "evaluate",
    "evaluate_all",
    "evaluate_rule",
    "render_messages",
]
