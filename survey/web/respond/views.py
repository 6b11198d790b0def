"""Views of the respond blueprint."""
from survey.web.respond import bp  # noqa: F401

