"""Investment routes (being written)."""

from registry.investment import bp  # noqa: F401
