"""Administrative units (pre-2025 and current), boundaries and point lookups."""
