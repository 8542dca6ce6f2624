"""Marker for models whose every insert, update and delete is audited."""

from __future__ import annotations


class Audited:
    """Mix into a model to audit it.

    ``__audit_exclude__`` names columns never recorded (bookkeeping such as ``updated_at``);
    ``__audit_redact__`` names columns recorded as changed without their values (secrets).
    A model may define ``audit_jurisdiction`` (a province code) so scoped users see its history.
    """

    __audit_exclude__: frozenset[str] = frozenset()
    __audit_redact__: frozenset[str] = frozenset()
