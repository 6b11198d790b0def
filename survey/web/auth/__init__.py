"""The auth blueprint; its views live in views.py, the browser's session in browser.py."""
from flask import Blueprint, g, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from survey.extensions import db, login_manager
from survey.services.accounts import sessions
from survey.services.common.txn import run_write
from survey.web.auth import browser

bp = Blueprint("auth", __name__)
login_manager.login_message = _l("Vui lòng đăng nhập để xem trang này.")
login_manager.login_message_category = "info"
login_manager.user_loader(browser.load_user)

from survey.web.auth import views  # noqa: E402,F401  (views attach to bp)


@bp.before_app_request
def check_session() -> None:
    """Check a signed-in browser's session before any view, and note its use (at most once a minute).

    Here rather than when a view first asks for current_user, so the write never lands inside a
    view's own unit of work.
    """
    if "_user_id" not in session:
        return
    if not current_user.is_authenticated:  # revoked, expired or disabled: drop it from the cookie
        browser.forget()
        return
    session_id = g.pop("touch_session", None)
    if session_id is not None:
        run_write(lambda: sessions.touch(db.session, session_id))
