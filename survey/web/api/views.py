"""Views of the api blueprint."""
from survey.web.api import bp  # noqa: F401

