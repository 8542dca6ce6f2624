"""Planning over the live registry, one module per job: ``plans`` (plans as data and the
targets users enter), ``checks`` (the engine's input from the registry and the run),
``scenarios`` (proposals and their adoption) and ``analysis`` (coverage and siting).

Services flush, never commit: the view, command or test owns the transaction. The pure engine
(``rules``, ``coverage``, ``siting``) does the analysis; these modules only turn what the
reader may see of the registry into the plain facts it reads.
"""

from registry.planning.services.analysis import (
    CoverageRun,
    coverage,
    demand_points,
    reach_box,
    siting_candidates,
    suggest_sites,
    supply_points,
)
from registry.planning.services.checks import (
    CheckRun,
    PlanInfo,
    apply_scenario,
    build_context,
    facility_facts,
    run_check,
    scenario_as_of,
    unit_facts,
)
from registry.planning.services.plans import (
    TARGET_KEYS,
    PlanningError,
    TargetImportFailed,
    TargetRow,
    TargetSlot,
    all_plans,
    effective_params,
    ensure_may_edit,
    import_targets,
    load_plans,
    plan_by_code,
    plan_from_row,
    set_rule_target,
    target_province,
    target_slots,
)
from registry.planning.services.scenarios import (
    ItemView,
    add_item,
    adopt_scenario,
    copy_scenario,
    create_scenario,
    item_views,
    remove_item,
    scenario_facilities,
    visible_scenarios,
)

__all__ = [
    "TARGET_KEYS",
    "CheckRun",
    "CoverageRun",
    "ItemView",
    "PlanInfo",
    "PlanningError",
    "TargetImportFailed",
    "TargetRow",
    "TargetSlot",
    "add_item",
    "adopt_scenario",
    "all_plans",
    "apply_scenario",
    "build_context",
    "copy_scenario",
    "coverage",
    "create_scenario",
    "demand_points",
    "effective_params",
    "ensure_may_edit",
    "facility_facts",
    "import_targets",
    "item_views",
    "load_plans",
    "plan_by_code",
    "plan_from_row",
    "reach_box",
    "remove_item",
    "run_check",
    "scenario_as_of",
    "scenario_facilities",
    "set_rule_target",
    "siting_candidates",
    "suggest_sites",
    "supply_points",
    "target_province",
    "target_slots",
    "unit_facts",
    "visible_scenarios",
]
