"""The respond blueprint; its views live in views.py beside this file."""
from flask import Blueprint

bp = Blueprint("respond", __name__)

from survey.web.respond import views  # noqa: E402,F401  (views attach to bp)
