"""The auth blueprint; its views live in views.py beside this file."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey.extensions import login_manager

bp = Blueprint("auth", __name__)
login_manager.login_message = _l("Vui lòng đăng nhập để xem trang này.")
login_manager.login_message_category = "info"

from survey.web.auth import views  # noqa: E402,F401  (views attach to bp)


@login_manager.user_loader
def load_user(user_id: str):
    """Flask-Login hook: the signed-in user, or None when unknown or disabled."""
    from survey.extensions import db
    from survey.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None
