"""What operators see of a running registry: JSON log lines that carry a request id, one
access line per request, Prometheus metrics, and the readiness check of ``/readyz``.

The request id is taken from a safe incoming ``X-Request-ID`` (so a proxy's id follows the
request through) or drawn afresh, returned in the response's header, and stamped on every log
record made while the request runs, from any logger (a log record factory reads a context
variable). The access line names the route's endpoint, never the path or the query string:
paths carry tracking tokens (``/licensing/track/<token>``) and query strings anything.

Metrics are prometheus_client's. With several gunicorn workers each process counts for itself;
set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, wiped at every start) before gunicorn
starts and use ``gunicorn_conf.py``, and a scrape then adds up every worker's figures
(docs/OPERATIONS.md).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

REQUEST_ID_HEADER = "X-Request-ID"
#: What an incoming id may be: letters, digits and ``._:-``, up to 128 characters (a UUID, a
#: proxy's hex id). Anything else (spaces, quotes, control characters, a megabyte) is
#: replaced, so a caller cannot write into the logs.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_ENVIRON_ID = "registry.request_id"
_ENVIRON_START = "registry.request_start"

_request_id: ContextVar[str | None] = ContextVar("registry_request_id", default=None)

access_log = logging.getLogger("registry.access")

# --- logs ----------------------------------------------------------------------------------------


def current_request_id() -> str | None:
    return _request_id.get()


def _install_record_factory() -> None:
    """Every log record gets ``request_id`` (None outside a request), whichever logger made
    it: a filter on one logger would miss the records of its children and of libraries."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "registry_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get()
        return record

    factory.registry_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_STANDARD_ATTRIBUTES = frozenset(
    set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, and the
    fields passed in ``extra`` (the access line's method, endpoint, status...)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test's capture, gunicorn's)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def init_logging(app: Flask) -> None:
    """The ``registry`` logger (``app.logger`` and every module's logger) writes to stderr
    in ``LOG_FORMAT`` ("json" or "text") from ``LOG_LEVEL`` up. Once per process: a second
    app reconfigures the same handler."""
    _install_record_factory()
    logger = logging.getLogger("registry")
    logger.setLevel(app.config["LOG_LEVEL"])
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        logger.addHandler(handler)
    fmt = app.config["LOG_FORMAT"]
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))


# --- metrics -------------------------------------------------------------------------------------

# Labels come from bounded sets only: the route's endpoint name (or "unmatched"), a known
# method (or "OTHER") and the status code. A raw path would make a series per facility.
REQUEST_SECONDS = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer a request, by route endpoint, method and status.",
    ("endpoint", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
POOL_CHECKED_OUT = Gauge(
    "registry_db_pool_checked_out",
    "Database connections in use (SQLAlchemy pool), summed over live workers.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "registry_db_pool_size",
    "Connections the SQLAlchemy pool keeps, summed over live workers.",
    multiprocess_mode="livesum",
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _record_pool() -> None:
    from registry.extensions import db

    pool = db.engine.pool
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if callable(checked_out) and callable(size):  # QueuePool; a NullPool keeps nothing
        POOL_CHECKED_OUT.set(checked_out())
        POOL_SIZE.set(size())


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: this process's, or with
    ``PROMETHEUS_MULTIPROC_DIR`` every worker's added up."""
    _record_pool()
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def may_scrape(req: Request, token: str | None) -> bool:
    """With ``METRICS_TOKEN`` set, only a caller that sends it as a bearer token; without,
    only a caller on this machine that came straight, not through a proxy (behind nginx on
    the same host every visitor arrives from loopback, with a forwarding header)."""
    if token:
        scheme, _, given = req.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    if "X-Forwarded-For" in req.headers or "Forwarded" in req.headers:
        return False
    try:
        return ipaddress.ip_address(req.remote_addr or "").is_loopback
    except ValueError:
        return False


# --- readiness -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def migration_heads(directory: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def not_ready_because() -> str | None:
    """Why the app cannot serve yet ("database", "migrations"), or None when it can: the
    database answers a cheap query on a connection of its own (never the request's session)
    and its schema is at the migrations' head."""
    from registry import MIGRATIONS_DIR
    from registry.extensions import db

    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                current = frozenset(rows)
            except Exception:  # no alembic_version: never migrated
                current = frozenset()
    except Exception as exc:
        current_app.logger.warning("readiness: database unreachable: %s", exc)
        return "database"
    if current != migration_heads(MIGRATIONS_DIR):
        current_app.logger.warning("readiness: schema at %s, not the head", sorted(current))
        return "migrations"
    return None


# --- per request ---------------------------------------------------------------------------------


def _begin() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    rid = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    request.environ[_ENVIRON_ID] = rid
    request.environ[_ENVIRON_START] = time.perf_counter()
    _request_id.set(rid)


def _user_id() -> int | None:
    # Only a user this request already loaded: the access line never costs a query.
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def _finish(response: Response) -> Response:
    rid = request.environ.get(_ENVIRON_ID)
    start = request.environ.get(_ENVIRON_START)
    if rid is None or start is None:  # a request this module never saw begin
        return response
    response.headers[REQUEST_ID_HEADER] = rid
    seconds = time.perf_counter() - start
    endpoint = request.endpoint or "unmatched"
    method = request.method if request.method in _METHODS else "OTHER"
    REQUEST_SECONDS.labels(endpoint, method, str(response.status_code)).observe(seconds)
    _record_pool()
    if current_app.config["ACCESS_LOG"]:
        access_log.info(
            "%s %s %s",
            method,
            endpoint,
            response.status_code,
            extra={
                "method": method,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": _user_id(),
            },
        )
    return response


def _end(_exc: BaseException | None) -> None:
    _request_id.set(None)


def init_app(app: Flask) -> None:
    """Before every other ``before_request`` (create_app calls it first), so that a request
    refused early is still timed, logged and given its id."""
    init_logging(app)
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_end)
