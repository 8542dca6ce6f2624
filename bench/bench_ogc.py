"""Benchmark of OGC API – Features (not a test): the registry's ``/ogc`` items next to pygeoapi.

Everything runs on this machine, in one run, against one throwaway PostgreSQL/PostGIS cluster:

1. a fresh database (migrations, facility types, administrative units) with the synthetic
   national set of 20,000 facilities (``bench/synthetic.py``, loaded as ``bench/bench_map.py``
   loads it), then ``ANALYZE``;
2. the registry behind gunicorn (``registry:create_app()``), read anonymously at
   ``/ogc/collections/facilities/items``;
3. pygeoapi 0.24 in its own venv (``.bench-venv-pygeoapi``, created from
   ``bench/pygeoapi/requirements.txt`` when missing; it needs Python >= 3.12) behind gunicorn
   with the same number of workers, its PostgreSQL provider on a view of the same table that
   shows what an anonymous reader sees (the read model's rule, in SQL: confidential types at
   the commune's, else the province's, representative point, without address and notes;
   closed facilities left out);
4. the floor: the same SQL page read with psycopg and serialised to GeoJSON with ``json``, in
   this process, with neither HTTP nor a framework.

Measured for both servers: ``items?limit=1000`` and a province bbox (Đồng Nai pre-2025, as the
map benchmark) as medians of sequential requests, and 20 concurrent clients for 60 s on the
items (errors, throughput, p50/p95), on the default page of 100 (the issue's target) and on
pages of 1,000 (QGIS's page size). Targets (issue 13): items?limit=1000 < 100 ms median,
bbox < 30 ms median, 20 clients with no error and p95 < 150 ms, at least twice pygeoapi's
throughput.

Prints the figures and rewrites the "OGC API – Features" section of docs/BENCHMARKS.md
(between ``<!-- ogc:start -->`` and ``<!-- ogc:end -->``), with the machine it ran on.

    python -m bench.bench_ogc                                    # full run, writes the section
    python -m bench.bench_ogc --seconds 10 --runs 5 --no-write   # a quick look
    python -m bench.bench_ogc --profile --no-pygeoapi --seconds 0 --no-write

``--profile`` also runs the registry's items request in this process under cProfile and prints
where the time goes. The bench needs PostgreSQL 15+ with PostGIS (``postgresql-15-postgis-3``);
run as root it initialises the cluster as the ``postgres`` user.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import os
import pstats
import secrets
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.common import BENCHMARKS_FILE, machine, write_section
from registry.api.ogc_collections import PUBLIC_PROPERTIES

REPO_ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- ogc:start -->", "<!-- ogc:end -->"
PYGEOAPI_DIR = Path(__file__).resolve().parent / "pygeoapi"
PYGEOAPI_VENV = REPO_ROOT / ".bench-venv-pygeoapi"
REGISTRY_ITEMS = "/ogc/collections/facilities/items"
PYGEOAPI_ITEMS = "/collections/facilities/items"
DB_NAME = "bench_ogc"
VIEW = "bench_ogc_anonymous_facilities"
UNCACHED = "registry_uncached"
TARGETS = {"items_ms": 100.0, "bbox_ms": 30.0, "p95_ms": 150.0, "throughput_ratio": 2.0}

# What an anonymous reader of the registry's facilities collection gets as properties, in the
# registry's order: the bench checks that the registry answers with these. The view serves the
# same columns to pygeoapi, and the floor reads and serialises the same.
PROPERTIES = PUBLIC_PROPERTIES

# The read model's rule for a reader without facilities.view_confidential (read.ANONYMOUS):
# a confidential type at its current commune's representative point, else its province's,
# without its address, and left out when there is neither; every status (the collection serves
# closed facilities too). ``{hidden}`` is the condition for a generalised row.
_COLUMNS = """f.code, f.name, f.type_code, t.name_vi AS type_name_vi,
       t.name_en AS type_name_en, t.category, f.ownership, f.managing_body, f.status,
       f.status_changed_on, f.province_code, f.commune_code, f.old_province_code,
       f.district_code, CASE WHEN {hidden} THEN NULL ELSE f.address END AS address,
       (f.location_approximate OR {hidden} OR COALESCE(f.location_precision, 'exact') <> 'exact')
         AS location_approximate,
       COALESCE(f.location_precision, 'exact') AS location_precision, {hidden} AS generalised,
       f.level, f.service_codes, f.target_groups, f.criteria_supported_on, f.opened_on,
       f.closed_on, f.design_capacity, f.services, f.registration_no, f.licence_no,
       f.updated_at"""
_GENERALISED_POINT = """
  LEFT JOIN admin_units c
         ON {hidden} AND c.edition = '2025' AND c.level = 'commune' AND c.code = f.commune_code
  LEFT JOIN admin_units p
         ON {hidden} AND p.edition = '2025' AND p.level = 'province' AND p.code = f.province_code"""
_SHOWN_LON = "CASE WHEN t.confidential THEN COALESCE(c.rep_lon, p.rep_lon) ELSE f.lon END"
_SHOWN_LAT = "CASE WHEN t.confidential THEN COALESCE(c.rep_lat, p.rep_lat) ELSE f.lat END"

# For pygeoapi: in two branches, so that its bbox on the exact rows (all but a few percent)
# uses the spatial index on the stored point.
VIEW_SQL = f"""
CREATE VIEW {{view}} AS
SELECT f.id, {_COLUMNS.format(hidden="false")}, f.lon, f.lat, f.geom
  FROM facilities f JOIN facility_types t ON t.code = f.type_code
 WHERE NOT t.confidential
UNION ALL
SELECT f.id, {_COLUMNS.format(hidden="true")},
       COALESCE(c.rep_lon, p.rep_lon), COALESCE(c.rep_lat, p.rep_lat),
       ST_SetSRID(ST_MakePoint(COALESCE(c.rep_lon, p.rep_lon),
                               COALESCE(c.rep_lat, p.rep_lat)), 4326)
  FROM facilities f JOIN facility_types t ON t.code = f.type_code
  {_GENERALISED_POINT.format(hidden="true")}
 WHERE t.confidential AND COALESCE(c.rep_lon, p.rep_lon) IS NOT NULL
"""  # noqa: S608 - constants only

# The floor's page in id order: one query in the read model's own shape (the planner walks the
# primary key and stops after the page; the view's union would sort every row first).
FLOOR_PAGE_SQL = f"""
SELECT {_COLUMNS.format(hidden="t.confidential")}, {_SHOWN_LON} AS lon, {_SHOWN_LAT} AS lat
  FROM facilities f JOIN facility_types t ON t.code = f.type_code
  {_GENERALISED_POINT.format(hidden="t.confidential")}
 WHERE {_SHOWN_LON} IS NOT NULL
 ORDER BY f.id LIMIT %(limit)s
"""  # noqa: S608 - constants only
# The floor's bbox page: from the view, whose exact branch uses the index on (lon, lat).
FLOOR_BBOX_SQL = f"""
SELECT {", ".join(PROPERTIES)}, lon, lat FROM {VIEW}
 WHERE lon BETWEEN %(minx)s AND %(maxx)s AND lat BETWEEN %(miny)s AND %(maxy)s
 ORDER BY id LIMIT %(limit)s
"""  # noqa: S608 - constants only


def _fmt(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:,.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "–"


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A command line of the bench's own (PostgreSQL, the venv, pygeoapi's CLI)."""
    kwargs.setdefault("check", True)
    return subprocess.run(command, text=True, **kwargs)  # noqa: S603


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql-15)")


@contextlib.contextmanager
def throwaway_postgres(port: int) -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder for the length of the run; yields the
    SQLAlchemy URL of an empty PostGIS database in it. A port already taken (another cluster)
    is replaced by a free one."""
    bindir = postgres_bindir()
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            taken, port = port, free_port()
            print(f"port {taken} is taken: PostgreSQL on {port}")
    folder = Path(tempfile.mkdtemp(prefix="bench_ogc_pg_"))
    data = folder / "data"
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}"

    def run(*cmd: str) -> None:
        _run([*as_postgres, *cmd], capture_output=True)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        pg_ctl = str(bindir / "pg_ctl")
        run(pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start")
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
                ) as conn:
                    conn.execute(f"CREATE DATABASE {DB_NAME}")
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        with psycopg.connect(_dsn(port), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DB_NAME}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def db_port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname={DB_NAME}"


def prepare_database(tmp: Path, url: str, n_facilities: int, seed: int) -> dict[str, Any]:
    """Migrate and load the data set as the map benchmark does, ANALYZE, create the view."""
    import psycopg

    from bench import bench_map

    app = bench_map.build_app(tmp, url)
    info = bench_map.load(app, n_facilities, seed)
    bbox = bench_map.province_bbox(app, "75")
    from registry.extensions import db

    with app.app_context():
        db.engine.dispose()
    with psycopg.connect(_dsn(db_port(url)), autocommit=True) as conn:
        conn.execute("ANALYZE")
        conn.execute(VIEW_SQL.format(view=VIEW))
        info["versions"] = conn.execute(
            "SELECT current_setting('server_version'), postgis_lib_version()"
        ).fetchone()
        info["view_rows"] = conn.execute(f"SELECT count(*) FROM {VIEW}").fetchall()[0][0]  # noqa: S608
    info["bbox"] = bbox
    return info


# --- servers -----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    items: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    ready: bool = False
    note: str = ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the gunicorn we started, and its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_gunicorn(
    server: Server, gunicorn: Path, app_spec: str, workers: int, env: dict[str, str], cwd: Path
) -> Server:
    assert server.log is not None
    command = [
        str(gunicorn),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{server.port}",
        "--timeout",
        "120",
        "--error-logfile",
        str(server.log),
        app_spec,
    ]
    server.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return server


def wait_ready(server: Server, path: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            break
        with contextlib.suppress(OSError, http.client.HTTPException):
            status = fetch(server.port, path).status
            if status == 200:
                server.ready = True
                return
            if status < 500:
                break
        time.sleep(0.5)
    server.note = f"not ready (last status {status}); see {server.log}"


def start_registry(tmp: Path, url: str, workers: int, *, keep: bool = True) -> Server:
    """The registry as configured by default (answers kept per worker, SimpleCache), or with
    nothing kept (NullCache): every answer built from the database."""
    name = "registry" if keep else UNCACHED
    server = Server(name, free_port(), REGISTRY_ITEMS, log=tmp / f"{name}.log")
    env = {
        "DATABASE_URL": url,
        "REGISTRY_REQUIRE_DB": "postgis",
        "REGISTRY_SECRET_KEY": secrets.token_hex(32),
        "REGISTRY_INSTANCE_PATH": str(tmp / "instance"),
        "REGISTRY_TILE_URL": "",
    }
    if not keep:
        env["REGISTRY_CACHE_TYPE"] = "NullCache"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    start_gunicorn(server, gunicorn, "registry:create_app()", workers, env, REPO_ROOT)
    wait_ready(server, server.items + "?limit=1")
    return server


def python_for_pygeoapi() -> str:
    """A Python >= 3.12 (pygeoapi 0.24 requires it): on the PATH, else a pyenv one."""
    for name in ("python3.13", "python3.12"):
        found = shutil.which(name)
        if found:
            with contextlib.suppress(subprocess.CalledProcessError):
                _run([found, "-V"], capture_output=True)  # a pyenv shim may have no version
                return found
    for candidate in sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"))[::-1]:
        return str(candidate)
    raise SystemExit("pygeoapi 0.24 needs Python >= 3.12; none found (or use --no-pygeoapi)")


def ensure_pygeoapi_venv() -> Path:
    """The pygeoapi venv's bin folder, created from bench/pygeoapi/requirements.txt if needed."""
    bindir = PYGEOAPI_VENV / "bin"
    if not (bindir / "pygeoapi").exists() or not (bindir / "gunicorn").exists():
        python = python_for_pygeoapi()
        print(f"creating {PYGEOAPI_VENV} with {python}")
        _run([python, "-m", "venv", str(PYGEOAPI_VENV)])
        (PYGEOAPI_VENV / ".gitignore").write_text("*\n")  # never committed
        requirements = PYGEOAPI_DIR / "requirements.txt"
        _run([str(bindir / "pip"), "install", "-q", "-r", str(requirements)])
    return bindir


def start_pygeoapi(tmp: Path, db_port: int, workers: int) -> Server:
    bindir = ensure_pygeoapi_venv()
    server = Server("pygeoapi", free_port(), PYGEOAPI_ITEMS, log=tmp / "pygeoapi.log")
    template = string.Template((PYGEOAPI_DIR / "config.template.yml").read_text("utf-8"))
    config = tmp / "pygeoapi-config.yml"
    config.write_text(
        template.substitute(
            port=server.port,
            db_port=db_port,
            db_name=DB_NAME,
            table=VIEW,
            id_field="code",
            properties=json.dumps(list(PROPERTIES)),
        ),
        encoding="utf-8",
    )
    openapi = tmp / "pygeoapi-openapi.yml"
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    _run(
        [str(bindir / "pygeoapi"), "openapi", "generate", str(config), "-of", str(openapi)],
        capture_output=True,
        env={**os.environ, **env},
    )
    start_gunicorn(server, bindir / "gunicorn", "pygeoapi.flask_app:APP", workers, env, tmp)
    wait_ready(server, server.items + "?limit=1")
    return server


def pygeoapi_version() -> str:
    code = "import pygeoapi, platform; print(pygeoapi.__version__, platform.python_version())"
    python = str(PYGEOAPI_VENV / "bin" / "python")
    done = _run([python, "-c", code], capture_output=True, check=False)
    version, _sep, under = done.stdout.strip().partition(" ")
    return f"{version} (Python {under})" if under else "?"


# --- client ------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float


def fetch(port: int, path: str, timeout: float = 120.0) -> Response:
    """One GET on a new connection (gunicorn's sync workers close it after each response)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/geo+json"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return Response(response.status, body, time.perf_counter() - started)


def describe(port: int, path: str) -> dict[str, Any]:
    response = fetch(port, path)
    if response.status != 200:
        return {"status": response.status, "error": response.body[:300].decode("utf-8", "replace")}
    document = json.loads(response.body)
    features = document.get("features", [])
    return {
        "status": 200,
        "bytes": len(response.body),
        "returned": len(features),
        "matched": document.get("numberMatched"),
        "ids": [f.get("id") for f in features],
        "properties": sorted(features[0]["properties"]) if features else [],
    }


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up: each worker's first request pays for imports and connections
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def timed_get(port: int, path: str) -> Callable[[], None]:
    def call() -> None:
        response = fetch(port, path)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")

    return call


@dataclass
class LoadResult:
    clients: int
    seconds: float
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds the load generator itself used
    loads: list[float] = field(default_factory=list)  # 1-minute load average at each start

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float | None:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else None
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def load_test(port: int, path: str, clients: int, seconds: float) -> LoadResult:
    """``clients`` threads, each sending the next request as soon as the last one is read,
    until ``seconds`` have passed (a request under way then is finished and counted)."""
    lock = threading.Lock()
    result = LoadResult(clients, seconds)
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            try:
                response = fetch(port, path, timeout=60)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    result.errors[type(exc).__name__] += 1
                continue
            with lock:
                if response.status == 200 and response.body.endswith(b"}"):
                    result.ok += 1
                    result.latencies.append(response.seconds)
                else:
                    result.errors[f"HTTP {response.status}"] += 1

    result.loads.append(os.getloadavg()[0])
    cpu = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu
    return result


# --- the floor ---------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def floor_page(conn: Any, limit: int, bbox: tuple[float, ...] | None) -> bytes:
    """The least a server must do for a page: the SQL page and its GeoJSON, nothing else."""
    if bbox:
        params = dict(zip(("minx", "miny", "maxx", "maxy"), bbox, strict=True))
        rows = conn.execute(FLOOR_BBOX_SQL, {**params, "limit": limit}).fetchall()
    else:
        rows = conn.execute(FLOOR_PAGE_SQL, {"limit": limit}).fetchall()
    n = len(PROPERTIES)
    features = [
        {
            "type": "Feature",
            "id": row[0],
            "geometry": {"type": "Point", "coordinates": [round(row[n], 6), round(row[n + 1], 6)]},
            "properties": {
                key: _json_value(value) for key, value in zip(PROPERTIES, row[:n], strict=True)
            },
        }
        for row in rows
    ]
    document = {"type": "FeatureCollection", "numberReturned": len(features), "features": features}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# --- profile -----------------------------------------------------------------------------------


def profile_registry(tmp: Path, url: str, path: str, runs: int = 20) -> str:
    """The registry's request in this process (Flask test client) under cProfile."""
    from registry import create_app

    app = create_app(
        "config.ProductionConfig",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(16),
            "CACHE_TYPE": "NullCache",  # profile the building of the answer
        },
    )
    app.instance_path = str(tmp / "instance-profile")
    client = app.test_client()
    headers = {"Accept": "application/geo+json"}
    for _ in range(3):
        client.get(path, headers=headers)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(runs):
        client.get(path, headers=headers).get_data()
    profiler.disable()
    per_request = (time.perf_counter() - started) / runs * 1000
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    out.write(f"{path}: {per_request:.1f} ms per request in-process under cProfile\n")
    stats.print_stats(35)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


# --- report ------------------------------------------------------------------------------------


def _met(value: float | None, target: float, *, above: bool = False) -> str:
    if value is None:
        return "–"
    return "yes" if (value >= target if above else value < target) else "NO"


def section(run: dict[str, Any]) -> str:
    m = machine()
    info = run["info"]
    reg, pyg, flo = run["registry"], run["pygeoapi"], run["floor"]
    cold = run[UNCACHED]
    bbox = ", ".join(f"{v:.2f}" for v in info["bbox"])
    pg, postgis = info["versions"]
    lines = [
        START,
        "## OGC API – Features (registry next to pygeoapi)",
        "",
        f"`python -m bench.bench_ogc` on {date.today().isoformat()}: a throwaway PostgreSQL "
        f"{pg} / PostGIS {postgis} cluster (default settings), migrated, with "
        f"{info['facilities']:,} synthetic facilities (bench/synthetic.py, seed {run['seed']}) "
        f"and `ANALYZE`; read anonymously ({info['view_rows']:,} facilities in every status, "
        "confidential types at a representative point, public attributes only). The registry "
        f"(`registry:create_app()`) and pygeoapi {run['pygeoapi_version']} (its PostgreSQL "
        "provider, own venv, on a view of the same table that shows what an anonymous reader "
        f"sees) each behind gunicorn with {run['workers']} sync workers, on loopback, one "
        "server under load at a time. Medians of "
        f"{run['runs']} sequential requests after a warm-up. The floor is the SQL page alone, "
        "read with psycopg and serialised to GeoJSON with `json` in the benchmark's process "
        "(no HTTP, no framework, no count). *Kept* is the registry as configured by default: "
        "each worker keeps JSON answers (Flask-Caching, SimpleCache) under the registry's "
        "generation token, one indexed read per request (registry/freshness.py), so a "
        "repeated request is answered from memory until a commit changes facilities, types or "
        "units; each worker builds its first answer to a request itself. *Nothing kept* is the "
        "same server with `REGISTRY_CACHE_TYPE=NullCache`: every answer built from the "
        "database, as for a request no one asked before.",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, {m['system']}; "
        f"load average {run['load_before']} at the start, {run['load_after']} at the end "
        "(the load generator runs on the same machine).",
        "",
        "| request (median) | registry, kept | registry, nothing kept | pygeoapi | floor "
        "| nothing kept / floor | pygeoapi / nothing kept | target (registry) | met (kept "
        "/ nothing kept) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = (
        ("`items?limit=1000`", "items_ms", "< 100 ms", TARGETS["items_ms"]),
        (
            f"province bbox, `limit=1000` ({reg.get('bbox_returned', '?')} features; "
            f"Đồng Nai pre-2025: {bbox})",
            "bbox_ms",
            "< 30 ms",
            TARGETS["bbox_ms"],
        ),
        ("the same bbox, default page of 100", "bbox100_ms", "", None),
        ("`items`, default page of 100", "page100_ms", "", None),
    )
    for what, key, target, limit in rows:
        met = f"{_met(reg.get(key), limit)} / {_met(cold.get(key), limit)}" if limit else ""
        lines.append(
            f"| {what} | {_fmt(reg.get(key))} | {_fmt(cold.get(key))} | {_fmt(pyg.get(key))} "
            f"| {_fmt(flo.get(key))} | {_ratio(cold.get(key), flo.get(key))} "
            f"| {_ratio(pyg.get(key), cold.get(key))} | {target} | {met} |"
        )
    if run["load_limits"]:
        lines += [
            "",
            f"{run['clients']} concurrent clients for {run['seconds']:.0f} s each (threads "
            "sending the next request as soon as the last one is read; new connection each "
            "time). Targets (registry, default page): no error, p95 < 150 ms, throughput at "
            "least twice pygeoapi's. With 20 clients always waiting on "
            f"{machine()['nproc']} CPUs, a p95 under 150 ms leaves about "
            f"{150 * int(machine()['nproc']) / run['clients']:.0f} ms of CPU per request for the "
            "server, the database and the client together.",
            "",
            "| page | server | requests | errors | throughput | p50 | p95 | client CPU "
            "| load average before each turn |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for limit in run["load_limits"]:
            for name, figures in (
                ("registry, kept", reg),
                ("registry, nothing kept", cold),
                ("pygeoapi", pyg),
            ):
                r = figures.get(f"load{limit}")
                if r is None:
                    continue
                lines.append(
                    f"| `items?limit={limit}` | {name} | {r.ok:,} | {_load(r, 'errors')} "
                    f"| {r.throughput:,.1f} req/s | {_load(r, 'p50')} | {_load(r, 'p95')} "
                    f"| {r.client_cpu / r.seconds:.0%} of a CPU "
                    f"| {', '.join(f'{v:.1f}' for v in r.loads)} |"
                )
        lines += ["", "| ratio / target | value | target | met |", "|---|---|---|---|"]
        for limit in run["load_limits"]:
            p = pyg.get(f"load{limit}")
            main = limit == run["load_limits"][0]
            for label, figures in (("kept", reg), ("nothing kept", cold)):
                r = figures.get(f"load{limit}")
                ratio = r.throughput / p.throughput if r and p and p.throughput else None
                lines.append(
                    f"| throughput registry ({label}) / pygeoapi, `limit={limit}` "
                    f"| {f'{ratio:.2f}' if ratio else '–'} | {'≥ 2' if main else ''} "
                    f"| {_met(ratio, TARGETS['throughput_ratio'], above=True) if main else ''} |"
                )
            for label, figures in (("kept", reg), ("nothing kept", cold)):
                r = figures.get(f"load{limit}")
                if not (main and r):
                    continue
                lines.append(
                    f"| errors ({label}), `limit={limit}` | {sum(r.errors.values())} | 0 "
                    f"| {'yes' if not r.errors else 'NO'} |"
                )
                lines.append(
                    f"| p95 ({label}), `limit={limit}` | {_load(r, 'p95')} | < 150 ms "
                    f"| {_met(r.percentile(95), TARGETS['p95_ms'])} |"
                )
    lines += [
        "",
        f"1,000 items are {reg.get('items_bytes', 0) / 1024:,.0f} KB from the registry, "
        f"{pyg.get('items_bytes', 0) / 1024:,.0f} KB from pygeoapi and "
        f"{flo.get('items_bytes', 0) / 1024:,.0f} KB from the floor. The count of all "
        f"anonymous facilities (numberMatched) alone takes {_fmt(flo.get('count_ms'))} in SQL. "
        "The floor's SQL (bench/bench_ogc.py): for pages, one query in the read model's shape "
        "(`ORDER BY id LIMIT n` on the primary key, the generalised point joined in); for the "
        "bbox, the view, whose exact branch uses the index on (lon, lat).",
    ]
    if run["notes"]:
        lines += ["", *[f"- {note}" for note in run["notes"]]]
    lines.append(END)
    return "\n".join(lines) + "\n"


def _load(result: LoadResult | None, key: str) -> str:
    if result is None:
        return "–"
    if key == "errors":
        total = sum(result.errors.values())
        if not total:
            return "0"
        kinds = ", ".join(f"{k}: {v}" for k, v in result.errors.most_common())
        return f"{total:,} ({kinds})"
    return _fmt(result.percentile(50 if key == "p50" else 95))


# --- run ---------------------------------------------------------------------------------------


def paths(server: Server, bbox: tuple[float, ...]) -> dict[str, str]:
    box = ",".join(f"{v:.4f}" for v in bbox)
    return {
        "items_ms": f"{server.items}?f=json&limit=1000",
        "bbox_ms": f"{server.items}?f=json&limit=1000&bbox={box}",
        "bbox100_ms": f"{server.items}?f=json&limit=100&bbox={box}",
        "page100_ms": f"{server.items}?f=json&limit=100",
    }


def check(server: Server, bbox: tuple[float, ...], out: dict[str, Any]) -> None:
    """What the server answers (sizes, counts, ids, properties), before anything is timed."""
    urls = paths(server, bbox)
    first = describe(server.port, urls["items_ms"])
    if first["status"] != 200:
        server.ready = False
        server.note = f"items answered {first['status']}: {first.get('error')}"
        return
    out.update(items_bytes=first["bytes"], matched=first["matched"], ids=first["ids"])
    out["properties"] = first["properties"]
    out["bbox_returned"] = describe(server.port, urls["bbox_ms"])["returned"]


def medians(
    servers: list[Server], db_port: int, runs: int, bbox: tuple[float, ...], run: dict[str, Any]
) -> None:
    """Median of each request on each server and of the floor, taken in turns (one request
    of each per round) so that other work on the machine weighs on all of them alike."""
    import psycopg

    count_sql = f"SELECT count(*) FROM {VIEW}"  # noqa: S608
    times: dict[tuple[str, str], list[float]] = {}
    with psycopg.connect(_dsn(db_port)) as conn:
        run["floor"]["items_bytes"] = len(floor_page(conn, 1000, None))
        calls: list[tuple[str, str, Callable[[], Any]]] = [
            ("floor", "items_ms", lambda: floor_page(conn, 1000, None)),
            ("floor", "bbox_ms", lambda: floor_page(conn, 1000, bbox)),
            ("floor", "page100_ms", lambda: floor_page(conn, 100, None)),
            ("floor", "count_ms", lambda: conn.execute(count_sql).fetchall()),
        ]
        for server in servers:
            calls += [
                (server.name, key, timed_get(server.port, path))
                for key, path in paths(server, bbox).items()
            ]
        for _ in range(3):  # warm-up: every worker's first requests pay for imports, caches
            for *_names, call in calls:
                call()
        for _ in range(runs):
            for name, key, call in calls:
                started = time.perf_counter()
                call()
                times.setdefault((name, key), []).append(time.perf_counter() - started)
    for (name, key), values in times.items():
        run[name][key] = statistics.median(values) * 1000


def load_tests(
    servers: list[Server], limit: int, clients: int, seconds: float, slices: int
) -> dict[str, LoadResult]:
    """Each server under ``clients`` clients for ``seconds`` in all, in ``slices`` turns
    (registry, pygeoapi, registry, ...) so that both meet the same background load."""
    results: dict[str, LoadResult] = {}
    for _ in range(slices):
        for server in servers:
            path = f"{server.items}?f=json&limit={limit}"
            part = load_test(server.port, path, clients, seconds / slices)
            total = results.setdefault(server.name, LoadResult(clients, 0.0))
            total.ok += part.ok
            total.errors.update(part.errors)
            total.latencies += part.latencies
            total.seconds += part.seconds
            total.client_cpu += part.client_cpu
            total.loads += part.loads
    return results


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="0: no load test")
    parser.add_argument("--slices", type=int, default=4, help="turns each load test is split into")
    parser.add_argument(
        "--load-limits", default="100,1000", help="page sizes of the load tests, comma-separated"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers for each server (default 2 × CPUs + 1, gunicorn's advice)",
    )
    parser.add_argument("--pg-port", type=int, default=55433)
    parser.add_argument("--no-pygeoapi", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the registry's items")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    load_limits = [int(v) for v in args.load_limits.split(",") if v]

    run: dict[str, Any] = {
        "seed": args.seed,
        "runs": args.runs,
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "load_limits": load_limits if args.seconds > 0 else [],
        "load_before": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "registry": {},
        UNCACHED: {},
        "pygeoapi": {},
        "floor": {},
        "notes": [],
        "pygeoapi_version": "–",
    }
    servers: list[Server] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench_ogc_") as folder,
        throwaway_postgres(args.pg_port) as url,
    ):
        tmp = Path(folder)
        try:
            started = time.perf_counter()
            info = prepare_database(tmp, url, args.facilities, args.seed)
            run["info"] = info
            print(
                f"database ready in {time.perf_counter() - started:.1f} s: "
                f"{info['facilities']:,} facilities, {info['view_rows']:,} shown to anonymous"
            )
            registry = start_registry(tmp, url, args.workers)
            servers.append(registry)
            servers.append(start_registry(tmp, url, args.workers, keep=False))
            if not args.no_pygeoapi:
                pygeoapi = start_pygeoapi(tmp, db_port(url), args.workers)
                servers.append(pygeoapi)
                run["pygeoapi_version"] = pygeoapi_version()
            bbox = info["bbox"]
            for server in servers:
                if server.ready:
                    check(server, bbox, run[server.name])
                if server.note:
                    print(f"{server.name}: {server.note}")
                    run["notes"].append(f"{server.name}: {server.note}")
            ready = [server for server in servers if server.ready]
            medians(ready, db_port(url), args.runs, bbox, run)
            for name in ("registry", UNCACHED, "pygeoapi", "floor"):
                figures = run[name]
                print(
                    f"{name:17} items?limit=1000 {_fmt(figures.get('items_ms'))}, "
                    f"bbox {_fmt(figures.get('bbox_ms'))}, "
                    f"page of 100 {_fmt(figures.get('page100_ms'))}"
                )
            for limit in run["load_limits"]:
                results = load_tests(ready, limit, args.clients, args.seconds, args.slices)
                for name, result in results.items():
                    run[name][f"load{limit}"] = result
                    print(
                        f"{name:17} {args.clients} clients limit={limit}: "
                        f"{result.throughput:.1f} req/s, p50 {_fmt(result.percentile(50))}, "
                        f"p95 {_fmt(result.percentile(95))}, errors {dict(result.errors)}"
                    )
            run["notes"] += compare(run)
            if args.profile and registry.ready:
                print(profile_registry(tmp, url, f"{REGISTRY_ITEMS}?f=json&limit=1000"))
        finally:
            for server in servers:
                server.stop()
            from registry.extensions import db

            with contextlib.suppress(Exception):
                db.engine.dispose()
    run["load_after"] = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    text = section(run)
    if not args.no_write:
        write_section(text, START, END)
        print(f"updated {BENCHMARKS_FILE}")
    return text


def compare(run: dict[str, Any]) -> list[str]:
    """Notes on whether both servers answered with the same facilities."""
    reg, pyg = run["registry"], run["pygeoapi"]
    notes = []
    if reg.get("matched") is not None and pyg.get("matched") is not None:
        same = reg["matched"] == pyg["matched"]
        notes.append(
            "both servers report the same numberMatched"
            if same
            else f"numberMatched differs: registry {reg['matched']}, pygeoapi {pyg['matched']}"
        )
    if reg.get("bbox_returned") is not None and pyg.get("bbox_returned") is not None:
        notes.append(
            f"province bbox: registry {reg['bbox_returned']} features, "
            f"pygeoapi {pyg['bbox_returned']}"
        )
    if reg.get("ids") and pyg.get("ids"):
        shared = len(set(reg["ids"]) & set(pyg["ids"]))
        notes.append(
            f"first page of 1,000: {shared:,} facilities in both (pygeoapi has no default "
            "order; the registry's is by id)"
        )
    if reg.get("properties") and pyg.get("properties"):
        only_reg = sorted(set(reg["properties"]) - set(pyg["properties"]))
        only_pyg = sorted(set(pyg["properties"]) - set(reg["properties"]))
        if only_reg or only_pyg:
            notes.append(f"properties only in the registry {only_reg}, only in pygeoapi {only_pyg}")
    return notes


if __name__ == "__main__":
    main()
