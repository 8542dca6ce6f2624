"""Targets the registry cannot check.

``external_indicator``
    A target the registry cannot check (training rates, "models" that are not facilities):
    always NOT_EVALUABLE, with the reason given in the plan file.
"""

from __future__ import annotations

from registry.planning.rules.engine import Outcome, Run, kind
from registry.planning.rules.facts import Status


@kind("external_indicator")
def _external_indicator(run: Run) -> Outcome:
    ev = {"reason_vi": run.p["reason_vi"], "reason_en": run.p["reason_en"]}
    for key in ("target_text_vi", "target_text_en"):
        if key in run.p:
            ev[key] = run.p[key]
    return Outcome(Status.NOT_EVALUABLE, "reason", ev)
