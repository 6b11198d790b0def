"""Views of the analyst blueprint."""
from flask import render_template

from survey.web.analyst import bp
from survey.web.auth.access import role_required


@bp.route("/")
@role_required("admin", "analyst", "agency_viewer")
def dashboard():
    """The index dashboard (being built)."""
    return render_template("analyst/_layout.html")
