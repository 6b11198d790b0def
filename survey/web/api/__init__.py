"""The intake API blueprint (/api/v1): key-authenticated, so CSRF does not apply to it."""
from flask import Blueprint

from survey.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # machine clients authenticate with an API key; there is no browser session to ride

from survey.web.api import events, ratings, views  # noqa: E402,F401  (views attach to bp)
