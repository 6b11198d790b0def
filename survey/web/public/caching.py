"""Cache headers of the public pages: Cache-Control public, an ETag from the publication, 304 on a match.

The ETag is checked before anything is rendered, so a revalidation costs one query (the catalogue).
HTML varies with the reader's language, which may live in the session cookie: those answers say
`Vary: Cookie`; the open-data files are the same for everyone.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable

from flask import Response, request

from survey.paths import TEMPLATE_DIR

MAX_AGE = 300  # seconds: a new publication reaches a cached reader within five minutes
_TEMPLATES: list[str] = []


def templates_fingerprint() -> str:
    """A digest of templates/public (a deploy that changes the pages changes every page's ETag)."""
    if not _TEMPLATES:
        digest = hashlib.sha256()
        folder = os.path.join(TEMPLATE_DIR, "public")
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as fh:
                digest.update(name.encode() + fh.read())
        _TEMPLATES.append(digest.hexdigest()[:16])
    return _TEMPLATES[0]


def etag_of(parts: Iterable[object]) -> str:
    """An ETag from the things an answer depends on."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def cached(etag: str, render: Callable[[], bytes | str], mimetype: str, *, vary_cookie: bool = True,
           filename: str | None = None) -> Response:
    """304 when the client holds `etag`, else the rendered body; both with the cache headers."""
    fresh = request.if_none_match.contains(etag)
    resp = Response(status=304) if fresh else Response(render(), mimetype=mimetype)
    resp.set_etag(etag)
    resp.cache_control.public = True
    resp.cache_control.max_age = MAX_AGE
    if vary_cookie:
        resp.vary.add("Cookie")
    if filename and not fresh:
        resp.headers["Content-Disposition"] = "inline; filename=%s" % filename
    return resp
