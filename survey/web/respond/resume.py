"""Coming back to a link mid-survey: where to continue, and starting over.

Every screen's POST (next or back) writes all of that screen's questions into the draft, answered or
not, so the draft says which screens the citizen has been through. The welcome screen of a link
whose draft holds answers offers "Tiếp tục từ phần n": the first screen not yet gone through, or
one gone through that still has a problem (a required question left empty); and "Làm lại từ đầu",
which empties the draft (it keeps its response UUID, so a stored answer is still recognised).
"""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import get_locale

from survey.extensions import db
from survey.services.common.txn import refused, run_write
from survey.services.respond import answers
from survey.services.respond import responses as svc
from survey.web.respond import bp


def resume_step(content: dict, data: dict) -> int | None:
    """The 1-based screen to continue from, or None when nothing was answered yet (start at the welcome)."""
    answers = data.get("answers") or {}
    if not any(v not in (None, "", []) for v in answers.values()):
        return None
    screens = svc.visible_sections(content, answers)
    for step, section in enumerate(screens, 1):
        codes = {q["code"] for q in section.get("questions") or [] if svc.is_visible(q, answers)}
        if not codes <= answers.keys():
            return step  # not gone through yet
        _c, _t, errors = svc.clean_answers(content, answers, data.get("other") or {}, only=codes)
        if any(e.item in codes for e in errors):
            return step  # gone through, but something there stops the citizen going on
    return len(screens) or None


@bp.route("/<token>/restart", methods=["POST"])
def restart(token: str):
    """Start over: the draft's answers are emptied and the first screen opens."""
    return run_write(lambda: _restart(token), conflicts=True)


def _restart(token: str):
    from survey.web.respond.views import _load, _state_page  # views import this module for welcome_page

    inv, state, version = _load(token)
    if state != "open":
        return refused(_state_page(state))
    codes = {q["code"] for s in svc.sections(version.content) for q in s.get("questions") or []}
    svc.save_draft(db.session, inv, {}, {}, codes, str(get_locale()))
    return redirect(url_for(".screen", token=token, step=1))


def welcome_page(token: str, version, draft) -> str:
    """The welcome screen, with "continue from part n" and "start over" when the draft holds answers."""
    step = resume_step(version.content, draft.data) if draft is not None else None
    total = len(svc.visible_sections(version.content, draft.data.get("answers") or {})) if step else 0
    # The same count of minutes and parts as the kiosk's screen (computed from the questions); an author's
    # longer estimate (measured in a pilot, say) wins, so the welcome never promises less time than it takes.
    minutes, parts = answers.duration(version.content)
    minutes = max(minutes, int(round(version.content.get("estimated_minutes") or 0)))
    return render_template("respond/welcome.html", token=token, content=version.content,
                           resume=step, total=total, minutes=minutes, parts=parts)
