"""How every request's ids and JSON are read: bounded ids in routes, JSON too deep is a 400."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

MAX_ROW_ID = 2**31 - 1  # an integer id column's largest value on PostgreSQL


def row_id(value: Any) -> int | None:
    """`value` if it can be a row id (an int from 1 to MAX_ROW_ID, not a boolean), else None."""
    # PostgreSQL's integer ids stop at 2**31 - 1 and SQLite's driver cannot bind 2**63 or more: either
    # was a 500. True is an int in Python and would have read row 1.
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID:
        return value
    return None


class RowIdConverter(IntegerConverter):
    """`<int:...>` in routes, capped at MAX_ROW_ID: a larger id is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002  (werkzeug's own parameter name)
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deep to parse is bad JSON (a 400), not a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; RecursionError (a body like '[[[[…' nested a thousand deep) becomes ValueError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deep") from exc


def install(app: Flask) -> None:
    """Use the bounded id converter and JSON reader (before any blueprint adds its routes)."""
    app.url_map.converters["int"] = RowIdConverter
    app.json = BoundedJSONProvider(app)
