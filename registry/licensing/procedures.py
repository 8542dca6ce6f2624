"""Licensing procedures and the authorities that decide them, as data. Pure: no Flask, no database.

``procedures.yaml`` holds the five procedures of issue 10 (shared/domain/README.md §2–3): kind,
level, time limit in working days and what starts the clock (a complete dossier, or its
receipt), the documents of the dossier with the legal form numbers of Decree 103/2017, the legal
source and whether our sources confirm it; and the authorities per level with the dates they
held the power (Sở LĐTBXH until 28/02/2025, Sở Y tế from 01/03/2025, Decree 42/2025/NĐ-CP), so
a change of authority is a data change, never a code change. The file is validated on load
(JSON Schema, then cross-checks) and refused with the place of the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from registry.licensing.clock import validated

PROCEDURES_FILE = Path(__file__).with_name("procedures.yaml")
KINDS = ("registration", "licence", "amendment")
LEVELS = ("province", "district", "commune")
CLOCK_STARTS = ("complete", "receipt")
LEVEL_VI = {"province": "tỉnh", "district": "huyện", "commune": "xã"}

ClockStart = Literal["complete", "receipt"]
Level = Literal["province", "district", "commune"]


class ProcedureFileError(ValueError):
    """procedures.yaml cannot be used; ``detail`` gives the reason in Vietnamese, ``detail_en``."""

    def __init__(self, message_vi: str, message_en: str, *, where: str | None = None) -> None:
        self.detail = message_vi
        self.detail_en = message_en
        self.where = where
        place = f"{PROCEDURES_FILE.name} ({where})" if where else PROCEDURES_FILE.name
        super().__init__(f"{place}: {message_vi} — {message_en}")


class NoAuthority(LookupError):
    """No authority in the data decides this procedure at this level on this date."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        self.detail = message_vi
        self.detail_en = message_en
        super().__init__(f"{message_vi} — {message_en}")


@dataclass(frozen=True)
class Document:
    """One document of a procedure's dossier; ``form_no`` is its Decree 103/2017 form, if any."""

    code: str
    name_vi: str
    name_en: str
    form_no: str | None
    required: bool


@dataclass(frozen=True)
class Procedure:
    """A licensing procedure: who decides (by level), within how many working days, on what."""

    code: str
    kind: str
    name_vi: str
    name_en: str
    time_limit_days: int
    clock_starts: ClockStart
    level: Level
    documents: tuple[Document, ...]
    source: str
    confirmed: bool
    note_vi: str | None
    note_en: str | None = None
    #: The legal grounds in Vietnamese, as the screen and the decision notice cite them
    #: ("Căn cứ …"); ``source`` keeps the research trail (documents, README lines).
    legal_basis_vi: tuple[str, ...] = ()
    #: (authority code, confirmed for this procedure); empty: every authority of the level.
    authority_codes: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class Authority:
    """A deciding body, with the dates it held the power; names filled in for one province."""

    code: str
    name_vi: str
    name_en: str
    valid_from: date
    valid_to: date | None
    source: str
    confirmed: bool
    level: Level = "province"
    #: The body above it, for the heading of a decision notice (None: it heads the notice).
    superior_vi: str | None = None

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


# --- procedures.yaml -------------------------------------------------------------------------

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_TEXT = {"type": "string", "minLength": 1}
_CODE = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"}
_NOTE = {"anyOf": [_TEXT, {"type": "null"}]}
PROCEDURES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["authorities", "procedures"],
    "properties": {
        "authorities": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "code",
                    "level",
                    "name_vi",
                    "name_en",
                    "superior_vi",
                    "valid_from",
                    "valid_to",
                    "source",
                    "confirmed",
                ],
                "properties": {
                    "code": _CODE,
                    "level": {"enum": list(LEVELS)},
                    "name_vi": _TEXT,
                    "name_en": _TEXT,
                    "superior_vi": _NOTE,
                    "valid_from": _DATE,
                    "valid_to": {"anyOf": [_DATE, {"type": "null"}]},
                    "source": _TEXT,
                    "confirmed": {"type": "boolean"},
                },
            },
        },
        "procedures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "code",
                    "kind",
                    "level",
                    "name_vi",
                    "name_en",
                    "time_limit_days",
                    "clock_starts",
                    "source",
                    "legal_basis_vi",
                    "confirmed",
                    "note_vi",
                    "note_en",
                    "documents",
                ],
                "properties": {
                    "code": _CODE,
                    "kind": {"enum": list(KINDS)},
                    "level": {"enum": list(LEVELS)},
                    "name_vi": _TEXT,
                    "name_en": _TEXT,
                    "time_limit_days": {"type": "integer", "minimum": 1, "maximum": 365},
                    "clock_starts": {"enum": list(CLOCK_STARTS)},
                    "source": _TEXT,
                    "legal_basis_vi": {"type": "array", "minItems": 1, "items": _TEXT},
                    "confirmed": {"type": "boolean"},
                    "note_vi": _NOTE,
                    "note_en": _NOTE,
                    "authorities": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["authority"],
                            "properties": {
                                "authority": _CODE,
                                "confirmed": {"type": "boolean"},
                            },
                        },
                    },
                    "documents": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["code", "name_vi", "name_en", "form_no", "required"],
                            "properties": {
                                "code": _CODE,
                                "name_vi": _TEXT,
                                "name_en": _TEXT,
                                "form_no": _NOTE,
                                "required": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ProcedureFileError(
            f"ngày không hợp lệ: {value!r}", f"not a valid date: {value!r}", where=where
        ) from None


def _unique(codes: list[str], where: str, what_vi: str, what_en: str) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code in seen:
            raise ProcedureFileError(
                f"mã {what_vi} {code!r} bị trùng",
                f"duplicate {what_en} code {code!r}",
                where=f"{where}[{i}].code",
            )
        seen.add(code)


@dataclass(frozen=True)
class Catalogue:
    """procedures.yaml, validated: procedures by code and authorities in file order."""

    procedures: Mapping[str, Procedure]
    authorities: tuple[Authority, ...]


def parse_procedures(data: Any) -> Catalogue:
    """Validate the procedure data (as loaded from YAML) and build the frozen records.

    Refuses, with the place in the file: a shape the schema does not allow, duplicate codes, an
    authority valid to before it is valid from, two authorities of one level valid on the same
    day, a procedure naming an unknown authority or one of another level, and a level with no
    authority at all.
    """
    plain = validated(PROCEDURES_SCHEMA, data, ProcedureFileError)
    _unique([a["code"] for a in plain["authorities"]], "authorities", "cơ quan", "authority")
    _unique([p["code"] for p in plain["procedures"]], "procedures", "thủ tục", "procedure")

    authorities: list[Authority] = []
    for i, item in enumerate(plain["authorities"]):
        where = f"authorities[{i}]"
        valid_from = _date(item["valid_from"], f"{where}.valid_from")
        valid_to = (
            None if item["valid_to"] is None else _date(item["valid_to"], f"{where}.valid_to")
        )
        if valid_to is not None and valid_to < valid_from:
            raise ProcedureFileError(
                "valid_to trước valid_from",
                "valid_to is before valid_from",
                where=f"{where}.valid_to",
            )
        authority = Authority(
            code=item["code"],
            name_vi=item["name_vi"],
            name_en=item["name_en"],
            valid_from=valid_from,
            valid_to=valid_to,
            source=item["source"],
            confirmed=item["confirmed"],
            level=item["level"],
            superior_vi=item["superior_vi"],
        )
        for other in authorities:
            if other.level == authority.level and _overlap(other, authority):
                raise ProcedureFileError(
                    f"{other.code!r} và {authority.code!r} cùng cấp và cùng hiệu lực một thời gian",
                    f"{other.code!r} and {authority.code!r} are of one level and overlap in time",
                    where=where,
                )
        authorities.append(authority)
    by_code = {a.code: a for a in authorities}

    procedures: dict[str, Procedure] = {}
    for i, item in enumerate(plain["procedures"]):
        where = f"procedures[{i}]"
        _unique([d["code"] for d in item["documents"]], f"{where}.documents", "hồ sơ", "document")
        links: list[tuple[str, bool]] = []
        for j, link in enumerate(item.get("authorities", ())):
            code = link["authority"]
            linked = by_code.get(code)
            if linked is None:
                raise ProcedureFileError(
                    f"cơ quan {code!r} không có trong authorities",
                    f"authority {code!r} is not listed under authorities",
                    where=f"{where}.authorities[{j}]",
                )
            if linked.level != item["level"]:
                raise ProcedureFileError(
                    f"cơ quan {code!r} là cấp {LEVEL_VI[linked.level]}, thủ tục là cấp "
                    f"{LEVEL_VI[item['level']]}",
                    f"authority {code!r} is {linked.level}-level, the procedure "
                    f"{item['level']}-level",
                    where=f"{where}.authorities[{j}]",
                )
            links.append((code, link.get("confirmed", linked.confirmed)))
        if not links and not any(a.level == item["level"] for a in authorities):
            raise ProcedureFileError(
                f"không có cơ quan cấp {LEVEL_VI[item['level']]}",
                f"no {item['level']}-level authority",
                where=f"{where}.level",
            )
        procedures[item["code"]] = Procedure(
            code=item["code"],
            kind=item["kind"],
            name_vi=item["name_vi"],
            name_en=item["name_en"],
            time_limit_days=item["time_limit_days"],
            clock_starts=cast(ClockStart, item["clock_starts"]),
            level=cast(Level, item["level"]),
            documents=tuple(
                Document(d["code"], d["name_vi"], d["name_en"], d["form_no"], d["required"])
                for d in item["documents"]
            ),
            source=item["source"],
            confirmed=item["confirmed"],
            note_vi=item["note_vi"],
            note_en=item["note_en"],
            legal_basis_vi=tuple(item["legal_basis_vi"]),
            authority_codes=tuple(links),
        )
    return Catalogue(procedures, tuple(authorities))


def _overlap(a: Authority, b: Authority) -> bool:
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


@cache
def catalogue() -> Catalogue:
    """procedures.yaml, read and validated once."""
    try:
        data = yaml.safe_load(PROCEDURES_FILE.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProcedureFileError(
            f"không đọc được YAML: {exc}", f"cannot read the YAML: {exc}"
        ) from None
    return parse_procedures(data)


def procedures() -> tuple[Procedure, ...]:
    """The procedures, in file order."""
    return tuple(catalogue().procedures.values())


def procedure(code: str) -> Procedure:
    """The procedure of this code; KeyError if there is none."""
    return catalogue().procedures[code]


def _province_phrase(province_name: str) -> str:
    """'Tỉnh Đồng Nai' → 'tỉnh Đồng Nai' (as inside a body's name); a bare name stays as is."""
    name = " ".join(province_name.split())
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.lower().startswith(prefix.lower()):
            return prefix.lower() + name[len(prefix) :]
    return name


def authority_for(
    procedure: Procedure,
    province_name: str,
    on: date,
    *,
    level: Level | None = None,
) -> Authority:
    """The body that decides ``procedure`` in the province on ``on``, names filled in.

    ``level`` overrides the procedure's level (a single-district establishment registration went
    to the district office before 01/07/2025, Decree 103 Art. 19). Raises ``NoAuthority`` when
    the data holds no body for that level and date rather than guessing one (README §2 l.36).
    """
    cat = catalogue()
    wanted = level or procedure.level
    if level is None and procedure.authority_codes:
        candidates = [
            (a, confirmed)
            for code, confirmed in procedure.authority_codes
            for a in cat.authorities
            if a.code == code
        ]
    else:
        candidates = [(a, a.confirmed) for a in cat.authorities if a.level == wanted]
    for authority, confirmed in candidates:
        if authority.valid_on(on):
            place = _province_phrase(province_name)
            return Authority(
                code=authority.code,
                name_vi=authority.name_vi.format(province=place),
                name_en=authority.name_en.format(province=place),
                valid_from=authority.valid_from,
                valid_to=authority.valid_to,
                source=authority.source,
                confirmed=confirmed,
                level=authority.level,
                superior_vi=(
                    None
                    if authority.superior_vi is None
                    else authority.superior_vi.format(province=place)
                ),
            )
    raise NoAuthority(
        f"Không có cơ quan cấp {LEVEL_VI[wanted]} giải quyết thủ tục {procedure.name_vi} "
        f"vào ngày {on:%d/%m/%Y} trong dữ liệu (chưa được xác nhận).",
        f"No {wanted}-level authority decides {procedure.name_en} on {on:%d/%m/%Y} in the data "
        "(unconfirmed).",
    )
