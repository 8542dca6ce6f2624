"""Benchmark of the signed-in pages under load (not a test): issue 12's "20 concurrent clients
for 60 s on the list, the map data and the detail page behind gunicorn on both engines".

For each engine (a SpatiaLite file; a throwaway PostgreSQL/PostGIS cluster), in one run:

1. a fresh database with the synthetic national set (``bench/bench_map.py``'s loader: the
   20,000 facilities, code sequences, ``ANALYZE``);
2. the registry behind gunicorn (``registry:create_app()``, sync workers), login throttling
   off (20 clients sign in from one address at once);
3. ``--clients`` threads, each signed in as the national viewer with its own session
   (``requests``), sending the next request as soon as the last one is read, in turns of
   ``--seconds`` / ``--slices`` per page: the list (first page, default sort by name), the map
   data of a province (Đồng Nai pre-2025, as the map benchmark) and a facility's detail page
   (a random facility each time).

Prints the figures and rewrites the "Signed-in pages under load" section of
docs/BENCHMARKS.md (between ``<!-- load:start -->`` and ``<!-- load:end -->``).

    python -m bench.bench_load                                  # both engines, 60 s each page
    python -m bench.bench_load --engines sqlite --seconds 10 --no-write
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench import bench_map, bench_ogc
from bench.common import machine, write_section

START, END = "<!-- load:start -->", "<!-- load:end -->"
TARGET_P95_MS = 150.0
USER = "bench-viewer"


@dataclass
class Result:
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, p: int) -> float | None:
        if len(self.latencies) < 2:
            return None
        return statistics.quantiles(self.latencies, n=100)[p - 1] * 1000

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def signed_in(base: str) -> Any:
    import requests

    session = requests.Session()
    page = session.get(f"{base}/auth/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    answer = session.post(
        f"{base}/auth/login",
        data={"username": USER, "password": bench_map.PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"login failed: {answer.status_code}"
    return session


def hammer(sessions: list[Any], base: str, paths: Any, seconds: float) -> Result:
    """Every session in its own thread until ``seconds`` have passed; ``paths()`` gives the
    next path to ask for."""
    import requests

    result = Result()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(session: Any) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                answer = session.get(base + paths(), timeout=60, allow_redirects=False)
                body = answer.content
            except requests.RequestException as exc:
                with lock:
                    result.errors[type(exc).__name__] += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                if answer.status_code == 200 and body:
                    result.ok += 1
                    result.latencies.append(elapsed)
                else:
                    result.errors[f"HTTP {answer.status_code}"] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def facility_ids(app: Any) -> list[int]:
    from sqlalchemy import select

    from registry.extensions import db
    from registry.facilities.models import Facility, FacilityType

    # Facilities of the types every reader sees where they are (a confidential one whose
    # province has no representative point is not shown to the viewer at all).
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Facility.id)
                .join(FacilityType, FacilityType.code == Facility.type_code)
                .where(FacilityType.confidential.is_(False))
            )
        )
        db.session.remove()
        db.engine.dispose()
    return ids


def run_engine(engine: str, args: argparse.Namespace, tmp: Path, url: str | None) -> dict:
    app = bench_map.build_app(tmp, url)
    info = bench_map.load(app, args.facilities, args.seed)
    bbox = bench_map.province_bbox(app, "75")
    ids = facility_ids(app)
    database_url = url or f"sqlite:///{tmp / 'bench_map.sqlite'}"
    server = bench_ogc.Server(engine, bench_ogc.free_port(), "", log=tmp / f"{engine}.log")
    env = {
        "DATABASE_URL": database_url,
        "REGISTRY_SECRET_KEY": secrets.token_hex(32),
        "REGISTRY_INSTANCE_PATH": str(tmp / "instance"),
        "REGISTRY_TILE_URL": "",
        "REGISTRY_LOGIN_THROTTLE_ENABLED": "false",
        "REGISTRY_SESSION_COOKIE_SECURE": "false",
    }
    if engine == "postgis":
        env["REGISTRY_REQUIRE_DB"] = "postgis"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    bench_ogc.start_gunicorn(
        server, gunicorn, "registry:create_app()", args.workers, env, bench_ogc.REPO_ROOT
    )
    try:
        bench_ogc.wait_ready(server, "/healthz")
        if not server.ready:
            raise RuntimeError(server.note)
        base = f"http://127.0.0.1:{server.port}"
        sessions = [signed_in(base) for _ in range(args.clients)]
        box = ",".join(f"{v:.4f}" for v in bbox)
        rng = random.Random(args.seed)
        pages = {
            "list": lambda: "/facilities/",
            "map": lambda: f"/map/data?bbox={box}",
            "detail": lambda: f"/facilities/{rng.choice(ids)}",
        }
        for path in ("/facilities/", f"/map/data?bbox={box}", f"/facilities/{ids[0]}"):
            for session in sessions[: args.workers * 2]:  # each worker's first requests
                session.get(base + path, timeout=60)
        results: dict[str, Result] = {name: Result() for name in pages}
        loads: list[float] = []
        for _ in range(args.slices):
            for name, paths in pages.items():
                loads.append(os.getloadavg()[0])
                part = hammer(sessions, base, paths, args.seconds / args.slices)
                total = results[name]
                total.ok += part.ok
                total.errors.update(part.errors)
                total.latencies += part.latencies
                total.seconds += part.seconds
    finally:
        server.stop()
    return {"info": info, "results": results, "loads": loads}


def _fmt(ms: float | None) -> str:
    return "–" if ms is None else (f"{ms:,.0f} ms" if ms >= 100 else f"{ms:.1f} ms")


def section(runs: dict[str, dict], args: argparse.Namespace, load_before: str) -> str:
    m = machine()
    lines = [
        START,
        "## Signed-in pages under load",
        "",
        f"`python -m bench.bench_load` on {date.today().isoformat()}: for each engine a fresh "
        f"database with {args.facilities:,} synthetic facilities (bench/synthetic.py, seed "
        f"{args.seed}, `ANALYZE`), the registry behind gunicorn with {args.workers} sync "
        f"workers on loopback, {args.clients} clients each signed in as the national viewer "
        "with its own session, each sending the next request as soon as the last one is read, "
        f"{args.seconds:.0f} s per page in {args.slices} turns. The list is its first page "
        "(default sort, by name in Vietnamese order); the map data is Đồng Nai's (pre-2025) "
        "box; the detail page a random facility each time.",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, {m['system']}; load "
        f"average {load_before} at the start (the clients run on the same machine).",
        "",
        "| engine | page | requests | errors | throughput | p50 | p95 | target p95 | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, run in runs.items():
        for name, r in run["results"].items():
            errors = sum(r.errors.values())
            kinds = ", ".join(f"{k}: {v}" for k, v in r.errors.items())
            p95 = r.percentile(95)
            met = errors == 0 and p95 is not None and p95 < TARGET_P95_MS
            lines.append(
                f"| {engine} | {name} | {r.ok:,} | {errors}{f' ({kinds})' if errors else ''}"
                f" | {r.throughput:,.1f} req/s | {_fmt(r.percentile(50))} | {_fmt(p95)} "
                f"| < {TARGET_P95_MS:.0f} ms, no error | {'yes' if met else 'NO'} |"
            )
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgis")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--pg-port", type=int, default=55441)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    load_before = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    runs: dict[str, dict] = {}
    for engine in [e for e in args.engines.split(",") if e]:
        with tempfile.TemporaryDirectory(prefix=f"bench_load_{engine}_") as folder:
            if engine == "postgis":
                with bench_ogc.throwaway_postgres(args.pg_port) as url:
                    runs[engine] = run_engine(engine, args, Path(folder), url)
            else:
                runs[engine] = run_engine(engine, args, Path(folder), None)
        for name, r in runs[engine]["results"].items():
            print(
                f"{engine:8} {name:7} {r.ok:6,} ok, errors {dict(r.errors)}, "
                f"{r.throughput:6.1f} req/s, p50 {_fmt(r.percentile(50))}, "
                f"p95 {_fmt(r.percentile(95))}"
            )
    text = section(runs, args, load_before)
    if not args.no_write:
        write_section(text, START, END)
    return text


if __name__ == "__main__":
    main()
