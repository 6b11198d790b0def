"""Views of the kiosk blueprint."""
from survey.web.kiosk import bp  # noqa: F401

