"""Answering by invitation link: welcome, one short screen per section, thank-you, friendly dead ends."""
from __future__ import annotations

from datetime import datetime

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from survey.extensions import db
from survey.models import QuestionnaireVersion, Response
from survey.services.common.tokens import hash_token
from survey.services.common.txn import refused, run_write
from survey.services.respond import responses as svc
from survey.web import limits
from survey.web.respond import bp
from survey.web.respond.forms import ScreenForm, read_screen
from survey.web.respond.resume import welcome_page

STATE_STATUS = {"unknown": 404, "used": 410, "expired": 410, "closed": 410}


def tr(pair) -> str:
    """The current language's text of a {vi, en} pair (Vietnamese when missing)."""
    if not isinstance(pair, dict):
        return pair or ""
    return pair.get(str(get_locale())) or pair.get("vi") or ""


@bp.context_processor
def _helpers():
    return {"tr": tr, "is_visible": svc.is_visible}


@bp.before_request
def _limit_per_token():
    token = (request.view_args or {}).get("token")
    retry = limits.check("token", hash_token(token)) if token else None
    if retry:
        page = render_template("respond/state.html", state="busy")
        return page, 429, {"Retry-After": str(retry)}
    return None


@bp.after_request
def _private(resp):
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return resp


@bp.errorhandler(CSRFError)
def _csrf_failed(_exc):
    return render_template("respond/state.html", state="session"), 400


def _state_page(state: str):
    return render_template("respond/state.html", state=state), STATE_STATUS.get(state, 400)


def _load(token: str):
    """(invitation, state, version) for a token."""
    inv = svc.find_invitation(db.session, token, lock=request.method == "POST")
    state = svc.invitation_state(inv)
    version = db.session.get(QuestionnaireVersion, inv.wave.questionnaire_version_id) if inv else None
    return inv, state, version


@bp.route("/<token>")
def welcome(token: str):
    """The welcome screen: how long it takes, that it is anonymous, a start button (or continue/start over)."""
    _inv, state, _version = _load(token)
    if state != "open":  # answered without taking the writers' turn: nothing to store
        return _state_page(state)
    return run_write(lambda: _open(token), conflicts=True)  # two tabs opening at once: one draft, both use it


def _open(token: str):
    """Mark the invitation opened and give it its draft (which holds the response UUID)."""
    inv, state, version = _load(token)
    if state != "open":
        return refused(_state_page(state))
    svc.mark_opened(inv)
    draft = svc.get_draft(db.session, inv)
    if draft is None:
        draft = svc.save_draft(db.session, inv, {}, {}, set(), str(get_locale()))
    return welcome_page(token, version, draft)  # offers to continue where the citizen left off


@bp.route("/<token>/<int:step>", methods=["GET", "POST"])
def screen(token: str, step: int):
    """One screen; POST saves its answers to the draft, then goes back, on, or submits."""
    if request.method == "POST":
        return run_write(lambda: _post(token, step), conflicts=True)
    inv, state, version = _load(token)
    if state != "open":
        return _state_page(state)
    draft = svc.get_draft(db.session, inv)
    data = draft.data if draft else {}
    screens = svc.visible_sections(version.content, data.get("answers", {}))
    if not 1 <= step <= len(screens):
        return redirect(url_for(".screen", token=token, step=max(1, min(step, len(screens)))))
    return _render(token, version, screens, step, data, ScreenForm())


def _post(token: str, step: int):
    """One screen's POST as a unit of work that run_write may repeat: it loads everything itself.

    The screen's answers always go into the draft, which is the citizen's scratchpad (going back
    saves without checking, too); errors only stop them going on: the screen comes back (422) with
    the messages. Then back, on to the next screen, or submit.
    """
    inv, state, version = _load(token)
    if state == "used":
        return _repeat_of_submitted(token, inv)
    if state != "open":
        return refused(_state_page(state))
    draft = svc.get_draft(db.session, inv)
    screens = svc.visible_sections(version.content, (draft.data if draft else {}).get("answers", {}))
    if not 1 <= step <= len(screens):
        return redirect(url_for(".screen", token=token, step=max(1, min(step, len(screens)))))
    section, form = screens[step - 1], ScreenForm()
    answers, other = read_screen(section, request.form)
    codes = {q["code"] for q in section.get("questions") or []}
    data = svc.save_draft(db.session, inv, answers, other, codes, str(get_locale())).data
    if form.action.data == "back":
        back = url_for(".screen", token=token, step=step - 1) if step > 1 else url_for(".welcome", token=token)
        return redirect(back)
    _c, _t, errors = svc.clean_answers(version.content, data["answers"], data["other"], only=codes)
    errors = {e.item: e.message for e in errors if e.item in codes}
    screens = svc.visible_sections(version.content, data["answers"])
    if errors:  # the draft keeps what was typed (committed), as it would on "back"
        return _render(token, version, screens, step, data, form, errors), 422
    if step < len(screens):
        return redirect(url_for(".screen", token=token, step=step + 1))
    return _submit(token, inv, version, screens, data, form)


def _submit(token, inv, version, screens, data, form):
    """Store the whole draft as the response (once), or send the citizen to the first problem."""
    _c, _t, errors = svc.clean_answers(version.content, data["answers"], data["other"])
    if errors:  # on other screens: this screen's answers are fine and stay in the draft (committed)
        bad = {e.item for e in errors}
        first = next(i for i, s in enumerate(screens, 1)
                     if any(q["code"] in bad for q in s.get("questions") or [])) if screens else 1
        return _render(token, version, screens, first, data, form, {e.item: e.message for e in errors}), 422
    started = data.get("started_at")
    try:
        svc.store_response(db.session, version, data["uuid"], data["answers"], data["other"], mode="link",
                           invitation=inv, language=str(get_locale()),
                           started_at=datetime.fromisoformat(started) if started else None)
    except svc.SubmissionError as exc:
        if exc.code == "already_answered":
            return refused(_state_page("used"))
        raise
    return redirect(url_for(".done", token=token))


def _repeat_of_submitted(token, inv):
    """A second tap, second tab or retried POST after the answers were stored: thank, do not store."""
    stored = db.session.scalar(select(Response.uuid).where(Response.invitation_id == inv.id))
    if stored is not None and request.form.get("rid") == stored:
        return redirect(url_for(".done", token=token))
    return refused(_state_page("used"))


def _render(token, version, screens, step, data, form, errors=None):
    return render_template(
        "respond/screen.html", token=token, content=version.content, section=screens[step - 1],
        step=step, total=len(screens), answers=data.get("answers", {}), other=data.get("other", {}),
        rid=data.get("uuid", ""), form=form, errors=errors or {},
        scales=version.content.get("scales") or {})


@bp.route("/<token>/done")
def done(token: str):
    """The thank-you page (only once the answers are stored)."""
    inv, state, _v = _load(token)
    if state == "open":
        return redirect(url_for(".welcome", token=token))
    if state != "used":
        return _state_page(state)
    return render_template("respond/done.html")


@bp.route("/")
def no_token():
    """/s/ without a token: the unknown-link page."""
    abort(404)
