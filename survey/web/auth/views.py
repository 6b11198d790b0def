"""Views of the auth blueprint: sign in (throttled), sign out, sign out everywhere, one's own sessions."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required

from survey.extensions import db
from survey.services.accounts import operations as accounts
from survey.services.accounts import sessions
from survey.services.accounts.users import ROLE_LABELS
from survey.services.common.txn import run_write
from survey.web.auth import bp, browser, throttle
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


def _refusal_message(reason: str, seconds: int) -> str:
    wait = format_timedelta(timedelta(seconds=seconds), threshold=1)
    if reason == "address":
        return _("Có quá nhiều lần đăng nhập sai từ địa chỉ mạng của bạn. Vui lòng thử lại sau %(wait)s.",
                 wait=wait)
    if reason == "global":
        return _("Hệ thống đang tạm hạn chế đăng nhập vì có quá nhiều lần đăng nhập sai. "
                 "Vui lòng thử lại sau %(wait)s.", wait=wait)
    return _("Tài khoản này vừa bị nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau %(wait)s.", wait=wait)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; on success go to `next` (same site only) or the role's home page."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or home_for(current_user))
    status, headers = 200, {}
    if form.validate_on_submit():
        outcome = throttle.attempt(form.username.data, form.password.data)
        if outcome.user is not None:
            browser.begin(outcome.user, outcome.token)
            return browser.mark_known(redirect(safe_next(form.next.data) or home_for(outcome.user)), outcome.user)
        if outcome.refused_by is not None:
            status, headers = 429, {"Retry-After": str(outcome.retry_after)}
            flash(_refusal_message(outcome.refused_by, outcome.retry_after), "error")
        else:
            status = 401
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, CSRF-protected): this browser's session ends on the server too."""
    if current_user.is_authenticated:
        user, token = current_user._get_current_object(), browser.token()
        run_write(lambda: accounts.log_out(db.session, user, token))
    browser.forget()
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("main.index"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of the signed-in user, on every browser and device, this one too (POST, CSRF-protected)."""
    user = current_user._get_current_object()
    count = run_write(lambda: accounts.log_out_everywhere(db.session, user))
    browser.forget()
    flash(_("Đã đăng xuất khỏi mọi thiết bị (%(n)d phiên).", n=count), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    """The signed-in user's own page: who they are and where they are signed in."""
    user = current_user._get_current_object()
    rows = sessions.active_sessions(db.session, user.id, browser.lifetime())
    current = sessions.live_session(db.session, user.id, browser.token(), browser.lifetime())
    return render_template("auth/account.html", user=user, sessions=rows, current_id=current.id if current else None,
                           role_label=ROLE_LABELS.get(user.role, user.role))
