"""Editors saving at the same time, over real HTTP on a threaded server with its own database
(a SQLite file in WAL mode, or a PostGIS database): no save ends in a server error, none is
lost, and two editors of one record never overwrite each other silently.

On SQLite a deferred ``BEGIN`` followed by reads and a write fails at once ("database is
locked") when another connection committed in between: the busy timeout never applies. Write
requests therefore begin their transaction immediately (``registry.database``)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from flask_migrate import upgrade

from registry import create_app
from registry.extensions import db
from tests.conftest import fresh_database
from tests.facilities.test_views import _form_data
from tests.live import seed_editors, serving

PASSWORD = "concurrency correct horse battery"
EDITORS = 8
SECONDS = 6.0


@dataclass
class Live:
    url: str
    app: Any
    facilities: list[int] = field(default_factory=list)
    shared: int = 0


def _seed(session) -> tuple[list[int], int]:
    ids = seed_editors(session, EDITORS + 1, password=PASSWORD, username="editor")
    return ids[:EDITORS], ids[EDITORS]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("concurrency")
    with fresh_database(tmp / "concurrency.sqlite") as url:
        app = create_app(
            "config.TestingConfig",
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "WTF_CSRF_ENABLED": False,
                "UPLOAD_FOLDER": str(tmp / "uploads"),
            },
        )
        app.instance_path = str(tmp / "instance")
        with app.app_context():
            upgrade()
            own, shared = _seed(db.session)
            db.session.commit()
            db.session.remove()
        with serving(app) as base:
            yield Live(base, app, own, shared)


def _login(live: Live, n: int) -> requests.Session:
    s = requests.Session()
    r = s.post(
        f"{live.url}/auth/login",
        data={"username": f"editor{n}", "password": PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    assert r.status_code == 302, (n, r.status_code)
    return s


def _facility(live: Live, facility_id: int) -> Any:
    from registry.facilities.models import Facility

    with live.app.app_context():
        facility = db.session.get(Facility, facility_id)
        db.session.expunge(facility)
        db.session.remove()
    return facility


def _edit_data(facility: Any, residents: int, version: int) -> dict[str, Any]:
    # The seeded centres are alike on purpose: their duplicate warning is confirmed.
    return _form_data(facility, residents=residents, version=version, confirm_duplicates="y")


def _run(workers: list[threading.Thread]) -> None:
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=SECONDS + 120)
    assert not any(w.is_alive() for w in workers)


def test_eight_editors_saving_without_pause_lose_nothing_and_see_no_error(live):
    statuses: Counter[int] = Counter()
    acknowledged: dict[int, tuple[int, int]] = {}  # facility → (saves, last residents)
    lock = threading.Lock()

    def editor(n: int) -> None:
        session = _login(live, n)
        fid = live.facilities[n]
        facility = _facility(live, fid)
        version, saves = facility.version, 0
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            residents = saves + 1
            r = session.post(
                f"{live.url}/facilities/{fid}/edit",
                data=_edit_data(facility, residents, version),
                allow_redirects=False,
                timeout=60,
            )
            with lock:
                statuses[r.status_code] += 1
            if r.status_code == 302:
                saves += 1
                version += 1
            # a reader between saves, as an editor does (the detail page after saving)
            page = session.get(f"{live.url}/facilities/{fid}", timeout=60)
            with lock:
                statuses[page.status_code] += 1
        with lock:
            acknowledged[fid] = (saves, saves)

    _run([threading.Thread(target=editor, args=(n,)) for n in range(EDITORS)])
    assert set(statuses) <= {200, 302}, statuses
    for fid, (saves, residents) in acknowledged.items():
        assert saves > 0
        facility = _facility(live, fid)
        assert facility.residents == residents
        assert facility.version == 1 + saves, (fid, facility.version, saves)


def test_editors_of_one_record_get_a_conflict_never_a_silent_overwrite(live):
    fid = live.shared
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    saved: list[int] = []

    def editor(n: int) -> None:
        session = _login(live, n)
        deadline = time.monotonic() + SECONDS / 2
        tries = 0
        while time.monotonic() < deadline:
            facility = _facility(live, fid)  # what the editor's form was opened on
            tries += 1
            value = n * 1000 + tries
            r = session.post(
                f"{live.url}/facilities/{fid}/edit",
                data=_edit_data(facility, value, facility.version),
                allow_redirects=False,
                timeout=60,
            )
            with lock:
                statuses[r.status_code] += 1
                if r.status_code == 302:
                    saved.append(value)

    before = _facility(live, fid).version
    _run([threading.Thread(target=editor, args=(n,)) for n in range(4)])
    assert set(statuses) <= {302, 409}, statuses
    facility = _facility(live, fid)
    assert facility.version == before + len(saved)
    assert facility.residents in saved  # one editor's whole save, the others refused
