"""Engine set-up for SpatiaLite and PostGIS, and the few spatial SQL pieces that differ by dialect.

Everything dialect-specific lives here; the rest of the code asks this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

# --- when a SQLite transaction takes the write lock ----------------------------------------------
#
# In WAL mode a deferred ``BEGIN`` reads a snapshot; its first write must upgrade to the write
# lock, and SQLite refuses the upgrade at once ("database is locked", SQLITE_BUSY_SNAPSHOT) when
# another connection committed since the snapshot: the busy timeout never applies, so editors
# saving at the same time lose work. A transaction that may write therefore begins with
# ``BEGIN IMMEDIATE``, which waits (up to the busy timeout) for the lock *before* reading.
# Reads (GET, HEAD, OPTIONS requests) keep a deferred ``BEGIN`` so they never wait for writers;
# the few of them that write (an audited download) do it inside ``writing``. Outside requests
# (commands, jobs) every transaction may write, so the default is immediate. PostgreSQL needs
# none of this: its rows lock on write and its optimistic version checks do the rest.

#: How long a SQLite connection waits for another's write lock before "database is locked".
BUSY_TIMEOUT_S = 30

_IMMEDIATE: ContextVar[bool] = ContextVar("registry_sqlite_begin_immediate", default=True)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def begin_for_request(method: str) -> None:
    """Set the transaction mode of a request from its method (``init_app``)."""
    _IMMEDIATE.set(method.upper() not in READ_METHODS)


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """Write from a read request: end its read transaction (nothing is pending in a read), run
    the block in a transaction that takes the write lock first, and commit it."""
    session.commit()
    token = _IMMEDIATE.set(True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _IMMEDIATE.reset(token)


def init_app(app: Any) -> None:
    from flask import request

    @app.before_request
    def _transaction_mode() -> None:
        begin_for_request(request.method)


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_dbapi() -> Any:
    """A DB-API module that can load extensions: pysqlite3 when the stdlib one cannot."""
    import sqlite3

    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    import pysqlite3.dbapi2 as pysqlite

    return pysqlite


def engine_options(url: str) -> dict[str, Any]:
    """Options for ``create_engine`` (``SQLALCHEMY_ENGINE_OPTIONS``) for this URL."""
    # JSON columns (capacity by group, services, target groups) are read with orjson: a page
    # of the open interfaces holds thousands of them, and the standard library's parser was
    # a fifth of such a request.
    json_options = {"json_deserializer": orjson.loads}
    if is_sqlite_url(url):
        os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
        return {
            "module": sqlite_dbapi(),
            "connect_args": {"timeout": BUSY_TIMEOUT_S},
            **json_options,
        }
    return {"pool_pre_ping": True, **json_options}


#: An import of at least this many rows refreshes the statistics of the facilities table.
BULK_ROWS = 500


def analyze(session: Session, tables: tuple[str, ...] = ()) -> None:
    """Refresh the query planner's statistics after a bulk load (PostgreSQL's ANALYZE, and
    SQLite's, which feeds its planner the same way), of some tables or of all. Commits what
    the session holds first. Without it a fresh PostGIS database plans the map's query as if
    the tables were empty: 13 times slower."""
    session.commit()
    for table in tables or ("",):
        session.execute(text(f"ANALYZE {table}".strip()))
    session.commit()


def configure_engine(engine: Engine) -> None:
    """Attach per-connection set-up: SpatiaLite, WAL, foreign keys and real transactions."""
    if engine.dialect.name != "sqlite":
        return
    from geoalchemy2 import load_spatialite

    from registry import text as text_module

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN so SAVEPOINTs and rollbacks behave.
        dbapi_conn.isolation_level = None
        # One transaction and only the WGS 84 family of SRIDs: seconds instead of minutes on a
        # new file. Reprojection happens in Python (pyproj), so no other SRID is needed here.
        load_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")
        cur = dbapi_conn.cursor()
        # Again after loading SpatiaLite, which leaves the driver's timeout at its 5 s default.
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()
        # ORDER BY name COLLATE "vi-x-icu": the Vietnamese alphabet, as PostgreSQL's ICU
        # collation of the same name orders it.
        dbapi_conn.create_collation(text_module.SQL_COLLATION, text_module.compare)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


def spatial_version(conn: Connection) -> str:
    """The spatial extension's version string: SpatiaLite or PostGIS."""
    if conn.dialect.name == "sqlite":
        return "SpatiaLite " + str(conn.execute(text("SELECT spatialite_version()")).scalar())
    return "PostGIS " + str(conn.execute(text("SELECT postgis_lib_version()")).scalar())


def engine_label(conn: Connection) -> str:
    if conn.dialect.name == "sqlite":
        return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar())
    return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar())


def spatial_system_tables(dialect: str) -> set[str]:
    """Tables the spatial extension owns; migrations must neither create nor drop them."""
    if dialect == "sqlite":
        return {
            "spatial_ref_sys",
            "spatial_ref_sys_aux",
            "spatialite_history",
            "sql_statements_log",
            "geometry_columns",
            "geometry_columns_auth",
            "geometry_columns_statistics",
            "geometry_columns_field_infos",
            "geometry_columns_time",
            "views_geometry_columns",
            "views_geometry_columns_auth",
            "views_geometry_columns_statistics",
            "views_geometry_columns_field_infos",
            "virts_geometry_columns",
            "virts_geometry_columns_auth",
            "virts_geometry_columns_statistics",
            "virts_geometry_columns_field_infos",
            "vector_layers",
            "vector_layers_auth",
            "vector_layers_statistics",
            "vector_layers_field_infos",
            "data_licenses",
            "KNN",
            "KNN2",
            "SpatialIndex",
            "ElementaryGeometries",
            "SE_external_graphics",
            "SE_fonts",
            "SE_raster_styled_layers",
            "SE_vector_styled_layers",
            "rl2map_configurations",
            "topologies",
            "networks",
            "raster_coverages",
            "raster_coverages_keyword",
            "raster_coverages_srid",
            "vector_coverages",
            "vector_coverages_keyword",
            "vector_coverages_srid",
            "wms_getcapabilities",
            "wms_getmap",
            "wms_ref_sys",
            "wms_settings",
            "iso_metadata",
            "iso_metadata_reference",
            "stored_procedures",
            "stored_variables",
            "sqlite_sequence",
        }
    return {"spatial_ref_sys", "topology", "layer"}


def migration_include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: leave the spatial extensions' own tables and indexes alone."""
    from geoalchemy2 import alembic_helpers

    if (
        type_ == "table"
        and name
        and (
            name in spatial_system_tables("sqlite") | spatial_system_tables("postgresql")
            or name.startswith("idx_")
            or name == "alembic_version"
        )
    ):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))
