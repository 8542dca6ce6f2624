"""What a demand layer counts and how a count reached a current unit. Pure: labels only."""

from __future__ import annotations

from enum import StrEnum

from registry.i18n import _l


class Measure(StrEnum):
    """The groups of people whose aggregated counts the plans ask for (DN III.1.c l.99,
    III.2.a l.105; DL IV.2.c l.112; DL IV.4.c l.242)."""

    DISABILITY = "disability"
    CHILDREN = "children"
    ELDERLY_NO_CARER = "elderly_no_carer"
    DRUG_USERS = "drug_users"


MEASURE_LABELS = {
    Measure.DISABILITY: _l("People with disabilities"),
    Measure.CHILDREN: _l("Children in special circumstances"),
    Measure.ELDERLY_NO_CARER: _l("Older people without carers"),
    Measure.DRUG_USERS: _l("Registered drug users"),
}

#: The facility types that serve each group (types.yaml), for coverage and capacity per need.
MEASURE_TYPES: dict[Measure, tuple[str, ...]] = {
    Measure.DISABILITY: ("DISABILITY",),
    Measure.CHILDREN: ("CHILDREN",),
    Measure.ELDERLY_NO_CARER: ("ELDERLY",),
    Measure.DRUG_USERS: ("DRUG_PUBLIC", "DRUG_VOLUNTARY", "DRUG_COMMUNITY"),
}


class Method(StrEnum):
    """How the count of a current unit was obtained from the file's rows."""

    DIRECT = "direct"  # the file gave the current unit itself
    WHOLE = "whole"  # one pre-2025 unit became (part of) this unit whole
    MERGED = "merged"  # several pre-2025 units merged into this unit: their counts summed
    SPLIT_POPULATION = "split_population"  # a divided unit, shared by the parts' population
    SPLIT_AREA = "split_area"  # a divided unit, shared by the successors' area
    SPLIT_EQUAL = "split_equal"  # a divided unit, shared equally (nothing else known)


METHOD_LABELS = {
    Method.DIRECT: _l("Given for the current unit"),
    Method.WHOLE: _l("Carried whole from the pre-2025 unit"),
    Method.MERGED: _l("Sum of the merged pre-2025 units"),
    Method.SPLIT_POPULATION: _l("Divided unit: shared in proportion to population"),
    Method.SPLIT_AREA: _l(
        "Divided unit: shared in proportion to the successors' area (no population known)"
    ),
    Method.SPLIT_EQUAL: _l("Divided unit: shared equally (neither population nor area known)"),
}

#: Strongest first: the method a current unit shows when its sources used several.
METHOD_ORDER = (
    Method.SPLIT_EQUAL,
    Method.SPLIT_AREA,
    Method.SPLIT_POPULATION,
    Method.MERGED,
    Method.WHOLE,
    Method.DIRECT,
)


class FigureKind(StrEnum):
    """Sex-disaggregated facility figures (DN l.229; DL l.185)."""

    RESIDENTS = "residents"
    SERVED = "served"
    STAFF = "staff"


FIGURE_LABELS = {
    FigureKind.RESIDENTS: _l("Residents"),
    FigureKind.SERVED: _l("People served"),
    FigureKind.STAFF: _l("Staff"),
}
