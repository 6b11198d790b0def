"""Real browser, tablet sizes: a counter's 13-part hand-off on the kiosk in landscape and portrait.

Scales in one column, "Tiếp tục" in view without scrolling on every part, the form's real length
said before it starts, the text size, "call staff" reaching the officer, and what the idle prompt
says happens to the answers so far.
"""
from __future__ import annotations

import os
import time

import pytest

from survey.extensions import db
from tests.e2e.citizen_helpers import responses_of
from tests.e2e.conftest import CHROMIUM_ARGS, _chromium_or_skip  # noqa: F401  (the same browser setup)
from tests.respond import factories as f

pytestmark = pytest.mark.e2e

TABLETS = {"landscape": {"width": 1280, "height": 800}, "portrait": {"width": 800, "height": 1280}}
SHOTS = os.environ.get("KIOSK_SHOTS")  # a folder: save a screenshot of each part there, to look at


def _wait(predicate, timeout=10.0):
    """Poll from Python: wait_for_function compiles its predicate with eval, which the kiosk's CSP refuses."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def short_timers(live_app):
    """Set kiosk timers for one test; restored afterwards."""
    saved = {k: live_app.config.get(k) for k in ("KIOSK_IDLE_SECONDS", "KIOSK_PROMPT_SECONDS", "KIOSK_THANKS_SECONDS")}

    def apply(**values):
        live_app.config.update({k.upper(): v for k, v in values.items()})

    yield apply
    for k, v in saved.items():
        if v is None:
            live_app.config.pop(k, None)
        else:
            live_app.config[k] = v


def _tablet(browser, size):
    context = browser.new_context(viewport=TABLETS[size], locale="vi-VN", has_touch=True)
    pg = context.new_page()
    blocked: list[str] = []
    pg.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    return context, pg, blocked


@pytest.fixture(params=sorted(TABLETS))
def tablet(request, browser):
    """A touch tablet page at 1280×800 (landscape) or 800×1280 (portrait); (page, orientation)."""
    context, pg, blocked = _tablet(browser, request.param)
    yield pg, request.param
    context.close()
    assert blocked == [], blocked


@pytest.fixture
def landscape(browser):
    """A 1280×800 touch tablet page."""
    context, pg, blocked = _tablet(browser, "landscape")
    yield pg
    context.close()
    assert blocked == [], blocked


def counter_with_handoff(live_app, instrument="sipas2023-service"):
    """A counter with a kiosk to enrol and a dossier just returned there, handed to its kiosk.

    Returns (enrolment code, device id, invitation id, service point id)."""
    from survey.services.kiosk.devices import create_device
    from survey.services.kiosk.handoff import handoff_invitation
    from survey.services.questionnaires.bank import get_version

    with live_app.app_context():
        reg = f.add_registry(db.session)
        device, code = create_device(db.session, reg["point"], "Kiosk quầy 2")
        wave = f.add_wave(db.session, get_version(db.session, instrument), reg)
        inv, _token = f.add_invitation(db.session, wave, reg)
        handoff_invitation(db.session, inv, reg["point"].id)
        db.session.commit()
        out = code, device.id, inv.id, reg["point"].id
        db.session.remove()
    return out


def enrol(page, live_server, code):
    """Enrol this browser as the kiosk with `code` through the real form."""
    page.goto(f"{live_server}/kiosk/enrol?code={code}")
    page.get_by_role("button", name="Đăng ký máy").click()
    page.wait_for_url(f"{live_server}/kiosk/", timeout=10_000)
    page.locator("#start").wait_for()


def handoff_state(live_app, invitation_id):
    """The hand-off's state as stored."""
    from sqlalchemy import select

    from survey.models import KioskHandoff

    with live_app.app_context():
        state = db.session.scalar(select(KioskHandoff.state).where(KioskHandoff.invitation_id == invitation_id))
        db.session.remove()
    return str(state)


def _in_one_column(group):
    """The group's buttons one under another: same left edge and width, each below the one before."""
    boxes = [b.bounding_box() for b in group.locator("button.choice").all()]
    assert len(boxes) >= 2
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert abs(below["x"] - above["x"]) < 1 and abs(below["width"] - above["width"]) < 1, boxes
        assert below["y"] >= above["y"] + above["height"], boxes
    return boxes


def _answer_part(page, height):
    """Answer every question of the part shown: a scale with its second-best code, a choice with its first.

    A tap redraws the part: it must stay where it was scrolled to (the tapped answer in view, chosen)."""
    i = -1
    while (i := i + 1) < page.locator("fieldset.q").count():  # a "yes" may reveal a question below
        box = page.locator("fieldset.q").nth(i)
        choices = box.locator("button.choice")
        if choices.count():
            n = choices.count() - 2 if box.locator(".choices.scale").count() else 0
            choices.nth(n).click()
            tapped = page.locator("fieldset.q").nth(i).locator("button.choice").nth(n)
            assert tapped.get_attribute("aria-checked") == "true"
            where = tapped.bounding_box()
            assert 0 <= where["y"] and where["y"] + where["height"] <= height, where
        elif box.locator("input.phone").count():
            box.locator("input.phone").fill("0912 345 678")
        elif box.locator("input.number").count():
            box.locator("input.number").fill("40")
        # text stays empty: optional everywhere


def test_every_part_in_one_column_with_next_in_view(tablet, live_app, live_server):
    page, orientation = tablet
    height = TABLETS[orientation]["height"]
    code, device_id, inv_id, _point = counter_with_handoff(live_app)
    enrol(page, live_server, code)
    page.locator("#start").click()
    note = page.locator("#duration")
    note.wait_for()
    # The form started is the counter's 13-part one, and the first screen says so before any question.
    assert note.inner_text().endswith("Gồm 13 phần, khoảng 6 phút.")
    parts = 0
    while parts < 20:
        step = page.locator("section.question")
        if not step.count():
            break
        parts += 1
        step.wait_for()
        assert page.locator(".progress-text").inner_text() == f"Phần {parts} / 13"
        for group in page.locator(".choices.scale").all():
            assert len(_in_one_column(group)) in (4, 5)
        # "Tiếp tục" is in the viewport as the part opens, before any scrolling.
        assert page.evaluate("window.scrollY") == 0
        button = page.locator("#next").bounding_box()
        assert button["y"] >= 0 and button["y"] + button["height"] <= height, (parts, button)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"kiosk-{orientation}-part{parts:02d}.png"))
        _answer_part(page, height)
        page.locator("#next").click()   # a plain click: playwright scrolls only if it must (it must not)
        if parts < 13:
            page.locator(f"[data-step='{parts + 1}']").wait_for()
    assert parts == 13
    page.get_by_role("heading", name="Cảm ơn Ông/Bà!").wait_for()
    assert _wait(lambda: len(responses_of(live_app, invitation_id=inv_id)) == 1)
    [(_u, mode, partial, probability, answers)] = responses_of(live_app, invitation_id=inv_id)
    assert (mode, partial, probability) == ("kiosk", False, True)
    assert len(answers) >= 30
    assert handoff_state(live_app, inv_id) == "answered"


def _font_px(page, selector):
    return float(page.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{selector}')).fontSize)"))


def test_text_size_lasts_the_session_and_resets_for_the_next_citizen(landscape, live_app, live_server, short_timers):
    page = landscape
    short_timers(kiosk_thanks_seconds=2)
    code, _device, _inv, _point = counter_with_handoff(live_app, "kiosk-quick")
    enrol(page, live_server, code)
    size = page.locator("#text-size")
    assert size.inner_text() == "Cỡ chữ: Thường"
    usual = _font_px(page, "#app h1")
    size.click()                                   # on the home screen, before starting
    assert size.inner_text() == "Cỡ chữ: Lớn" and _font_px(page, "#app h1") > usual * 1.1
    page.locator("#start").click()
    page.locator("button.choice.face").first.wait_for()
    large = _font_px(page, ".q-text")
    page.locator("#text-size").click()
    assert page.locator("#text-size").inner_text() == "Cỡ chữ: Rất lớn"
    larger = _font_px(page, ".q-text")
    assert larger > large * 1.1
    page.locator("button.choice.face").first.click()    # one tap: the next part keeps the size
    page.locator("[data-step='2']").wait_for()
    assert _font_px(page, ".q-text") == larger
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "kiosk-text-larger.png"))
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà!").wait_for()
    page.locator("#start").wait_for(timeout=6000)       # reset for the next citizen: the usual size again
    assert page.locator("#text-size").inner_text() == "Cỡ chữ: Thường"
    assert _font_px(page, "#app h1") == usual


def test_call_staff_reaches_the_counter(landscape, live_app, live_server):
    from survey.services.kiosk.counter import open_calls

    page = landscape
    code, device_id, _inv, point_id = counter_with_handoff(live_app, "kiosk-quick")
    enrol(page, live_server, code)
    page.locator("#start").click()
    page.locator("button.choice.face").first.wait_for()
    page.get_by_role("button", name="Gọi nhân viên").click()
    page.get_by_text("Đã báo cán bộ tại quầy. Xin Ông/Bà chờ trong giây lát.").wait_for()
    with live_app.app_context():
        calls = open_calls(db.session, point_id)
        db.session.remove()
    assert [c.device_id for c in calls] == [device_id]   # what the officer's hand-off page lists
    page.context.set_offline(True)                         # no network: the citizen is told to walk over
    page.wait_for_timeout(5200)                            # the button is usable again after 5 s
    page.get_by_role("button", name="Gọi nhân viên").click()
    page.get_by_text("Chưa báo được cán bộ (mất kết nối). Xin Ông/Bà đến quầy gần nhất.").wait_for()


def _idle_text(page):
    page.locator("#idle:not([hidden])").wait_for(timeout=6000)
    return page.locator("#idle").get_attribute("data-idle"), page.locator("#idle-text").inner_text()


def test_idle_prompt_says_what_happens_to_the_answers(landscape, live_app, live_server, short_timers):
    page = landscape
    short_timers(kiosk_idle_seconds=1, kiosk_prompt_seconds=3)
    # dossier-eval does not keep partial answers; sipas2023-service does (kiosk: partial_on_timeout: keep).
    code, _device, inv_id, _point = counter_with_handoff(live_app, "dossier-eval")
    enrol(page, live_server, code)
    page.locator("#start").click()
    page.locator("section.question").wait_for()
    key, text = _idle_text(page)
    assert key == "still_there_none" and "Ông/Bà chưa chọn câu trả lời nào" in text
    page.locator("#start").wait_for(timeout=6000)           # reset; nothing answered: the hand-off waits again
    assert _wait(lambda: handoff_state(live_app, inv_id) == "waiting")
    page.locator("#start").click()
    page.locator("section.question button.choice").first.click()
    key, text = _idle_text(page)
    assert key == "still_there_sub" and "các câu trả lời vừa chọn sẽ bị xoá, không được gửi" in text
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "kiosk-idle-discard.png"))
    page.locator("#start").wait_for(timeout=6000)
    assert _wait(lambda: handoff_state(live_app, inv_id) == "waiting")
    assert responses_of(live_app, invitation_id=inv_id) == []

    code, _device, inv_id, _point = counter_with_handoff(live_app, "sipas2023-service")
    enrol(page, live_server, code)
    page.locator("#start").click()
    page.locator("section.question button.choice").first.click()
    key, text = _idle_text(page)
    assert key == "still_there_keep" and "các câu trả lời đã chọn vẫn được gửi (chưa đầy đủ)" in text
    page.locator("#start").wait_for(timeout=6000)
    assert _wait(lambda: len(responses_of(live_app, invitation_id=inv_id)) == 1)
    [(_u, _m, partial, _p, answers)] = responses_of(live_app, invitation_id=inv_id)
    assert partial is True and len(answers) == 1
