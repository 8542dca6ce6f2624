"""The facility catalogue kept as data (catalogue.yaml): levels, services and target groups.

Pure: no Flask, no database. Forms, exports, imports, the rule engine and the plan schema read
the allowed codes and their labels from here, so a code is defined once. Labels come from the
data (name_vi / name_en), like facility types; pass the locale ("vi" or "en").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")
KINDS = ("levels", "services", "target_groups")


@dataclass(frozen=True)
class Entry:
    code: str
    name_vi: str
    name_en: str
    source: str | None = None
    aliases: tuple[str, ...] = ()

    def label(self, locale: str | None = None) -> str:
        return self.name_en if locale == "en" else self.name_vi


@dataclass(frozen=True)
class Catalogue:
    levels: tuple[Entry, ...]
    services: tuple[Entry, ...]
    target_groups: tuple[Entry, ...]

    def kind(self, kind: str) -> tuple[Entry, ...]:
        if kind not in KINDS:
            raise KeyError(kind)
        entries: tuple[Entry, ...] = getattr(self, kind)
        return entries


def _entries(raw: Any, kind: str) -> tuple[Entry, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"catalogue: '{kind}' must be a non-empty list")
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError(f"catalogue: every '{kind}' entry must be a mapping")
        code, name_vi, name_en = (
            str(item.get(key) or "") for key in ("code", "name_vi", "name_en")
        )
        if not (code and name_vi and name_en):
            raise ValueError(f"catalogue: '{kind}' entry {item!r} needs code, name_vi, name_en")
        if code in seen:
            raise ValueError(f"catalogue: duplicate {kind} code {code!r}")
        seen.add(code)
        source = item.get("source")
        aliases = tuple(str(a) for a in item.get("aliases") or ())
        entries.append(Entry(code, name_vi, name_en, str(source) if source else None, aliases))
    return tuple(entries)


def parse(text: str) -> Catalogue:
    """Build a catalogue from YAML text; raises ValueError on a malformed one."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ValueError("catalogue: top level must be a mapping")
    unknown = set(raw) - set(KINDS)
    if unknown:
        raise ValueError(f"catalogue: unknown sections {sorted(unknown)}")
    return Catalogue(*(_entries(raw.get(kind), kind) for kind in KINDS))


@cache
def catalogue() -> Catalogue:
    return parse(CATALOGUE_PATH.read_text(encoding="utf-8"))


def levels() -> tuple[Entry, ...]:
    return catalogue().levels


def services() -> tuple[Entry, ...]:
    return catalogue().services


def target_groups() -> tuple[Entry, ...]:
    return catalogue().target_groups


@cache
def _index(kind: str) -> dict[str, Entry]:
    return {entry.code: entry for entry in catalogue().kind(kind)}


def codes(kind: str) -> tuple[str, ...]:
    return tuple(entry.code for entry in catalogue().kind(kind))


def level_codes() -> tuple[str, ...]:
    return codes("levels")


def service_codes() -> tuple[str, ...]:
    return codes("services")


def target_group_codes() -> tuple[str, ...]:
    return codes("target_groups")


def entry(kind: str, code: str) -> Entry | None:
    return _index(kind).get(code)


def is_level(code: object) -> bool:
    return isinstance(code, str) and code in _index("levels")


def is_service(code: object) -> bool:
    return isinstance(code, str) and code in _index("services")


def is_target_group(code: object) -> bool:
    return isinstance(code, str) and code in _index("target_groups")


def label(kind: str, code: str | None, locale: str | None = None) -> str:
    """The entry's label; an unknown code is shown as given (never silently dropped)."""
    if code is None:
        return ""
    found = entry(kind, str(code))
    return found.label(locale) if found else str(code)


def level_label(code: str | None, locale: str | None = None) -> str:
    return label("levels", None if code is None else str(code), locale)


def service_label(code: str, locale: str | None = None) -> str:
    return label("services", code, locale)


def target_group_label(code: str, locale: str | None = None) -> str:
    return label("target_groups", code, locale)


def labels(kind: str, codes_: Iterable[str] | None, locale: str | None = None) -> list[str]:
    """Labels of several codes, in catalogue order (unknown codes last, as given)."""
    given = list(dict.fromkeys(codes_ or ()))
    order = {code: i for i, code in enumerate(codes(kind))}
    given.sort(key=lambda c: order.get(c, len(order)))
    return [label(kind, code, locale) for code in given]


def unknown(kind: str, codes_: Iterable[str] | None) -> list[str]:
    """The codes not in the catalogue, in the order given."""
    index = _index(kind)
    return [code for code in (codes_ or ()) if code not in index]


def choices(kind: str, locale: str | None = None) -> list[tuple[str, str]]:
    """(code, label) pairs for a select or checkbox list, in catalogue order."""
    return [(e.code, e.label(locale)) for e in catalogue().kind(kind)]


def parse_codes(kind: str, text: str | None, key: Callable[[str], str] = str.casefold) -> list[str]:
    """Read a cell or field listing entries by code, label (either language) or alias,
    separated by ';' or ',' (a label may contain commas, so whole labels are matched before
    splitting on commas). ``key`` says how spellings compare (an import ignores diacritics).
    Unknown items are kept as given so the caller can report them."""
    if not text or not str(text).strip():
        return []
    by_name: dict[str, str] = {}
    for e in catalogue().kind(kind):
        for spelling in (e.code, e.name_vi, e.name_en, *e.aliases):
            by_name.setdefault(key(spelling), e.code)
    found: list[str] = []
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        hit = by_name.get(key(part))
        if hit is not None:
            found.append(hit)
            continue
        for piece in part.split(","):
            piece = piece.strip()
            if piece:
                found.append(by_name.get(key(piece), piece))
    return list(dict.fromkeys(found))
