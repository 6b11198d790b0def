"""The api blueprint; its views live in views.py beside this file."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from survey.web.api import views  # noqa: E402,F401  (views attach to bp)
