"""The analyst blueprint; its views live in views.py beside this file."""
from flask import Blueprint

bp = Blueprint("analyst", __name__)

from survey.web.analyst import views  # noqa: E402,F401  (views attach to bp)
