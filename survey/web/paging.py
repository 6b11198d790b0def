"""Paging of database-backed lists: the ?page= argument, kept inside the pages that exist."""
from __future__ import annotations

from flask import request


def page_number(total: int, per_page: int) -> int:
    """The ?page= asked for (1 when absent or not a number), clamped to 1..the last page of `total` rows."""
    # SQL OFFSET is a 64-bit integer (SQLite refuses larger Python ints, PostgreSQL overflows): a page past
    # the end shows the last page instead of asking the database for an offset it cannot hold.
    last = max((total + per_page - 1) // per_page, 1)
    return min(max(request.args.get("page", 1, type=int), 1), last)
