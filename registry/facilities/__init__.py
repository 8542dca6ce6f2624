"""Facility registry: types, records, validation, history, import and export."""
