"""Views of the admin blueprint."""
from survey.web.admin import bp  # noqa: F401

