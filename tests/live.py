"""A real HTTP server for an app in a background thread (werkzeug, one thread per request),
for the tests that need real connections: the browser tests and the concurrency tests; and
the editors those tests log in as."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from registry.extensions import db


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # one line per request would bury the test output


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL. On exit the server stops
    and the app's connections are closed."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def seed_editors(session: Any, count: int, *, password: str, username: str) -> list[int]:
    """Reference data, and ``count`` planners of Đồng Nai (``{username}{n}``) each with a
    centre of their own, alike on purpose (their duplicate warning is confirmed); returns
    the centres' ids in the editors' order."""
    from registry.auth.services import create_user
    from registry.facilities import services
    from registry.facilities.models import Ownership, Status
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all

    load_all(session, DEFAULT_DATA_DIR)
    services.load_types(session)
    ids = []
    for n in range(count):
        create_user(
            session,
            username=f"{username}{n}",
            password=password,
            role="planner",
            province_code="75",
            full_name=f"Editor {n}",
        )
        facility, _ = services.register_facility(
            session,
            services.FacilityInput(
                name=f"Cơ sở bảo trợ xã hội số {n}",
                type_code="ELDERLY",
                ownership=Ownership.PUBLIC,
                province_code="75",
                lon=106.80 + n * 0.01,
                lat=10.95,
                status=Status.OPERATING,
                design_capacity=100,
                residents=0,
            ),
            actor_id=None,
            confirm_duplicates=True,
        )
        ids.append(facility.id)
    return ids
