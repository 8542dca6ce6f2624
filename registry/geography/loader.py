"""Load administrative units, boundaries, population and the 2025 successions from the files in
``data/boundaries`` (see its README for sources, licences and caveats).

The load is an upsert keyed by (edition, level, code): running it again changes nothing and
keeps ids stable, so facilities may hold foreign keys to units. It only flushes; the caller
(``flask geography load``, the test session) owns the transaction. Everything is read into
memory first and written with bulk statements, so the whole country loads in seconds.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from registry import freshness
from registry.geo import to_db, to_shapely
from registry.geography.models import (
    REORGANISATION_DATE,
    AdminUnit,
    AdminUnitSuccession,
    Edition,
    Level,
)
from registry.text import fold, normalise_tone_placement

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "boundaries"

PRE2025_VALID_TO = REORGANISATION_DATE - timedelta(days=1)
CURRENT_VALID_FROM = REORGANISATION_DATE

PRE2025_CATALOGUE = "vn_admin_units_pre2025.csv"
CURRENT_CATALOGUE = "vn_admin_units_2025.csv"
POPULATION = "dong_nai_dak_lak_population.csv"
PRE2025_PROVINCES = "vn_provinces_2024.geojson"
PRE2025_DISTRICTS = "vn_districts_2024.geojson"
# Finer (11 m instead of 165 m) district outlines for the two pilot provinces; they win.
PRE2025_FINE_DISTRICTS = ("dong_nai_districts.geojson", "dak_lak_districts.geojson")
CURRENT_PROVINCES = "vn_provinces_2025.geojson"
CURRENT_COMMUNES = ("dong_nai_communes_2025.geojson", "dak_lak_communes_2025.geojson")

# New provinces whose communes get successions from their ``formed_from`` lists.
COMMUNE_SUCCESSION_PROVINCES = ("75", "66")

UNCHANGED = "giữ nguyên"
# Names in province ``formed_from`` lists that are not "<prefix> <name>".
_PROVINCE_ALIASES = {"tphcm": "hochiminh"}
_PARTIAL_MARK = "phần còn lại"
_UNIT_PREFIXES = ("thị trấn", "phường", "xã", "đặc khu")
_DISTRICT_PREFIXES = ("thành phố", "thị xã", "huyện", "quận")
_LEVEL_ORDER = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
_APOSTROPHES = re.compile(r"[\u2019\u2018`´]")
_PARENTHESES = re.compile(r"\(([^()]*)\)")

# Columns the loader owns; everything else on a unit is left alone.
_COLUMNS = (
    "name",
    "full_name",
    "name_en",
    "division_type",
    "parent_id",
    "province_code",
    "valid_from",
    "valid_to",
    "population",
    "population_year",
    "population_source",
    "area_km2",
    "formed_from",
    "rep_lon",
    "rep_lat",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "geometry_source",
)

UnitKey = tuple[Edition, Level, str]


@dataclass
class _Unit:
    """One unit as read from the files, before it has a database id."""

    edition: Edition
    level: Level
    code: str
    name: str
    full_name: str
    division_type: str | None
    province_code: str
    parent_code: str | None
    name_en: str | None = None
    formed_from: str | None = None
    area_km2: float | None = None
    geometry: BaseGeometry | None = None
    geometry_source: str | None = None
    population: int | None = None
    population_year: int | None = None
    population_source: str | None = None

    @property
    def key(self) -> UnitKey:
        return (self.edition, self.level, self.code)

    @property
    def parent_key(self) -> UnitKey | None:
        if not self.parent_code:
            return None
        parent_level = Level.PROVINCE if len(self.parent_code) == 2 else Level.DISTRICT
        return (self.edition, parent_level, self.parent_code)

    def values(self, parent_id: int | None) -> dict[str, Any]:
        geom = self.geometry
        rep = geom.representative_point() if geom is not None else None
        bounds = geom.bounds if geom is not None else (None, None, None, None)
        pre = self.edition is Edition.PRE2025
        return {
            "name": self.name,
            "full_name": self.full_name,
            "name_en": self.name_en,
            "division_type": self.division_type,
            "parent_id": parent_id,
            "province_code": self.province_code,
            "valid_from": None if pre else CURRENT_VALID_FROM,
            "valid_to": PRE2025_VALID_TO if pre else None,
            "population": self.population,
            "population_year": self.population_year,
            "population_source": self.population_source,
            "area_km2": self.area_km2,
            "formed_from": self.formed_from,
            "rep_lon": rep.x if rep is not None else None,
            "rep_lat": rep.y if rep is not None else None,
            "min_lon": bounds[0],
            "min_lat": bounds[1],
            "max_lon": bounds[2],
            "max_lat": bounds[3],
            "geometry_source": self.geometry_source,
        }


@dataclass
class _Succession:
    old: UnitKey
    new: UnitKey
    partial: bool = False
    notes: list[str] = field(default_factory=list)


# --- entry point -------------------------------------------------------------------------------


def load_all(session: Session, data_dir: str | Path = DEFAULT_DATA_DIR) -> dict[str, int]:
    """Upsert pre-2025 and current units, their geometry, population and 2025 successions.

    Returns counts per kind, including ``successions_unmatched``: names in ``formed_from``
    that matched no old unit (logged, never fatal).
    """
    folder = Path(data_dir)
    units = _read_units(folder)
    ids, written = _upsert_units(session, units)
    successions, unmatched = _build_successions(units)
    succession_count = _upsert_successions(session, successions, ids)
    session.flush()

    def count(edition: Edition, level: Level, with_geometry: bool = False) -> int:
        return sum(
            1
            for u in units.values()
            if u.edition is edition
            and u.level is level
            and (not with_geometry or u.geometry is not None)
        )

    pre, cur = Edition.PRE2025, Edition.CURRENT
    return {
        "provinces_pre2025": count(pre, Level.PROVINCE),
        "districts_pre2025": count(pre, Level.DISTRICT),
        "districts_pre2025_with_geometry": count(pre, Level.DISTRICT, with_geometry=True),
        "communes_pre2025": count(pre, Level.COMMUNE),
        "provinces_2025": count(cur, Level.PROVINCE),
        "communes_2025": count(cur, Level.COMMUNE),
        "communes_2025_with_geometry": count(cur, Level.COMMUNE, with_geometry=True),
        "units_inserted": written["inserted"],
        "units_updated": written["updated"],
        "population_figures": sum(1 for u in units.values() if u.population is not None),
        "successions": succession_count,
        "successions_unmatched": len(unmatched),
    }


# --- reading -----------------------------------------------------------------------------------


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _read_features(path: Path) -> dict[str, tuple[dict[str, Any], BaseGeometry]]:
    """code → (properties, geometry as a MultiPolygon) of one GeoJSON FeatureCollection."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    features = {}
    for feature in collection["features"]:
        props = feature["properties"]
        features[props["code"]] = (props, _multipolygon(shape(feature["geometry"])))
    return features


def _multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    raise ValueError(f"expected a polygon, got {geom.geom_type}")


def _read_units(folder: Path) -> dict[UnitKey, _Unit]:
    units: dict[UnitKey, _Unit] = {}
    for row in _read_csv(folder / PRE2025_CATALOGUE):
        unit = _Unit(
            edition=Edition.PRE2025,
            level=Level(row["level"]),
            code=row["code"],
            name=row["name"],
            full_name=row["full_name"],
            division_type=row["division_type"] or None,
            province_code=row["province_code"],
            parent_code=row["parent_code"] or None,
        )
        units[unit.key] = unit
    for row in _read_csv(folder / CURRENT_CATALOGUE):
        code = row["code"]
        unit = _Unit(
            edition=Edition.CURRENT,
            level=Level(row["level"]),
            code=code,
            name=row["name"],
            full_name=row["full_name"],
            division_type=row["division_type"] or None,
            province_code=code if row["level"] == Level.PROVINCE else row["parent_code"],
            parent_code=row["parent_code"] or None,
            name_en=row["name_en"] or None,
            formed_from=row["formed_from"] or None,
        )
        units[unit.key] = unit

    _attach_geometry(units, folder / PRE2025_PROVINCES, Edition.PRE2025, Level.PROVINCE)
    _attach_geometry(units, folder / PRE2025_DISTRICTS, Edition.PRE2025, Level.DISTRICT)
    for name in PRE2025_FINE_DISTRICTS:
        _attach_geometry(units, folder / name, Edition.PRE2025, Level.DISTRICT)
    _attach_geometry(units, folder / CURRENT_PROVINCES, Edition.CURRENT, Level.PROVINCE)
    for name in CURRENT_COMMUNES:
        _attach_geometry(units, folder / name, Edition.CURRENT, Level.COMMUNE)
    _attach_population(units, folder / POPULATION)
    return units


def _attach_geometry(
    units: dict[UnitKey, _Unit], path: Path, edition: Edition, level: Level
) -> None:
    """Give catalogue units their outline; features the catalogue lacks are skipped (see the
    README: GIS districts merged away before March 2025)."""
    skipped = []
    for code, (props, geom) in _read_features(path).items():
        unit = units.get((edition, level, code))
        if unit is None:
            skipped.append(code)
            continue
        unit.geometry = geom
        unit.geometry_source = path.name
        if props.get("area_km2") is not None:
            unit.area_km2 = float(props["area_km2"])
    if skipped:
        log.info(
            "%s: %d features not in the catalogue, skipped: %s",
            path.name,
            len(skipped),
            ", ".join(sorted(skipped)),
        )


def _attach_population(units: dict[UnitKey, _Unit], path: Path) -> None:
    """Figures belong to pre-2025 units (census boundaries); old vintages keep their year."""
    levels = {2: Level.PROVINCE, 3: Level.DISTRICT, 5: Level.COMMUNE}
    for row in _read_csv(path):
        code = row["code"]
        unit = units.get((Edition.PRE2025, levels[len(code)], code))
        if unit is None:
            log.warning("population: no pre-2025 unit %s (%s)", code, row["name"])
            continue
        if _name_key(unit.name) != _name_key(row["name"]):
            log.warning(
                "population: %s is %s in the catalogue, %s in the figures",
                code,
                unit.name,
                row["name"],
            )
        unit.population = int(row["population"])
        unit.population_year = int(row["year"])
        unit.population_source = row["source"]


# --- writing units -----------------------------------------------------------------------------


def _upsert_units(
    session: Session, units: dict[UnitKey, _Unit]
) -> tuple[dict[UnitKey, int], dict[str, int]]:
    """Insert new units and update changed ones, parents first; returns key → id."""
    ids: dict[UnitKey, int] = {}
    existing: dict[UnitKey, dict[str, Any]] = {}
    columns = [getattr(AdminUnit, name) for name in _COLUMNS]
    for row in session.execute(
        select(AdminUnit.id, AdminUnit.edition, AdminUnit.level, AdminUnit.code, *columns)
    ).mappings():
        key = (Edition(row["edition"]), Level(row["level"]), row["code"])
        ids[key] = row["id"]
        existing[key] = dict(row)
    geometries = {
        (Edition(edition), Level(level), code): geom
        for edition, level, code, geom in session.execute(
            select(AdminUnit.edition, AdminUnit.level, AdminUnit.code, AdminUnit.geom).where(
                AdminUnit.geom.is_not(None)
            )
        )
    }

    written = {"inserted": 0, "updated": 0}
    for edition in Edition:
        for level in _LEVEL_ORDER:
            batch = [u for u in units.values() if u.edition is edition and u.level is level]
            if not batch:
                continue
            inserts, updates = [], []
            for unit in batch:
                parent_key = unit.parent_key
                values = unit.values(ids[parent_key] if parent_key else None)
                if unit.key not in ids:
                    values.update(
                        edition=edition, level=level, code=unit.code, geom=to_db(unit.geometry)
                    )
                    inserts.append(values)
                    continue
                old = existing[unit.key]
                changed = any(old[name] != values[name] for name in _COLUMNS)
                if not _same_geometry(geometries.get(unit.key), unit.geometry):
                    values["geom"] = to_db(unit.geometry)
                    changed = True
                if changed:
                    values["id"] = ids[unit.key]
                    updates.append(values)
            if inserts:
                session.execute(insert(AdminUnit), inserts)
                ids.update(
                    ((edition, level, code), id_)
                    for id_, code in session.execute(
                        select(AdminUnit.id, AdminUnit.code).where(
                            AdminUnit.edition == edition, AdminUnit.level == level
                        )
                    )
                )
            if updates:
                session.execute(update(AdminUnit), updates)
            written["inserted"] += len(inserts)
            written["updated"] += len(updates)
    if written["inserted"] or written["updated"]:
        freshness.bump(session)  # bulk writes skip the ORM's change tracking
    log.info("admin units: %d inserted, %d updated", written["inserted"], written["updated"])
    return ids, written


def _same_geometry(stored: Any, new: BaseGeometry | None) -> bool:
    if stored is None or new is None:
        return stored is None and new is None
    old = to_shapely(stored)
    return old is not None and bool(shapely.equals_exact(old, new, tolerance=0))


# --- successions -------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    """Exact-match key: case, tone placement, apostrophe style and spacing do not count."""
    text = _APOSTROPHES.sub("'", normalise_tone_placement(name)).casefold()
    return " ".join(text.split())


def _loose_key(name: str) -> str:
    """Fallback key without diacritics, spaces or apostrophes ("EaBar" = "Ea Bar",
    "Ea R'Bin" = "Ea Rbin")."""
    return re.sub(r"[\s'\-]", "", fold(_APOSTROPHES.sub("'", name)))


def _split_prefix(text: str, prefixes: Iterable[str]) -> tuple[str | None, str]:
    """("xã", "Hòa Thắng") from "Xã Hòa Thắng"; the prefix is None when there is none."""
    lowered = text.casefold()
    for prefix in prefixes:
        if lowered.startswith(prefix + " "):
            return prefix, text[len(prefix) + 1 :].strip()
    return None, text.strip()


def _split_list(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _build_successions(
    units: dict[UnitKey, _Unit],
) -> tuple[list[_Succession], list[str]]:
    successions, unmatched = _province_successions(units)
    for code in COMMUNE_SUCCESSION_PROVINCES:
        found, missing = _commune_successions(units, code, successions)
        successions.extend(found)
        unmatched.extend(missing)
    # An old unit that went to more than one new unit was split: every part is partial.
    split = Counter(s.old for s in successions if s.old[1] is Level.COMMUNE)
    for s in successions:
        if split[s.old] > 1:
            s.partial = True
    for name in unmatched:
        log.warning("succession: no old unit matches %s", name)
    return successions, unmatched


def _province_successions(units: dict[UnitKey, _Unit]) -> tuple[list[_Succession], list[str]]:
    """Old provinces → new ones from the provinces' ``formed_from``."""
    old_by_name = {
        _loose_key(u.name): u.key
        for u in units.values()
        if u.edition is Edition.PRE2025 and u.level is Level.PROVINCE
    }
    successions, unmatched = [], []
    for unit in units.values():
        if unit.edition is not Edition.CURRENT or unit.level is not Level.PROVINCE:
            continue
        text = (unit.formed_from or "").strip()
        if not text or text.casefold().startswith(UNCHANGED):
            old_key = (Edition.PRE2025, Level.PROVINCE, unit.code)
            if old_key in units:
                successions.append(_Succession(old_key, unit.key))
            else:
                unmatched.append(f"{unit.code} {unit.name} (unchanged, no old province)")
            continue
        # Later sentences are remarks ("Từ ngày 30/04/2026, ..."), not names.
        first_sentence = text.split(". ", 1)[0]
        for part in re.split(r",\s*|\s+và\s+", first_sentence):
            _, name = _split_prefix(part, ("thành phố", "tỉnh"))
            key = _loose_key(name)
            found = old_by_name.get(_PROVINCE_ALIASES.get(key, key))
            if found is None:
                unmatched.append(f"{unit.code} {unit.name}: {part}")
            else:
                successions.append(_Succession(found, unit.key))
    return successions, unmatched


@dataclass
class _Entry:
    """One old unit named in a commune's ``formed_from``."""

    text: str
    division_type: str | None
    name: str
    district_hint: str | None
    note: str | None


def _parse_entry(text: str) -> _Entry:
    """ "Xã Hòa An (huyện Phú Hòa) (phần còn lại sau khi ...)" → name, district, remainder."""
    district_hint = note = None
    for inner in _PARENTHESES.findall(text):
        inner = inner.strip()
        if inner.casefold().startswith(_PARTIAL_MARK):
            note = inner
        elif _split_prefix(inner, _DISTRICT_PREFIXES)[0]:
            district_hint = _split_prefix(inner, _DISTRICT_PREFIXES)[1]
    bare = _PARENTHESES.sub("", text).strip()
    division_type, name = _split_prefix(bare, _UNIT_PREFIXES)
    return _Entry(text, division_type, name, district_hint, note)


def _commune_successions(
    units: dict[UnitKey, _Unit], province_code: str, province_successions: list[_Succession]
) -> tuple[list[_Succession], list[str]]:
    """Old communes → the new communes of one province, by name within the old provinces that
    formed it.

    A name shared by several old communes is settled, in turn, by the district given in
    parentheses, the old commune whose code the new unit kept, the district most of the new
    unit's other parts came from, the old district under the new unit's representative point,
    and the unit type (xã/phường). A name found nowhere is matched to a commune of that same
    district with a very similar name (spellings differ: "Ea H'đing"/"Ea H'đinh"), with a note.
    """
    new_province = (Edition.CURRENT, Level.PROVINCE, province_code)
    old_provinces = {s.old[2] for s in province_successions if s.new == new_province}
    old_communes = [
        u
        for u in units.values()
        if u.edition is Edition.PRE2025
        and u.level is Level.COMMUNE
        and u.province_code in old_provinces
    ]
    exact: dict[str, list[_Unit]] = defaultdict(list)
    loose: dict[str, list[_Unit]] = defaultdict(list)
    by_district: dict[str, list[_Unit]] = defaultdict(list)
    for u in old_communes:
        exact[_name_key(u.name)].append(u)
        loose[_loose_key(u.name)].append(u)
        by_district[u.parent_code or ""].append(u)
    old_districts = [
        u
        for u in units.values()
        if u.edition is Edition.PRE2025
        and u.level is Level.DISTRICT
        and u.province_code in old_provinces
    ]
    district_names = {u.code: _loose_key(u.name) for u in old_districts}

    def lookup(entry: _Entry) -> list[_Unit]:
        hint = _loose_key(entry.district_hint) if entry.district_hint else None
        for index, key in ((exact, _name_key(entry.name)), (loose, _loose_key(entry.name))):
            found = index.get(key, [])
            if hint:
                found = [c for c in found if district_names.get(c.parent_code or "") == hint]
            if found:
                return found
        return []

    new_communes = [
        u
        for u in units.values()
        if u.edition is Edition.CURRENT
        and u.level is Level.COMMUNE
        and u.province_code == province_code
    ]
    pending: list[tuple[_Unit, _Entry, list[_Unit]]] = []
    for new in new_communes:
        text = (new.formed_from or "").strip()
        if not text or text.casefold().startswith(UNCHANGED):
            entries = [_Entry(new.full_name, new.division_type, new.name, None, None)]
        else:
            entries = [_parse_entry(part) for part in _split_list(text)]
        pending.extend((new, entry, lookup(entry)) for entry in entries)

    # Districts each new unit drew from, judged by its unambiguous parts.
    drawn_from: dict[str, Counter[str]] = defaultdict(Counter)
    claimed: set[str] = set()
    for new, _, candidates in pending:
        if len(candidates) == 1:
            drawn_from[new.code][candidates[0].parent_code or ""] += 1
            claimed.add(candidates[0].code)

    found: dict[tuple[UnitKey, UnitKey], _Succession] = {}
    unmatched = []
    for new, entry, candidates in pending:
        notes = [entry.note] if entry.note else []
        if len(candidates) > 1:
            candidates = _narrow(candidates, new, entry, drawn_from[new.code], old_districts)
        elif not candidates:
            candidates = _similar_in(entry, drawn_from[new.code], by_district, claimed)
            if candidates:
                notes.append(f"formed_from: {entry.text}")
        if len(candidates) != 1:
            reason = "ambiguous" if candidates else "not found"
            unmatched.append(f"{new.code} {new.full_name}: {entry.text} ({reason})")
            continue
        old = candidates[0]
        succession = found.setdefault((old.key, new.key), _Succession(old.key, new.key))
        if entry.note:
            succession.partial = True
        succession.notes.extend(notes)
    return list(found.values()), unmatched


def _narrow(
    candidates: list[_Unit],
    new: _Unit,
    entry: _Entry,
    districts: Counter[str],
    old_districts: list[_Unit],
) -> list[_Unit]:
    def keep(narrowed: list[_Unit]) -> list[_Unit]:
        return narrowed or candidates

    same_code = [c for c in candidates if c.code == new.code]
    if same_code:
        return same_code
    if districts:
        top = max(districts.values())
        candidates = keep([c for c in candidates if districts[c.parent_code or ""] == top])
    if len(candidates) > 1 and new.geometry is not None:
        rep = new.geometry.representative_point()
        under = {d.code for d in old_districts if d.geometry is not None and d.geometry.covers(rep)}
        candidates = keep([c for c in candidates if c.parent_code in under])
    if len(candidates) > 1 and entry.division_type:
        candidates = keep([c for c in candidates if c.division_type == entry.division_type])
    return candidates


def _similar_in(
    entry: _Entry,
    districts: Counter[str],
    by_district: dict[str, list[_Unit]],
    claimed: set[str],
    threshold: float = 0.8,
) -> list[_Unit]:
    """The one unclaimed old commune, in the districts the new unit drew from, whose name is
    nearly the same; nothing when there is no single best."""
    target = _loose_key(entry.name)
    scored = [
        (SequenceMatcher(None, target, _loose_key(c.name), autojunk=False).ratio(), c)
        for district in districts
        for c in by_district.get(district, [])
        if c.code not in claimed
    ]
    scored = [(score, c) for score, c in scored if score >= threshold]
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [c for score, c in scored if score == best]


def _upsert_successions(
    session: Session, successions: list[_Succession], ids: dict[UnitKey, int]
) -> int:
    """Upsert by (old unit, new unit); drop stale rows into the units this load covers."""
    wanted: dict[tuple[int, int], dict[str, Any]] = {}
    for s in successions:
        wanted[(ids[s.old], ids[s.new])] = {
            "old_unit_id": ids[s.old],
            "new_unit_id": ids[s.new],
            "effective_on": REORGANISATION_DATE,
            "partial": s.partial,
            "note": "; ".join(s.notes) or None,
        }
    covered = {ids[s.new] for s in successions}
    inserts, updates, stale = [], [], []
    for row in session.execute(
        select(
            AdminUnitSuccession.id,
            AdminUnitSuccession.old_unit_id,
            AdminUnitSuccession.new_unit_id,
            AdminUnitSuccession.effective_on,
            AdminUnitSuccession.partial,
            AdminUnitSuccession.note,
        )
    ).mappings():
        pair = (row["old_unit_id"], row["new_unit_id"])
        values = wanted.pop(pair, None)
        if values is None:
            if row["new_unit_id"] in covered:
                stale.append(row["id"])
            continue
        if any(row[k] != values[k] for k in ("effective_on", "partial", "note")):
            updates.append({"id": row["id"], **values})
    inserts = list(wanted.values())
    if stale:
        session.execute(delete(AdminUnitSuccession).where(AdminUnitSuccession.id.in_(stale)))
    if inserts:
        session.execute(insert(AdminUnitSuccession), inserts)
    if updates:
        session.execute(update(AdminUnitSuccession), updates)
    log.info(
        "successions: %d inserted, %d updated, %d removed", len(inserts), len(updates), len(stale)
    )
    return len(successions)
