"""The admin blueprint; its views live in views.py beside this file."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from survey.web.admin import views  # noqa: E402,F401  (views attach to bp)
