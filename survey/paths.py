"""Where the application's files live: the package, templates, migrations and the questionnaire bank."""
from __future__ import annotations

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT_DIR = os.path.dirname(PACKAGE_DIR)
TEMPLATE_DIR = os.path.join(ROOT_DIR, "templates")
MIGRATIONS_DIR = os.path.join(PACKAGE_DIR, "migrations")
QUESTIONNAIRE_DIR = os.path.join(ROOT_DIR, "questionnaires")
