#!/usr/bin/env bash
# Re-extract UI strings, merge into the English catalog, apply scripts/en/*.py, compile.
set -euo pipefail
cd "$(dirname "$0")/.."
B=.venv/bin
$B/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs '.* __pycache__ .venv' -o survey/translations/messages.pot . >/dev/null
$B/pybabel update -i survey/translations/messages.pot -d survey/translations -l en --no-fuzzy-matching >/dev/null
$B/python scripts/translate_en.py
$B/pybabel compile -d survey/translations >/dev/null
