"""Benchmark of the facility import (not a test): 5,000 valid rows, target < 10 s.

Builds an XLSX of synthetic facilities (attributes from ``bench.synthetic.generate()``, points
re-sampled inside the CURRENT province 75 polygon, since the synthetic set uses pre-2025
provinces), then times the two requests of an import, the preview (validation) and the
confirmation (the import in one transaction), against a fresh SpatiaLite database (migrated,
with the geography reference data and the facility types loaded). Each run starts from a copy
of that prepared database; the figure is the median of the runs.

Prints the figures and rewrites the "Import" section of docs/BENCHMARKS.md (between the
``<!-- import:start -->`` and ``<!-- import:end -->`` markers), with the machine it ran on.

    python -m bench.bench_import                  # 5,000 rows, 3 runs, writes the section
    python -m bench.bench_import --rows 500 --runs 1 --no-write
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from bench.common import machine, write_section
from bench.synthetic import generate

REPO_ROOT = Path(__file__).resolve().parents[1]
PROVINCES_2025 = REPO_ROOT / "data" / "boundaries" / "vn_provinces_2025.geojson"
START, END = "<!-- import:start -->", "<!-- import:end -->"
TARGET_S = 10.0
PROVINCE = "75"


def province_polygon(code: str = PROVINCE) -> Any:
    document = json.loads(PROVINCES_2025.read_text(encoding="utf-8"))
    for feature in document["features"]:
        properties = feature["properties"]
        if str(properties.get("code") or properties.get("ma_tinh") or "").zfill(2) == code:
            return shape(feature["geometry"])
    raise LookupError(f"province {code} not in {PROVINCES_2025}")


def sample_points(polygon: Any, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside the polygon, kept 300 m inside its (simplified) outline."""
    rng = np.random.default_rng(seed)
    inner = polygon.buffer(-0.003)
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < n:
        x = rng.uniform(minx, maxx, n * 2)
        y = rng.uniform(miny, maxy, n * 2)
        keep = shapely.contains_xy(inner, x, y)
        xs.extend(x[keep].tolist())
        ys.extend(y[keep].tolist())
    return np.round(np.array(xs[:n]), 6), np.round(np.array(ys[:n]), 6)


def build_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """Template rows: synthetic attributes, points inside the current province."""
    from registry.facilities.imports import OWNERSHIP_VALUES, STATUS_VALUES
    from registry.facilities.models import Ownership, Status

    facilities = generate(seed, n_facilities=n, communes_per_province=3).facilities
    lon, lat = sample_points(province_polygon(), n, seed)
    rows = []
    for i, facility in enumerate(facilities):
        rows.append(
            {
                "Tên cơ sở": f"{facility['name'].split(' số ')[0]} số {i + 1}",
                "Loại hình (mã)": facility["type_code"],
                "Loại hình sở hữu": OWNERSHIP_VALUES[Ownership(facility["ownership"])],
                "Mã tỉnh": PROVINCE,
                "Địa chỉ": f"Số {i + 1}, tổ {i % 40 + 1}",
                "Vĩ độ": float(lat[i]),
                "Kinh độ": float(lon[i]),
                "Trạng thái": STATUS_VALUES[Status(facility["status"])],
                "Ngày hoạt động": date(2000 + i % 25, i % 12 + 1, i % 28 + 1),
                "Công suất thiết kế": facility["design_capacity"],
                "Số đối tượng hiện có": facility["residents"],
                "Số nhân viên": facility["staff"],
            }
        )
    return rows


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    from registry.facilities.imports import COLUMNS

    headers = [c.header for c in COLUMNS]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Cơ sở")
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class National:
    def covers(self, province_code: str | None) -> bool:
        return True


def prepare_database(folder: Path) -> Path:
    """A migrated SpatiaLite file with geography and facility types, copied for each run."""
    from flask_migrate import upgrade

    from registry import create_app
    from registry.extensions import db
    from registry.facilities import services
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all

    path = folder / "template.sqlite"
    app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    app.instance_path = str(folder / "instance")
    with app.app_context():
        upgrade()
        load_all(db.session, DEFAULT_DATA_DIR)
        services.load_types(db.session)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return path


def run_once(template: Path, folder: Path, data: bytes, run: int) -> dict[str, float]:
    """The two requests of an import: the preview (read, every rule, duplicates) and the
    confirmation (read, the file's own checks, write every row through the services)."""
    from sqlalchemy import func, select

    from registry import create_app
    from registry.audit.context import set_actor
    from registry.extensions import db
    from registry.facilities import imports
    from registry.facilities.models import Facility

    path = folder / f"run{run}.sqlite"
    shutil.copyfile(template, path)
    app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    app.instance_path = str(folder / "instance")
    with app.app_context(), app.test_request_context():
        session = db.session
        set_actor(session, "bench")
        t0 = time.perf_counter()
        preview = imports.validate(session, imports.read_file(data, "xlsx"), user=National())
        session.rollback()
        t1 = time.perf_counter()
        if not preview.ok:
            raise SystemExit(f"the bench file has errors: {preview.errors[:5]}")
        plan = imports.validate(
            session, imports.read_file(data, "xlsx"), user=National(), rules=False
        )
        created, updated = imports.apply(
            session, plan, actor_id=None, reason="Nhập từ tệp bench.xlsx"
        )
        session.commit()
        t2 = time.perf_counter()
        count = session.scalar(select(func.count(Facility.id)))
        session.remove()
        db.engine.dispose()
    path.unlink(missing_ok=True)
    if not created == len(plan.rows) == count or updated:
        raise SystemExit(f"imported {created} of {len(plan.rows)} rows ({count} in the table)")
    return {
        "preview": t1 - t0,
        "confirm": t2 - t1,
        "total": t2 - t0,
        "duplicates": float(len(preview.duplicates)),
    }


def spatialite_version(template: Path) -> str:
    from sqlalchemy import create_engine

    from registry import database

    engine = create_engine(
        f"sqlite:///{template}", **database.engine_options(f"sqlite:///{template}")
    )
    database.configure_engine(engine)
    with engine.connect() as conn:
        label = database.spatial_version(conn)
    engine.dispose()
    return label


def report(
    results: list[dict[str, float]],
    rows: int,
    size: int,
    runs: int,
    info: dict[str, str],
    engine: str,
) -> str:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in results)

    total = median("total")
    lines = [
        START,
        "## Import",
        "",
        f"`python -m bench.bench_import` on {date.today():%Y-%m-%d}: an XLSX of {rows:,} valid "
        f"new facilities ({size / 1024:,.0f} KiB; synthetic attributes from "
        "`bench/synthetic.py`, points re-sampled inside the current province 75), read, "
        f"validated and imported in one transaction into a fresh {engine} database "
        "(migrated, geography and facility types loaded). Median of "
        f"{runs} run{'s' if runs != 1 else ''}.",
        "",
        f"Machine: {info['nproc']} CPU ({info['cpu']}), Python {info['python']}, {info['system']}.",
        "",
        "| step | median |",
        "|---|---|",
        "| preview: read the XLSX, every row through `services.check`, duplicates in the "
        f"file | {median('preview'):,.2f} s |",
        "| confirm: read again, the file's own checks, write every row through the services "
        f"(audited), commit | {median('confirm'):,.2f} s |",
        f"| **both** (target < {TARGET_S:.0f} s) | **{total:,.2f} s** — "
        f"{'met' if total < TARGET_S else 'NOT met'} |",
        "",
        f"Possible duplicates listed for confirmation: {median('duplicates'):,.0f} "
        "(random points of the same type within 200 m).",
    ]
    if total >= TARGET_S:
        per_row = total / rows * 1000
        lines += [
            "",
            f"Not met: {per_row:,.0f} ms per row. Every row goes through "
            "`services.check` (its point located with outline queries, duplicates looked "
            "up with queries) in the preview and again when written, and "
            "`register_facility` flushes each row on its own.",
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("this benchmark runs on SpatiaLite; unset DATABASE_URL")

    data = to_xlsx(build_rows(args.rows, args.seed))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        template = prepare_database(folder)
        engine = spatialite_version(template)
        results = []
        for run in range(args.runs):
            result = run_once(template, folder, data, run)
            print(
                f"run {run + 1}: preview {result['preview']:.2f} s, confirm "
                f"{result['confirm']:.2f} s, total {result['total']:.2f} s",
                flush=True,
            )
            results.append(result)
    section = report(results, args.rows, len(data), args.runs, machine(), engine)
    print(section)
    if not args.no_write:
        write_section(section, START, END)
    return section


if __name__ == "__main__":
    main()
