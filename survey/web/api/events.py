"""Intake API: POST /service-events, hospital visits and school enrolments (frames that are not dossiers).

The same rules as /dossiers (survey.web.api.views.post_batch): scoped keys (a key of a managing agency
covers the hospitals and schools under it), idempotent batches, a result per record, contacts apart.
"""
from __future__ import annotations

from flask_babel import gettext as _

from survey.services.intake.events import validate_event
from survey.web.api import bp
from survey.web.api.views import post_batch


@bp.post("/service-events")
def post_service_events():
    """Store a batch of service events; answer per record (stored / unchanged / rejected)."""
    return post_batch("events", validate_event, _('Nội dung phải là JSON dạng {"events": [ ... ]}.'),
                      tag="service-events")
