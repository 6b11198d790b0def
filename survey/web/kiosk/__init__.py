"""The kiosk blueprint; its views live in views.py beside this file."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from survey.web.kiosk import views  # noqa: E402,F401  (views attach to bp)
