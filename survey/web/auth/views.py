"""Views of the auth blueprint: sign in (throttled) and sign out (POST)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from survey.extensions import db
from survey.services.accounts.users import attempt_sign_in
from survey.services.common import audit
from survey.services.common.txn import run_write
from survey.web.auth import bp
from survey.web.auth.forms import LoginForm


def safe_next(target: str | None) -> str | None:
    """Return `target` only when it is a path on this site (no scheme, host or backslash tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return target


def home_for(user) -> str:
    """Where a user lands after signing in, by role."""
    if user.role == "admin":
        return url_for("admin.index")
    if user.role == "officer":  # the counter's hand-over page when the kiosk feature is installed
        return url_for("kiosk.handoff_page") if "kiosk.handoff_page" in current_app.view_functions \
            else url_for("main.index")
    return url_for("analyst.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; on success go to `next` (same site only) or the role's home page."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or home_for(current_user))
    status = 200
    if form.validate_on_submit():
        # Committed whatever the outcome: a failure counts towards the lock, and every attempt is audited.
        result = run_write(lambda: attempt_sign_in(db.session, form.username.data, form.password.data,
                                                   ip=request.remote_addr or ""))
        if result.user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in
            if lang:
                session["lang"] = lang
            login_user(result.user)
            return redirect(safe_next(form.next.data) or home_for(result.user))
        status = 429 if result.locked else 401
        if result.locked:
            flash(_("Tài khoản tạm khoá do đăng nhập sai nhiều lần. Vui lòng thử lại sau %(time)s.",
                    time=format_datetime(result.locked_until, "HH:mm")), "error")
        else:
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, CSRF-protected) and return to the home page."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        run_write(lambda: audit.record(db.session, user, "auth.logout", "user", user.id))
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("main.index"))
