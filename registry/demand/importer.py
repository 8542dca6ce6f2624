"""Reading a count file (CSV or XLSX) and carrying its rows to the current units.

The file holds one row per unit: its code, optionally its name, a total and, where the source
gives it, the count of men and of women. Nothing else: a column that looks like a personal
record (names, ID card numbers, birth dates, addresses, phone numbers) refuses the whole file,
and so does any column the template does not know, so personal data cannot slip in under
another heading. Every problem of every row is collected in one pass; the caller writes
nothing unless there is none.

Pre-2025 communes are carried to the current communes through the recorded successions: a
commune that became (part of) one new commune whole gives it its count; several merged ones
are summed; a commune divided between several new ones is shared in proportion to the new
units' population when every one is known, else to their area, else equally, with whole
numbers kept by largest remainders. The method is kept with every current unit's count.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from registry.demand.vocab import METHOD_ORDER, Method
from registry.facilities.imports import table_records
from registry.facilities.imports.columns import match_key
from registry.facilities.imports.parsing import CellError, is_blank, parse_int, parse_text
from registry.forms import COUNT_MAX
from registry.geography import services as geography
from registry.geography.models import AdminUnit, AdminUnitSuccession, Edition, Level
from registry.i18n import _l
from registry.text import fold, similar

FIELDS = ("code", "name", "total", "male", "female")

# Accepted headers (compared by ``match_key``: no case, diacritics, spaces or punctuation).
_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("mã", "mã đơn vị", "mã xã", "mã phường xã", "mã đvhc", "code", "unit code"),
    "name": (
        "tên đơn vị",
        "tên xã",
        "tên phường xã",
        "đơn vị",
        "xã phường",
        "unit",
        "unit name",
        "commune",
    ),
    "total": ("tổng", "tổng số", "số lượng", "total", "count"),
    "male": ("nam", "số nam", "male", "men", "boys"),
    "female": ("nữ", "số nữ", "female", "women", "girls"),
}
HEADER_KEYS = {match_key(h): name for name, headers in _HEADERS.items() for h in headers}

# Headers of personal records, folded, as whole words anywhere in the header.
_PERSONAL = re.compile(
    r"\b("
    r"ho ten|ho va ten|ho|ten|ten nguoi|name|full name|first name|last name|surname|"
    r"cccd|cmnd|cmt|can cuoc|chung minh|dinh danh|so id|id|id number|national id|"
    r"passport|ho chieu|bhxh|bhyt|ma so thue|"
    r"ngay sinh|nam sinh|thang sinh|sinh ngay|date of birth|birth|birthday|dob|tuoi|age|"
    r"gioi tinh|sex|gender|dia chi|address|so nha|dien thoai|so dien thoai|phone|email|"
    r"cha|me|nguoi giam ho|guardian|ho gia dinh|household"
    r")\b"
)


def looks_personal(header: str) -> bool:
    """A column heading that names what only a record of one person holds."""
    words = re.sub(r"[^0-9a-z]+", " ", fold(header)).strip()
    return bool(words) and match_key(header) not in HEADER_KEYS and bool(_PERSONAL.search(words))


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole
    column: str | None
    message: str


@dataclass(frozen=True)
class InputRow:
    number: int
    code: str
    name: str | None
    total: int
    male: int | None
    female: int | None


@dataclass
class Carried:
    """The count of one current unit, with where it came from."""

    code: str
    total: int = 0
    male: int | None = 0
    female: int | None = 0
    methods: set[Method] = field(default_factory=set)
    sources: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True

    @property
    def method(self) -> Method:
        if Method.DIRECT in self.methods:
            return Method.DIRECT
        for method in METHOD_ORDER:
            if method in self.methods and method.value.startswith("split"):
                return method
        return Method.MERGED if len(self.sources) > 1 else Method.WHOLE


class DemandImportFailed(Exception):
    """The file cannot be imported; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


# --- reading -----------------------------------------------------------------------------------


def read_rows(data: bytes, fmt: str) -> tuple[list[InputRow], list[Problem]]:
    """The file's rows and every problem found in them (``UploadRejected`` when the file
    as a whole cannot be read)."""
    records = table_records(data, fmt)
    if not records:
        return [], [Problem(None, None, str(_l("The file is empty.")))]
    header_number, header = records[0]
    problems: list[Problem] = []
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        name = HEADER_KEYS.get(match_key(text))
        if name is None and looks_personal(text):
            problems.append(Problem(header_number, text, str(PERSONAL_COLUMN % {"column": text})))
        elif name is None:
            problems.append(Problem(header_number, text, str(UNKNOWN_COLUMN % {"column": text})))
        elif name in columns.values():
            problems.append(Problem(header_number, text, str(_l("This column appears twice."))))
        else:
            columns[index] = name
    for required in ("code", "total"):
        if required not in columns.values():
            problems.append(
                Problem(
                    header_number,
                    required,
                    str(_l("The column “%(column)s” is missing.", column=COLUMN_LABELS[required])),
                )
            )
    rows: list[InputRow] = []
    data_rows = [(n, cells) for n, cells in records[1:] if not all(is_blank(c) for c in cells)]
    if not data_rows:
        problems.append(Problem(None, None, str(_l("The file has no data rows."))))
    for number, cells in data_rows:
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        row, row_problems = _parse_row(number, values)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
    return rows, problems


def _parse_row(number: int, values: dict[str, Any]) -> tuple[InputRow | None, list[Problem]]:
    problems: list[Problem] = []
    code = parse_text(values.get("code"))
    if code is not None and isinstance(values.get("code"), (int, float)):
        code = code.zfill(5)  # a spreadsheet dropped the leading zeros of a code
    if not code:
        problems.append(Problem(number, "code", str(_l("The unit code is empty."))))
    counts: dict[str, int | None] = {}
    for name in ("total", "male", "female"):
        try:
            value = parse_int(values.get(name))
        except CellError:
            value = None
            problems.append(Problem(number, name, str(NOT_A_COUNT)))
        else:
            if value is not None and value > COUNT_MAX:
                problems.append(Problem(number, name, str(NOT_A_COUNT)))
                value = None
        counts[name] = value
    if counts["total"] is None and not any(p.column == "total" for p in problems):
        problems.append(Problem(number, "total", str(_l("The total is empty."))))
    total, male, female = counts["total"], counts["male"], counts["female"]
    if total is not None and (male or 0) + (female or 0) > total:
        problems.append(
            Problem(number, "male", str(_l("Men and women together exceed the total.")))
        )
    if problems or code is None or total is None:
        return None, problems
    return InputRow(number, code, parse_text(values.get("name")), total, male, female), []


# --- carrying to the current units ----------------------------------------------------------


def carry(
    session: Session, rows: Sequence[InputRow], *, province_code: str, edition: Edition
) -> tuple[list[Carried], list[Problem]]:
    """The rows' counts on the current communes of the province, and every problem."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.code in seen:
            problems.append(
                Problem(
                    row.number,
                    "code",
                    str(
                        _l(
                            "The unit %(code)s is already on row %(row)d.",
                            code=row.code,
                            row=seen[row.code],
                        )
                    ),
                )
            )
        seen.setdefault(row.code, row.number)
    if edition is Edition.CURRENT:
        carried, more = _current(session, rows, province_code)
    else:
        carried, more = _pre2025(session, rows, province_code)
    return carried, problems + more


def _name_problem(row: InputRow, unit: AdminUnit) -> Problem | None:
    if row.name and similar(row.name, unit.name) < 0.8:
        return Problem(
            row.number,
            "name",
            str(
                _l(
                    "The name “%(name)s” is not the name of unit %(code)s (%(unit)s).",
                    name=row.name,
                    code=row.code,
                    unit=unit.name,
                )
            ),
        )
    return None


def _communes(
    session: Session, edition: Edition, province_codes: Sequence[str]
) -> dict[str, AdminUnit]:
    units = session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == edition,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_code.in_(list(province_codes)),
        )
    )
    return {u.code: u for u in units}


def _current(
    session: Session, rows: Sequence[InputRow], province_code: str
) -> tuple[list[Carried], list[Problem]]:
    units = _communes(session, Edition.CURRENT, [province_code])
    problems: list[Problem] = []
    out: dict[str, Carried] = {}
    for row in rows:
        unit = units.get(row.code)
        if unit is None:
            problems.append(Problem(row.number, "code", str(NOT_A_UNIT % {"code": row.code})))
            continue
        if (problem := _name_problem(row, unit)) is not None:
            problems.append(problem)
            continue
        out[row.code] = Carried(
            row.code,
            row.total,
            row.male,
            row.female,
            {Method.DIRECT},
            [_source(row, unit, 1.0, Method.DIRECT)],
        )
    return list(out.values()), problems


def _source(row: InputRow, unit: AdminUnit, share: float, method: Method) -> dict[str, Any]:
    return {
        "row": row.number,
        "code": unit.code,
        "name": unit.name,
        "edition": unit.edition.value if hasattr(unit.edition, "value") else str(unit.edition),
        "share": round(share, 4),
        "method": method.value,
    }


def apportion(value: int, weights: Sequence[float]) -> list[int]:
    """``value`` shared in proportion to ``weights`` in whole numbers that add up to it
    (largest remainders; ties go to the earlier part)."""
    total = float(sum(weights))
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    exact = [value * w / total for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: value - sum(parts)]:
        parts[i] += 1
    return parts


def split_weights(successors: Sequence[AdminUnit]) -> tuple[list[float], Method]:
    """How a divided unit is shared: by population, else area, else equally."""
    if all(u.population for u in successors):
        return [float(u.population or 0) for u in successors], Method.SPLIT_POPULATION
    if all(u.area_km2 for u in successors):
        return [float(u.area_km2 or 0) for u in successors], Method.SPLIT_AREA
    return [1.0] * len(successors), Method.SPLIT_EQUAL


def _pre2025(
    session: Session, rows: Sequence[InputRow], province_code: str
) -> tuple[list[Carried], list[Problem]]:
    old_provinces = [
        old for old, new in geography.province_code_map(session).items() if new == province_code
    ]
    old_units = _communes(session, Edition.PRE2025, old_provinces)
    old, new = aliased(AdminUnit), aliased(AdminUnit)
    successors: dict[str, list[AdminUnit]] = defaultdict(list)
    predecessors: dict[str, set[str]] = defaultdict(set)
    for old_code, new_unit in session.execute(
        select(old.code, new)
        .join(AdminUnitSuccession, AdminUnitSuccession.old_unit_id == old.id)
        .join(new, AdminUnitSuccession.new_unit_id == new.id)
        .where(
            old.edition == Edition.PRE2025,
            old.level == Level.COMMUNE,
            old.province_code.in_(old_provinces),
            new.level == Level.COMMUNE,
            new.province_code == province_code,
        )
        .order_by(old.code, new.code)
    ):
        successors[old_code].append(new_unit)
        predecessors[new_unit.code].add(old_code)
    problems: list[Problem] = []
    out: dict[str, Carried] = {}
    given = {row.code for row in rows}
    for row in rows:
        unit = old_units.get(row.code)
        if unit is None:
            problems.append(Problem(row.number, "code", str(NOT_AN_OLD_UNIT % {"code": row.code})))
            continue
        if (problem := _name_problem(row, unit)) is not None:
            problems.append(problem)
            continue
        targets = successors.get(row.code, [])
        if not targets:
            problems.append(Problem(row.number, "code", str(NO_SUCCESSOR % {"code": row.code})))
            continue
        if len(targets) == 1:
            weights, method = [1.0], Method.WHOLE
        else:
            weights, method = split_weights(targets)
        totals = apportion(row.total, weights)
        males = apportion(row.male, weights) if row.male is not None else None
        females = apportion(row.female, weights) if row.female is not None else None
        weight_sum = sum(weights)
        for i, target in enumerate(targets):
            entry = out.setdefault(target.code, Carried(target.code))
            entry.total += totals[i]
            entry.male = None if males is None or entry.male is None else entry.male + males[i]
            entry.female = (
                None if females is None or entry.female is None else entry.female + females[i]
            )
            entry.methods.add(method)
            entry.sources.append(_source(row, unit, weights[i] / weight_sum, method))
    for code, entry in out.items():
        entry.complete = predecessors[code] <= given
    return sorted(out.values(), key=lambda c: c.code), problems


COLUMN_LABELS = {
    "code": _l("Unit code"),
    "name": _l("Unit name"),
    "total": _l("Total"),
    "male": _l("Men"),
    "female": _l("Women"),
}
PERSONAL_COLUMN = _l(
    "The column “%(column)s” looks like part of a personal record (names, ID numbers, birth "
    "dates, addresses). The registry takes only aggregated counts per unit: remove the column "
    "and every personal detail from the file."
)
UNKNOWN_COLUMN = _l(
    "The column “%(column)s” is not in the count template (unit code, unit name, total, men, "
    "women): remove it."
)
NOT_A_COUNT = _l("Enter a count: a whole number from 0 to 1,000,000.")
NOT_A_UNIT = _l("%(code)s is not a current commune or ward of the province.")
NOT_AN_OLD_UNIT = _l("%(code)s is not a pre-2025 commune or ward of the province.")
NO_SUCCESSOR = _l("No successor is recorded for the pre-2025 unit %(code)s.")
