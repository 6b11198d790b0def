"""Views of the analyst blueprint."""
from survey.web.analyst import bp  # noqa: F401

