"""The main blueprint: home, health check, language switch and error pages."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from survey.web.main import views  # noqa: E402,F401
