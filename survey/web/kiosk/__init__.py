"""The kiosk blueprint: the tablet's pages (views), its JSON API (api) and the officer hand-off (officer)."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from survey.web.kiosk import api, officer, views  # noqa: E402,F401  (views attach to bp)
