"""kill -9 in the middle of sustained concurrent writes loses no acknowledged write (issue 12,
item 6), on the suite's engine (a SQLite file in WAL mode, or a fresh PostGIS database).

The registry runs as a real server process (gunicorn, two workers of four threads) on its own
database. Editors log in and, through the real forms (CSRF included), register new facilities
and edit their own one without pause; every acknowledged save (a 302 to the record) is noted
with what it wrote. In the middle of that the whole process group gets SIGKILL: no request
finishes, no teardown, no atexit. Then SQLite's integrity check must say ``ok``, a new server
starts on the same database, and every acknowledged write must be in what it serves.

What this catches: a save acknowledged before its commit is durable (a redirect sent before
``commit()``, a commit deferred to a teardown or a background thread, a write kept in a
process's memory or cache, a transaction left open on a pooled connection, an autocommit
that never happened), a journal mode or pragma that loses committed transactions when the
process dies, and a database file left corrupt by a killed writer. What it cannot catch: an
operating-system crash or power loss, which a killed process does not simulate (SQLite's
``synchronous = NORMAL`` in WAL mode may lose the last commits then, never corrupt).

A request in flight at the kill may or may not have committed; either is right, so such a
value is accepted beside the last acknowledged one, never instead of a lost one.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade

from registry import create_app
from registry.extensions import db
from tests.conftest import csrf_token_from, fresh_database
from tests.facilities.test_views import _form_data
from tests.live import seed_editors

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "crash durability correct horse"
EDITORS = 4
MIN_ACKS = 20  # acknowledged saves before the kill may come
KILL_AFTER_S = (1.5, 4.0)  # then a random moment in this window of sustained writing
BOOT_TIMEOUT_S = 90


@dataclass
class Editor:
    n: int
    facility_id: int
    facility: object
    created: dict[int, str] = field(default_factory=dict)  # id → name, acknowledged
    sent_names: set[str] = field(default_factory=set)
    acked_residents: int | None = None  # the last acknowledged edit
    unsure_residents: set[int] = field(default_factory=set)  # sent, never answered
    statuses: list[int] = field(default_factory=list)
    cut_off: bool = False  # the kill broke one of its requests


def _seed(session) -> list[tuple[int, object]]:
    """The editors and their centres, each centre read back and detached for its form."""
    from registry.facilities.models import Facility

    ids = seed_editors(session, EDITORS, password=PASSWORD, username="durable")
    session.commit()
    facilities = []
    for fid in ids:
        facility = session.get(Facility, fid)
        session.expunge(facility)
        facilities.append((fid, facility))
    return facilities


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def _server(url: str, tmp: Path, name: str) -> Iterator[Server]:
    """gunicorn in its own process group (so SIGKILL reaches master and workers at once)."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "REGISTRY_CONFIG": "config.TestingConfig",
            "REGISTRY_INSTANCE_PATH": str(tmp / "instance"),
            "REGISTRY_UPLOAD_FOLDER": str(tmp / "uploads"),
            "REGISTRY_LOG_LEVEL": "WARNING",
            "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
            "PYTHONPATH": str(ROOT),
            # Both servers count into one directory; gunicorn_conf.py wipes it at each start.
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        }
    )
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and server
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config=gunicorn_conf.py",
                "--preload",
                "--workers=2",
                "--threads=4",
                f"--bind=127.0.0.1:{port}",
                f"--chdir={ROOT}",
                "--timeout=120",
                "--no-control-socket",  # one per user by default: servers would share it
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, "server exited:\n" + server.tail()
        try:
            if requests.get(f"{server.url}/readyz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail("server not ready:\n" + server.tail())


def _login(url: str, n: int) -> tuple[requests.Session, str]:
    """A signed-in editor and the CSRF token of their session, from the real pages."""
    s = requests.Session()
    token = csrf_token_from(_Page(s.get(f"{url}/auth/login", timeout=60)))
    r = s.post(
        f"{url}/auth/login",
        data={"username": f"durable{n}", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    assert r.status_code == 302, (n, r.status_code)
    return s, csrf_token_from(_Page(s.get(f"{url}/facilities/new", timeout=60)))


class _Page:
    """What ``csrf_token_from`` reads (a test client's response) from a requests response."""

    def __init__(self, response: requests.Response) -> None:
        assert response.status_code == 200, response.status_code
        self.data = response.content


def _write_until_stopped(url: str, editor: Editor, stop: threading.Event) -> None:
    session, token = _login(url, editor.n)
    facility = editor.facility
    version = facility.version
    k = 0
    while not stop.is_set():
        k += 1
        try:
            if k % 2:
                name = f"Cơ sở độ bền {editor.n}-{k}"
                editor.sent_names.add(name)
                r = session.post(
                    f"{url}/facilities/new",
                    data={
                        "csrf_token": token,
                        "name": name,
                        "type_code": "ELDERLY",
                        "ownership": "public",
                        "province_code": "75",
                        "location_mode": "latlon",
                        "lat": f"{10.93 + (k % 40) * 0.001:.6f}",
                        "lon": f"{106.82 + editor.n * 0.01:.6f}",
                        "status": "planned",
                        "opened_on": "",
                        "confirm_duplicates": "y",
                    },
                    allow_redirects=False,
                    timeout=60,
                )
                if r.status_code == 302:
                    match = re.search(r"/facilities/(\d+)$", r.headers["Location"])
                    assert match, r.headers["Location"]
                    editor.created[int(match.group(1))] = name
            else:
                residents = k
                editor.unsure_residents.add(residents)
                data = _form_data(
                    facility, residents=residents, version=version, confirm_duplicates="y"
                )
                r = session.post(
                    f"{url}/facilities/{editor.facility_id}/edit",
                    data={"csrf_token": token, **data},
                    allow_redirects=False,
                    timeout=60,
                )
                if r.status_code == 302:
                    editor.unsure_residents.clear()
                    editor.acked_residents = residents
                    version += 1
            editor.statuses.append(r.status_code)
        except requests.RequestException:
            editor.cut_off = True  # the kill: this request's fate is unknown
            return


def _served_facilities(url: str) -> dict[str, str]:
    """Name → residents of every facility, as the restarted server's CSV export gives them."""
    session, _ = _login(url, 0)
    r = session.get(f"{url}/facilities/export.csv", timeout=120)
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    from registry.facilities.imports.columns import COLUMNS

    headers = {column.field: column.header for column in COLUMNS}
    name, residents = (rows[0].index(headers[key]) for key in ("name", "residents"))
    return {row[name]: row[residents] for row in rows[1:]}


def _scrape_after_livez(url: str, requests_made: int) -> str:
    for _ in range(requests_made):
        with requests.Session() as fresh:  # a new connection each: either worker may take it
            assert fresh.get(f"{url}/livez", timeout=30).status_code == 200
    return requests.get(f"{url}/metrics", timeout=30).text


def _count(scrape: str, endpoint: str, method: str, status: int) -> float:
    match = re.search(
        r"registry_http_request_duration_seconds_count\{"
        rf'endpoint="{re.escape(endpoint)}",method="{method}",status="{status}"\}} (\S+)',
        scrape,
    )
    return float(match.group(1)) if match else 0.0


def _integrity_check(url: str) -> str:
    from registry.database import sqlite_dbapi

    conn = sqlite_dbapi().connect(url.removeprefix("sqlite:///"))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_kill_9_during_concurrent_writes_loses_no_acknowledged_write(tmp_path):
    started = time.monotonic()
    with fresh_database(tmp_path / "durable.sqlite") as url:
        app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": url})
        app.instance_path = str(tmp_path / "instance")
        with app.app_context():
            upgrade()
            # The server boots (imports the app) while the reference data loads; it waits for
            # /readyz, which answers once the schema is at head, and writing waits for the seed.
            with _server(url, tmp_path, "first") as first:
                seeded = _seed(db.session)
                db.session.remove()
                db.engine.dispose()
                _wait_ready(first)
                editors = [Editor(n, fid, f) for n, (fid, f) in enumerate(seeded)]
                stop = threading.Event()
                threads = [
                    threading.Thread(target=_write_until_stopped, args=(first.url, e, stop))
                    for e in editors
                ]
                for t in threads:
                    t.start()
                deadline = time.monotonic() + 60
                while sum(len(e.statuses) for e in editors) < MIN_ACKS:
                    assert time.monotonic() < deadline, "too few saves:\n" + first.tail()
                    assert all(t.is_alive() for t in threads), first.tail()
                    time.sleep(0.05)
                time.sleep(random.uniform(*KILL_AFTER_S))  # in the middle of sustained writing
                os.killpg(first.proc.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                first.proc.wait(timeout=30)
                stop.set()
                for t in threads:
                    t.join(timeout=90)
                assert not any(t.is_alive() for t in threads)

            for e in editors:
                assert set(e.statuses) <= {302}, (e.n, e.statuses, first.tail())
            assert any(e.cut_off for e in editors), "the kill broke no request: not mid-write"
            acked = sum(len(e.created) for e in editors)
            assert acked >= MIN_ACKS // 4, acked
            assert all(e.acked_residents is not None for e in editors)

            if url.startswith("sqlite"):
                assert _integrity_check(url) == "ok"

            with _server(url, tmp_path, "second") as second:
                _wait_ready(second)
                served = _served_facilities(second.url)
                scrape = _scrape_after_livez(second.url, 10)
        for e in editors:
            for fid, name in e.created.items():
                assert name in served, f"acknowledged facility {fid} {name!r} lost"
            assert {n for n in served if n.startswith(f"Cơ sở độ bền {e.n}-")} <= e.sent_names
            residents = int(served[e.facility.name])
            allowed = {e.acked_residents, *e.unsure_residents}
            assert residents in allowed, (e.n, residents, e.acked_residents, e.unsure_residents)
        with app.app_context():
            db.engine.dispose()
    # The production set-up's metrics: ten requests spread over two workers add up in one
    # scrape, and nothing of the killed server's counts is left (it had four logins).
    assert _count(scrape, "main.livez", "GET", 200) == 10
    assert _count(scrape, "auth.login", "POST", 302) == 1
    print(  # the figures, with -s
        f"{acked} creates and {sum(len(e.statuses) for e in editors) - acked} edits"
        f" acknowledged; killed at {killed_at - started:.1f} s; total"
        f" {time.monotonic() - started:.1f} s"
    )
