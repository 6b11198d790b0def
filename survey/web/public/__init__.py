"""The public scoreboard blueprint (/cong-khai): no sign-in, publications only, cacheable, framable widget."""
from __future__ import annotations

from flask import Blueprint, request

from survey.web.headers import csp_nonce, policy

bp = Blueprint("public", __name__)
FRAMED_ENDPOINTS = {"public.widget"}


def _allow_framing(resp):
    """Let any site frame the agency widget; every other answer keeps frame-ancestors 'none' and DENY."""
    if request.endpoint in FRAMED_ENDPOINTS:
        resp.headers["Content-Security-Policy"] = policy(csp_nonce()).replace("frame-ancestors 'none'",
                                                                             "frame-ancestors *")
        resp.headers.pop("X-Frame-Options", None)
    return resp


@bp.record_once
def _install(state) -> None:
    # After-request hooks run last-registered first, and the site's security headers (survey/web/headers.py)
    # were installed before the blueprints: put this hook at the front so it runs after them.
    state.app.after_request_funcs.setdefault(None, []).insert(0, _allow_framing)


from survey.web.public import views  # noqa: E402,F401  (views attach to bp)
