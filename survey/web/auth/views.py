"""Views of the auth blueprint."""
from survey.web.auth import bp  # noqa: F401

