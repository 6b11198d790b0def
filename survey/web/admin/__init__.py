"""The admin blueprint: one module per administrative feature."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

import survey.web.admin.registry  # noqa: E402,F401  (views attach to bp)
from survey.web.admin import apikeys, audit, bank, case_rules, comments, devices, publications, users, views, waves  # noqa: E402,F401  (views attach to bp)
