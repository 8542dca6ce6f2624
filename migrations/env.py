"""Alembic environment for Flask-Migrate, on SpatiaLite and PostGIS.

GeoAlchemy2's helpers render spatial columns and indexes so that the same revision file
works on both engines; tables owned by the spatial extensions are never compared.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers

import registry.model_registry  # noqa: F401  (registers every model on the metadata)
from registry.database import migration_include_object

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)
target_metadata = current_app.extensions["migrate"].db.metadata


def _skip_empty(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _revision_directives(context_, revision, directives):
    _skip_empty(context_, revision, directives)
    if directives:
        alembic_helpers.writer(context_, revision, directives)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=migration_include_object,
        render_item=alembic_helpers.render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args["process_revision_directives"] = _revision_directives
    conf_args["include_object"] = migration_include_object
    conf_args["render_item"] = alembic_helpers.render_item
    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
