"""Backups that prove themselves: ``flask backup create``, ``verify`` and ``restore``.

A backup is one file and its manifest (``<file>.manifest.json``): per table of the registry,
the row count and a SHA-256 over every row in primary-key order, geometry read as WKB, so a
restore can show it brought back exactly what was saved.

- **SQLite / SpatiaLite**: SQLite's online backup API copies the live database page by page
  while the app keeps serving (readers and writers wait at most for one step); the manifest is
  computed from the copy, so the two always agree. A restore checks the file against its
  manifest, copies it over the live database with the same API (inside the database's locks,
  never by replacing the file under open connections), and checks the result again.
- **PostgreSQL / PostGIS**: ``pg_dump`` in custom format, run on a snapshot exported from a
  repeatable-read transaction in which the manifest is computed: the dump and its manifest
  describe the same instant even under concurrent writes. A restore runs ``pg_restore
  --clean --if-exists --single-transaction`` (all or nothing) and checks the manifest.

The manifest also names the engine and the migration head: a SQLite backup does not restore
into PostgreSQL, nor one from another schema version.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, MetaData, Table, text
from sqlalchemy.engine import make_url

from registry import database

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1
_BATCH = 5000


class BackupError(Exception):
    """A backup that cannot be made, trusted or restored; the message says why."""


@dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str


# --- manifests -----------------------------------------------------------------------------------


def _tables(metadata: MetaData) -> list[Table]:
    return sorted(metadata.tables.values(), key=lambda t: t.name)


def _column(conn: Any, table: Table, name: str) -> str:
    if getattr(table.c[name].type, "geometry_type", None) is not None:
        # The geometry as WKB, the same bytes whatever the storage format (SpatiaLite blob or
        # PostGIS EWKB).
        func = "AsBinary" if conn.dialect.name == "sqlite" else "ST_AsBinary"
        return f'{func}("{name}")'
    return f'"{name}"'


def table_sum(conn: Any, table: Table) -> TableSum:
    """Rows and checksum of one table, streamed in primary-key order."""
    names = [c.name for c in table.columns]
    order = [c.name for c in table.primary_key.columns] or names
    select = ", ".join(_column(conn, table, n) for n in names)
    keys = ", ".join(f'"{n}"' for n in order)
    digest = hashlib.sha256()
    rows = 0
    query = text(f'SELECT {select} FROM "{table.name}" ORDER BY {keys}')  # noqa: S608 - names from metadata
    result = conn.execute(query.execution_options(stream_results=True))
    for batch in result.partitions(_BATCH):
        for row in batch:
            rows += 1
            digest.update(_row_bytes(row))
    return TableSum(rows, digest.hexdigest())


def _row_bytes(row: Any) -> bytes:
    parts = []
    for value in row:
        if value is None:
            parts.append("\x00N")
        elif isinstance(value, bytes | bytearray | memoryview):
            parts.append("b" + bytes(value).hex())
        elif isinstance(value, datetime):
            # Naive in SQLite, aware in PostgreSQL: compare instants in UTC.
            moment = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
            parts.append("t" + moment.isoformat())
        elif isinstance(value, dict | list):
            parts.append("j" + json.dumps(value, sort_keys=True, ensure_ascii=False))
        else:
            parts.append(type(value).__name__[0] + str(value))
    return ("\x1f".join(parts) + "\x1e").encode("utf-8")


def manifest(conn: Any, metadata: MetaData) -> dict[str, Any]:
    """What the database holds now, per table of the registry, and what it is."""
    head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {
        "format": FORMAT,
        "engine": conn.dialect.name,
        "migration": head,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": {
            t.name: vars(table_sum(conn, t))
            for t in _tables(metadata)
            if conn.dialect.has_table(conn, t.name)
        },
    }


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"no manifest beside {path} ({manifest_path(path).name})") from exc
    except ValueError as exc:
        raise BackupError(f"the manifest of {path} is not valid JSON") from exc
    if data.get("format") != FORMAT or not isinstance(data.get("tables"), dict):
        raise BackupError(f"the manifest of {path} is not one this version reads")
    return data


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Tables whose rows or checksum differ, in words; empty when the two agree."""
    out = []
    for name in sorted(set(expected["tables"]) | set(actual["tables"])):
        want, got = expected["tables"].get(name), actual["tables"].get(name)
        if want is None or got is None:
            out.append(f"{name}: {'missing' if got is None else 'not in the backup'}")
        elif want != got:
            out.append(
                f"{name}: {got['rows']} rows (expected {want['rows']})"
                if want["rows"] != got["rows"]
                else f"{name}: same {got['rows']} rows, different content"
            )
    return out


# --- SQLite --------------------------------------------------------------------------------------


def _sqlite_file(engine: Engine) -> Path:
    name = make_url(str(engine.url)).database
    if not name or name == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(name)


def _sqlite_connect(path: Path) -> Any:
    conn = database.sqlite_dbapi().connect(str(path), timeout=database.BUSY_TIMEOUT_S)
    conn.isolation_level = None
    conn.execute(f"PRAGMA busy_timeout = {database.BUSY_TIMEOUT_S * 1000}")
    return conn


def _sqlite_manifest(path: Path, metadata: MetaData) -> dict[str, Any]:
    from sqlalchemy import create_engine

    url = f"sqlite:///{path}"
    engine = create_engine(url, **database.engine_options(url))
    database.configure_engine(engine)
    try:
        with engine.connect() as conn:
            return manifest(conn, metadata)
    finally:
        engine.dispose()


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    """Copy one database file's content into another with SQLite's online backup API, inside
    both databases' locks."""
    source = _sqlite_connect(source_path)
    try:
        target = _sqlite_connect(target_path)
        try:
            source.backup(target, pages=1024)  # steps of 4 MB: writers wait at most for one step
        finally:
            target.close()
    finally:
        source.close()


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_env(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """The connection options ``pg_dump`` and ``pg_restore`` share, and their environment."""
    url = make_url(str(engine.url))
    args = [
        "--host",
        url.host or "localhost",
        "--port",
        str(url.port or 5432),
        f"--dbname={url.database or ''}",
    ]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


# --- the three commands --------------------------------------------------------------------------


def create(engine: Engine, metadata: MetaData, path: Path) -> dict[str, Any]:
    """Write the backup and its manifest; returns the manifest."""
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} exists: a backup never overwrites a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        _sqlite_copy(_sqlite_file(engine), path)
        data = _sqlite_manifest(path, metadata)
    else:
        args, env = _pg_env(engine)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                data = manifest(conn, metadata)
                _run(
                    [
                        "pg_dump",
                        *args,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-owner",
                        f"--file={path}",
                    ],
                    env,
                )
    manifest_path(path).write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    return data


def verify(engine: Engine, metadata: MetaData, path: Path) -> dict[str, Any]:
    """Check a backup against its manifest without touching the live database; returns the
    manifest. A PostgreSQL dump is checked by listing it (its contents are checked on
    restore)."""
    path = path.resolve()
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    expected = read_manifest(path)
    if expected["engine"] != engine.dialect.name:
        raise BackupError(
            f"{path} is a {expected['engine']} backup; this registry runs on {engine.dialect.name}"
        )
    if engine.dialect.name == "sqlite":
        problems = differences(expected, _sqlite_manifest(path, metadata))
        if problems:
            raise BackupError("the backup does not match its manifest: " + "; ".join(problems))
    else:
        _run(["pg_restore", "--list", str(path)], dict(os.environ))
    return expected


def restore(engine: Engine, metadata: MetaData, path: Path) -> dict[str, Any]:
    """Replace the live database with the backup, then prove it matches the manifest."""
    expected = verify(engine, metadata, path)
    path = path.resolve()
    engine.dispose()  # no pooled connection of ours keeps the old state
    if engine.dialect.name == "sqlite":
        _sqlite_copy(path, _sqlite_file(engine))
    else:
        args, env = _pg_env(engine)
        _run(
            [
                "pg_restore",
                *args,
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                str(path),
            ],
            env,
        )
    with engine.connect() as conn:
        actual = manifest(conn, metadata)
    problems = differences(expected, actual)
    if problems:
        raise BackupError("the restored database differs from the backup: " + "; ".join(problems))
    return actual


# --- commands ------------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Back up, verify and restore the registry's database.")


def _engine_and_metadata() -> tuple[Engine, MetaData]:
    from registry import model_registry  # noqa: F401  (every table on the metadata)
    from registry.extensions import db

    return db.engine, db.metadata


def _summary(data: dict[str, Any]) -> str:
    rows = sum(t["rows"] for t in data["tables"].values())
    return f"{len(data['tables'])} tables, {rows} rows, migration {data['migration']}"


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path) -> None:
    """Write a backup to PATH and its manifest beside it."""
    engine, metadata = _engine_and_metadata()
    try:
        data = create(engine, metadata, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {path} ({_summary(data)})")


@backup_cli.command("verify")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def verify_command(path: Path) -> None:
    """Check a backup against its manifest."""
    engine, metadata = _engine_and_metadata()
    try:
        data = verify(engine, metadata, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{path} matches its manifest ({_summary(data)})")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: the live database is replaced.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the live database with the backup at PATH, and check the result."""
    engine, metadata = _engine_and_metadata()
    if not yes:
        click.confirm(f"Replace the database {engine.url!r} with {path}?", abort=True)
    try:
        data = restore(engine, metadata, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {path} ({_summary(data)}); it matches the manifest")
    head = _code_head()
    if head and data["migration"] != head:
        click.echo(
            f"the backup is at migration {data['migration']} and this version at {head}: "
            "run `flask db upgrade`"
        )


def _code_head() -> str | None:
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions.get("migrate")
    if migrate is None:
        return None
    return ScriptDirectory.from_config(migrate.migrate.get_config()).get_current_head()
