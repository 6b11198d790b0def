"""The kiosk blueprint: the tablet's pages (views), its JSON API (api), the officer's hand-off page (officer*)."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from survey.web.kiosk import api, officer, officer_print, views  # noqa: E402,F401  (views attach to bp)
