"""Translating service messages: gettext that works in a request, a CLI command or a job."""
from __future__ import annotations


def tr(message: str, **variables) -> str:
    """gettext that also works outside a request (CLI, jobs, tests): there the default language is used."""
    from flask import current_app, has_app_context, has_request_context
    from flask_babel import gettext

    if has_request_context():
        return gettext(message, **variables)
    if has_app_context():
        with current_app.test_request_context():
            return gettext(message, **variables)
    return message % variables if variables else message
