"""Bounded parsing of what a URL carries: path segments and query parameters.

Bad input in a URL is never a server error. A path id beyond what the database can hold is a
404 like any unknown id; a query parameter that is malformed, not finite or out of range is
ignored (``None``), as the list filter has always ignored unknown values. The bounds are the
database's: PostgreSQL's ``integer`` is 32-bit, and a larger value overflows in the query.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

# PostgreSQL ``integer`` (SQLite would take more; the production database would not).
INT_MAX = 2_147_483_647
INT_MIN = -INT_MAX - 1
# Ten digits hold INT_MAX; anything longer is out of range without parsing it (Python refuses
# to parse ints of more than 4,300 digits, with a ValueError).
_INT_DIGITS = len(str(INT_MAX))
_INT_TEXT = re.compile(r"[+-]?[0-9]+", re.ASCII)
# A float has at most 17 significant digits; a longer text is noise, not a coordinate.
_FLOAT_MAX_LEN = 64


def refuse_nul_bytes() -> None:
    """``before_request``: a NUL character has no place in any text the app takes, and
    PostgreSQL refuses it in a text value (an error, not an answer). 400 before any view."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.form:
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400)


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` converter capped at the database's ``integer``: ``/facilities/<huge>``
    is not found rather than an overflow. Registered app-wide in place of ``int``."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        floor = INT_MIN if min is None or min < INT_MIN else min
        ceiling = INT_MAX if max is None or max > INT_MAX else max
        super().__init__(map, fixed_digits=fixed_digits, min=floor, max=ceiling, signed=signed)

    def to_python(self, value: str) -> Any:
        # ``\d`` also matches non-ASCII digits; ids are written in ASCII.
        if not value.isascii() or len(value.lstrip("-")) > _INT_DIGITS:
            raise ValidationError()
        return super().to_python(value)


def parse_int(text: str | None, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """A whole number written in ASCII digits within ``low..high``, else ``None``."""
    if text is None:
        return None
    text = text.strip()
    if not _INT_TEXT.fullmatch(text) or len(text.lstrip("+-")) > _INT_DIGITS:
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_float(text: str | None, *, low: float, high: float) -> float | None:
    """A finite number within ``low..high``, else ``None`` (``nan``, ``inf``, ``1e309``)."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > _FLOAT_MAX_LEN or not text.isascii():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return value


def arg_int(args: Mapping[str, str], name: str, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """Query parameter ``name`` as a bounded whole number, or ``None`` when missing or bad."""
    return parse_int(args.get(name), low=low, high=high)


def arg_ints(args: Any, name: str, *, low: int = 0, high: int = INT_MAX) -> list[int]:
    """Every good value of a repeated parameter (``?ids=1&ids=2``); bad ones are dropped."""
    values = (parse_int(v, low=low, high=high) for v in args.getlist(name))
    return [v for v in values if v is not None]


def arg_float(args: Mapping[str, str], name: str, *, low: float, high: float) -> float | None:
    """Query parameter ``name`` as a finite number within bounds, or ``None``."""
    return parse_float(args.get(name), low=low, high=high)


# JSON bodies carry numbers as well as strings; these raise ``ValueError`` like ``float()`` and
# ``int()`` do, so a view's existing ``except ValueError`` answers the client.


def to_float(value: object, *, low: float, high: float) -> float:
    """``float(value)`` refusing booleans, ``NaN``, infinities and values out of range."""
    if isinstance(value, str):
        number = parse_float(value, low=low, high=high)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = None
        if number is not None and (not math.isfinite(number) or not low <= number <= high):
            number = None
    else:
        number = None
    if number is None:
        raise ValueError(f"not a number within {low}..{high}")
    return number


def to_int(value: object, *, low: int = 0, high: int = INT_MAX) -> int:
    """``int(value)`` refusing booleans, fractions and values beyond the database's range."""
    if isinstance(value, str):
        number = parse_int(value, low=low, high=high)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = None
    if number is None or not low <= number <= high:
        raise ValueError(f"not a whole number within {low}..{high}")
    return number


def send_table(body: bytes, fmt: str, stem: str) -> Any:
    """A CSV or XLSX export (``cells.table_bytes``) as a download that is never cached."""
    import io

    from flask import send_file

    from registry.cells import XLSX_MIMETYPE

    response = send_file(
        io.BytesIO(body),
        mimetype="text/csv" if fmt == "csv" else XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{stem}.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def flash_form_errors(form: Any) -> None:
    """Every field error of a form posted from a page that is not the form's own."""
    from flask import flash

    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "danger")
