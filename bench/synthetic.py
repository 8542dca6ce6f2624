"""Synthetic national data set for benchmarks: real provinces, invented communes and facilities.

Province boundaries are the 63 real pre-2025 provinces. Everything else is SYNTHETIC and must
never be shown as real data: province and commune populations, commune points (random demand
points standing in for communes, with made-up codes) and all facilities. The generator is
deterministic for a given seed and numpy version, and builds the full set (63 provinces,
about 10,000 communes, 20,000 facilities) in well under five seconds.

Run ``python -m bench.synthetic --csv bench/out/facilities.csv`` to print counts and timing
and write the facilities as CSV.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path("/work/shared/data")
PROVINCES_FILE = "vn_provinces_2024.geojson"
ADMIN_UNITS_FILE = "vn_admin_units_pre2025.csv"

DEFAULT_COMMUNES = 10_000  # national total when the catalogue is not available
PEOPLE_PER_COMMUNE = 9_500  # about 96 million people in about 10,000 communes (2019)

# Commune codes are drawn from a range no real GSO commune code uses (they end near 32250),
# so a synthetic code can never be mistaken for a real one.
SYNTHETIC_COMMUNE_CODES = (40_000, 100_000)

# type code -> (share of facilities, Vietnamese label, median design capacity, residents per
# staff member, probability of public ownership). Shares are loosely shaped on the mix of a
# provincial network: many small elderly and children's homes, few large general centres.
FACILITY_TYPES: dict[str, tuple[float, str, int, float, float]] = {
    "ELDERLY": (0.20, "Cơ sở chăm sóc người cao tuổi", 60, 5.0, 0.35),
    "CHILDREN": (0.15, "Cơ sở chăm sóc, nuôi dưỡng trẻ em", 50, 4.0, 0.45),
    "DISABILITY": (0.10, "Cơ sở chăm sóc người khuyết tật", 60, 4.0, 0.55),
    "MENTAL": (0.05, "Cơ sở chăm sóc người tâm thần", 400, 6.0, 0.95),
    "GENERAL": (0.08, "Cơ sở bảo trợ xã hội tổng hợp", 400, 6.0, 0.95),
    "SOCIAL_WORK": (0.08, "Trung tâm công tác xã hội", 40, 4.0, 0.70),
    "OTHER": (0.05, "Cơ sở trợ giúp xã hội", 40, 5.0, 0.40),
    "DRUG_PUBLIC": (0.03, "Cơ sở cai nghiện ma túy công lập", 300, 8.0, 1.00),
    "DRUG_VOLUNTARY": (0.03, "Cơ sở cai nghiện ma túy tự nguyện", 80, 6.0, 0.10),
    "DRUG_COMMUNITY": (0.09, "Cơ sở cai nghiện ma túy tại cộng đồng", 20, 5.0, 1.00),
    "COUNSELLING": (0.08, "Điểm tư vấn, hỗ trợ điều trị nghiện", 15, 5.0, 0.90),
    "SHELTER": (0.04, "Nhà tạm lánh", 10, 5.0, 0.60),
    "VICTIM_SUPPORT": (0.02, "Cơ sở hỗ trợ nạn nhân", 30, 4.0, 0.70),
}
# Types whose design capacity the registry bounds at 300-500 (registry/facilities/types.yaml);
# synthetic values stay inside so they pass the registry's own checks when loaded.
BOUNDED_CAPACITY = {"MENTAL": (300, 500), "GENERAL": (300, 500)}

STATUSES: dict[str, float] = {
    "operating": 0.85,
    "planned": 0.04,
    "under_construction": 0.03,
    "suspended": 0.03,
    "closed": 0.05,
}

CSV_COLUMNS = (
    "id",
    "code",
    "name",
    "type_code",
    "ownership",
    "status",
    "province_code",
    "commune_code",
    "lon",
    "lat",
    "design_capacity",
    "residents",
    "staff",
)


@dataclass
class SyntheticDataset:
    """A generated data set; see the module docstring for what is real and what is not."""

    seed: int
    provinces: list[dict[str, Any]]
    communes: list[dict[str, Any]]
    facilities: list[dict[str, Any]]
    boundaries: Path
    notes: list[str] = field(default_factory=list)


def _data_file(name: str) -> Path:
    """The repository's copy of a reference file, else the shared one."""
    for folder in (REPO_ROOT / "data" / "boundaries", SHARED_DATA):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{name} is neither in data/boundaries nor in {SHARED_DATA}")


def _load_provinces(path: Path) -> list[dict[str, Any]]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    provinces = []
    for feature in collection["features"]:
        props = feature["properties"]
        geometry = shape(feature["geometry"])
        shapely.prepare(geometry)  # every point-in-polygon test below reuses it
        provinces.append({"code": props["code"], "name": props["name"], "geometry": geometry})
    provinces.sort(key=lambda p: p["code"])  # independent of file order
    return provinces


def _real_commune_counts(path: Path) -> dict[str, int]:
    """Communes per province in the pre-2025 catalogue."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["level"] == "commune"]
    return dict(Counter(row["province_code"] for row in rows))


def _default_commune_counts(provinces: list[dict[str, Any]]) -> tuple[np.ndarray, str]:
    """Realistic commune counts: the real ones, or shares of 10,000 by area as a fallback."""
    try:
        counts: dict[str, int] | None = _real_commune_counts(_data_file(ADMIN_UNITS_FILE))
    except FileNotFoundError:
        counts = None
    if counts and all(p["code"] in counts for p in provinces):
        return np.array([counts[p["code"]] for p in provinces]), "real commune counts (GSO 2025-03)"
    areas = np.array([p["geometry"].area for p in provinces])
    shares = np.maximum(1, np.round(DEFAULT_COMMUNES * areas / areas.sum())).astype(int)
    return shares, "commune counts proportional to province area"


def _split_total(rng: np.random.Generator, total: int, parts: int) -> np.ndarray:
    """Split an integer total into uneven positive-weight integer parts that sum exactly."""
    weights = rng.gamma(2.0, size=parts)
    raw = total * weights / weights.sum()
    result = np.floor(raw).astype(np.int64)
    result[np.argmax(raw - result)] += total - result.sum()
    return result


def _points_inside(
    rng: np.random.Generator, geometry: BaseGeometry, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points uniform in lon/lat inside the geometry, by rejection from its bbox.

    Batches are sized from the area ratio, so provinces with far-flung islands (Khánh Hòa's
    bbox is ~90 times its area) take a couple of large batches rather than many small ones.
    """
    min_x, min_y, max_x, max_y = geometry.bounds
    acceptance = max(geometry.area / ((max_x - min_x) * (max_y - min_y)), 0.002)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    found = 0
    while found < count:
        batch = max(64, int((count - found) / acceptance * 1.3))
        x = rng.uniform(min_x, max_x, batch)
        y = rng.uniform(min_y, max_y, batch)
        inside = shapely.contains_xy(geometry, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        found += int(inside.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]


def _place_near(
    rng: np.random.Generator,
    geometries: np.ndarray,
    base_x: np.ndarray,
    base_y: np.ndarray,
    spread_deg: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Jitter points around their bases, keeping each inside its own geometry.

    Points that land outside are redrawn a few times; the rest stay on the base point, which
    is inside by construction.
    """
    x, y = base_x.copy(), base_y.copy()
    pending = np.arange(len(x))
    for _ in range(8):
        if pending.size == 0:
            break
        cand_x = base_x[pending] + rng.normal(0.0, spread_deg, pending.size)
        cand_y = base_y[pending] + rng.normal(0.0, spread_deg, pending.size)
        inside = shapely.contains_xy(geometries[pending], cand_x, cand_y)
        x[pending[inside]] = cand_x[inside]
        y[pending[inside]] = cand_y[inside]
        pending = pending[~inside]
    return x, y


def generate(
    seed: int = 1,
    n_facilities: int = 20_000,
    communes_per_province: int | None = None,
    *,
    boundaries: Path | None = None,
) -> SyntheticDataset:
    """Build the data set; the same arguments always give the same data.

    ``communes_per_province`` fixes the number of demand points per province (small test
    sets); by default each province gets its real number of communes, about 10,000 in all.
    """
    if n_facilities < 0:
        raise ValueError("n_facilities must not be negative")
    if communes_per_province is not None and communes_per_province < 1:
        raise ValueError("communes_per_province must be at least 1")
    rng = np.random.default_rng(seed)
    path = boundaries or _data_file(PROVINCES_FILE)
    provinces = _load_provinces(path)
    realistic_counts, count_note = _default_commune_counts(provinces)
    if communes_per_province is None:
        counts = realistic_counts
    else:
        counts = np.full(len(provinces), communes_per_province)
    n_communes = int(counts.sum())
    low, high = SYNTHETIC_COMMUNE_CODES
    if n_communes > high - low:
        raise ValueError(f"at most {high - low} synthetic communes can be coded")

    # Province population scales with its real commune count, so it does not depend on how
    # many demand points a test asks for.
    noise = rng.lognormal(0.0, 0.25, len(provinces))
    province_population = np.round(realistic_counts * PEOPLE_PER_COMMUNE * noise).astype(np.int64)
    for province, population in zip(provinces, province_population.tolist(), strict=True):
        province["population"] = population
        province["population_source"] = "synthetic"

    codes = np.sort(rng.choice(np.arange(low, high), size=n_communes, replace=False))
    communes: list[dict[str, Any]] = []
    commune_x = np.empty(n_communes)
    commune_y = np.empty(n_communes)
    commune_province = np.empty(n_communes, dtype=np.int64)
    start = 0
    for index, (province, count) in enumerate(zip(provinces, counts.tolist(), strict=True)):
        x, y = _points_inside(rng, province["geometry"], count)
        populations = _split_total(rng, province["population"], count)
        stop = start + count
        commune_x[start:stop], commune_y[start:stop] = x, y
        commune_province[start:stop] = index
        for offset in range(count):
            communes.append(
                {
                    "code": f"{codes[start + offset]:05d}",
                    "province_code": province["code"],
                    "point": Point(x[offset], y[offset]),
                    "population": int(populations[offset]),
                    "population_source": "synthetic",
                }
            )
        start = stop

    facilities = _generate_facilities(
        rng, n_facilities, provinces, communes, commune_x, commune_y, commune_province
    )
    notes = [
        f"boundaries: {path}",
        f"province populations (and default commune numbers) follow {count_note}",
        "populations, communes and facilities are synthetic",
    ]
    return SyntheticDataset(seed, provinces, communes, facilities, path, notes)


def _generate_facilities(
    rng: np.random.Generator,
    n: int,
    provinces: list[dict[str, Any]],
    communes: list[dict[str, Any]],
    commune_x: np.ndarray,
    commune_y: np.ndarray,
    commune_province: np.ndarray,
) -> list[dict[str, Any]]:
    """Facilities placed near population-weighted communes, with type-dependent attributes."""
    if n == 0:
        return []
    populations = np.array([c["population"] for c in communes], dtype=float)
    home = rng.choice(len(communes), size=n, p=populations / populations.sum())

    type_codes = list(FACILITY_TYPES)
    shares = np.array([FACILITY_TYPES[t][0] for t in type_codes])
    type_index = rng.choice(len(type_codes), size=n, p=shares / shares.sum())
    status_names = list(STATUSES)
    status_p = np.array(list(STATUSES.values()))
    status_index = rng.choice(len(status_names), size=n, p=status_p / status_p.sum())

    public_p = np.array([FACILITY_TYPES[t][4] for t in type_codes])[type_index]
    public = rng.random(n) < public_p

    median = np.array([FACILITY_TYPES[t][2] for t in type_codes], dtype=float)[type_index]
    capacity = np.maximum(5, np.round(median * rng.lognormal(0.0, 0.45, n) / 5) * 5)
    for code, (cap_low, cap_high) in BOUNDED_CAPACITY.items():
        bounded = type_index == type_codes.index(code)
        capacity[bounded] = rng.integers(cap_low // 10, cap_high // 10 + 1, bounded.sum()) * 10
    capacity = capacity.astype(np.int64)

    status = np.array(status_names)[status_index]
    occupancy = np.where(
        status == "operating",
        rng.beta(5.0, 2.0, n),
        np.where(status == "suspended", rng.beta(1.0, 4.0, n), 0.0),
    )
    residents = rng.binomial(capacity, occupancy)  # never above capacity
    per_staff = np.array([FACILITY_TYPES[t][3] for t in type_codes])[type_index]
    staff = np.maximum(2, np.round(capacity / per_staff * rng.uniform(0.7, 1.3, n)))
    staff = np.where(np.isin(status, ["planned", "closed"]), 0, staff).astype(np.int64)

    province_of = commune_province[home]
    geometries = np.array([p["geometry"] for p in provinces], dtype=object)[province_of]
    lon, lat = _place_near(rng, geometries, commune_x[home], commune_y[home], 0.01)

    sequence: Counter[tuple[str, str]] = Counter()
    facilities = []
    rows = zip(
        home.tolist(),
        province_of.tolist(),
        type_index.tolist(),
        status.tolist(),
        public.tolist(),
        lon.tolist(),
        lat.tolist(),
        capacity.tolist(),
        residents.tolist(),
        staff.tolist(),
        strict=True,
    )
    for number, (c, p, t, st, pub, x, y, cap, res, stf) in enumerate(rows, start=1):
        province = provinces[p]
        type_code = type_codes[t]
        sequence[province["code"], type_code] += 1
        seq = sequence[province["code"], type_code]
        facilities.append(
            {
                "id": number,
                "code": f"{province['code']}-{type_code}-{seq:04d}",
                "name": f"{FACILITY_TYPES[type_code][1]} số {seq}, {province['name']}",
                "type_code": type_code,
                "ownership": "public" if pub else "non_public",
                "status": st,
                "province_code": province["code"],
                "commune_code": communes[c]["code"],
                "lon": x,
                "lat": y,
                "design_capacity": cap,
                "residents": res,
                "staff": stf,
            }
        )
    return facilities


def write_csv(dataset: SyntheticDataset, path: str | Path) -> Path:
    """Write the facilities as UTF-8 CSV (lon/lat to 6 decimals, about 0.1 m)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for facility in dataset.facilities:
            row = dict(facility)
            row["lon"] = f"{facility['lon']:.6f}"
            row["lat"] = f"{facility['lat']:.6f}"
            writer.writerow(row)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--communes-per-province", type=int, default=None)
    parser.add_argument("--csv", type=Path, default=None, help="write facilities to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    dataset = generate(args.seed, args.facilities, args.communes_per_province)
    elapsed = time.perf_counter() - started
    print(f"provinces:  {len(dataset.provinces)}")
    print(f"communes:   {len(dataset.communes)}")
    print(f"facilities: {len(dataset.facilities)}")
    print("by status: ", dict(Counter(f["status"] for f in dataset.facilities).most_common()))
    print("by type:   ", dict(Counter(f["type_code"] for f in dataset.facilities).most_common()))
    for note in dataset.notes:
        print(f"note: {note}")
    print(f"generated in {elapsed:.2f} s")
    if args.csv:
        started = time.perf_counter()
        written = write_csv(dataset, args.csv)
        print(f"wrote {written} in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
