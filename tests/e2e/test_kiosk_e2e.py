"""Real browser: kiosk enrolment, a one-tap rating with automatic return, idle reset, offline queue."""
from __future__ import annotations

import time

import pytest

from tests.e2e.citizen_helpers import count_responses, enrol_in_browser, responses_of

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def kiosk_config(live_app):
    """Short timers for one test; restored afterwards."""
    keys = ("KIOSK_IDLE_SECONDS", "KIOSK_PROMPT_SECONDS", "KIOSK_THANKS_SECONDS", "KIOSK_HEARTBEAT_SECONDS")
    saved = {k: live_app.config.get(k) for k in keys}

    def apply(**values):
        live_app.config.update({k.upper(): v for k, v in values.items()})

    yield apply
    for k, v in saved.items():
        if v is None:
            live_app.config.pop(k, None)
        else:
            live_app.config[k] = v


def _face(page, label):
    """The face button whose label is exactly `label` ("Hài lòng" is also inside "Rất hài lòng")."""
    return page.locator("button.choice.face").filter(has=page.get_by_text(label, exact=True))


def _rate_twice_and_send(page):
    """Two walk-up ratings ("Rất hài lòng", then "Hài lòng"), each sent and back on the home screen."""
    for face in ("Rất hài lòng", "Hài lòng"):
        page.locator("#start").click()
        _face(page, face).click()
        page.locator("[data-step='2']").wait_for()
        page.get_by_role("button", name="Gửi đánh giá").click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà!").wait_for()
        page.locator("#start").wait_for(timeout=5000)


def _wait(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_kiosk_enrolment_keeps_a_credential_and_shows_the_centre(page, live_app, live_server):
    device_id = enrol_in_browser(page, live_app, live_server)
    assert page.evaluate("localStorage.getItem('hailong.device')").__len__() >= 40
    assert page.locator(".centre").inner_text().startswith("Trung tâm")
    assert page.locator("#start").bounding_box()["height"] >= 96
    assert page.locator("a").count() == 0  # nothing leads out of the kiosk
    with live_app.app_context():
        from survey.extensions import db
        from survey.models import Device

        assert db.session.get(Device, device_id).enrolled_at is not None
        db.session.remove()


def test_kiosk_one_tap_rating_then_automatic_return_home(page, live_app, live_server, kiosk_config):
    kiosk_config(kiosk_thanks_seconds=2)
    device_id = enrol_in_browser(page, live_app, live_server)
    page.locator("#start").click()
    faces = page.locator("button.choice.face")
    faces.first.wait_for()
    assert faces.count() == 3
    for i in range(3):
        box = faces.nth(i).bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48
    _face(page, "Rất hài lòng").click()   # one tap: moves on by itself
    page.locator("[data-step='2']").wait_for()
    _face(page, "Hài lòng").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà!").wait_for()
    page.locator("#start").wait_for(timeout=6000)                         # back home without a touch
    assert _wait(lambda: count_responses(live_app, device_id=device_id) == 1)
    [(_u, mode, partial, probability, answers)] = responses_of(live_app, device_id=device_id)
    assert (mode, partial, probability) == ("kiosk_walkup", False, False)
    assert [(a[0], a[1]) for a in answers] == [("Q1", 3), ("Q2", 2)]


def test_kiosk_idle_prompt_then_reset(page, live_app, live_server, kiosk_config):
    kiosk_config(kiosk_idle_seconds=2, kiosk_prompt_seconds=2)
    device_id = enrol_in_browser(page, live_app, live_server)
    page.locator("#start").click()
    page.locator("button.choice.face").first.wait_for()
    page.get_by_role("heading", name="Ông/Bà vẫn đang đánh giá chứ?").wait_for(timeout=5000)
    page.get_by_role("button", name="Tôi vẫn đang đánh giá").click()   # still here: stays on the question
    assert page.locator("button.choice.face").count() == 3
    page.get_by_role("heading", name="Ông/Bà vẫn đang đánh giá chứ?").wait_for(timeout=5000)
    page.locator("#start").wait_for(timeout=5000)                       # nobody answered: back home
    assert count_responses(live_app, device_id=device_id) == 0
    # kiosk-quick says partial_on_timeout: keep — a face already tapped is kept, flagged partial.
    page.locator("#start").click()
    _face(page, "Chưa hài lòng").click()
    page.locator("[data-step='2']").wait_for()
    page.locator("#start").wait_for(timeout=8000)
    assert _wait(lambda: count_responses(live_app, device_id=device_id) == 1)
    [(_u, _mode, partial, _p, answers)] = responses_of(live_app, device_id=device_id)
    assert partial is True and [(a[0], a[1]) for a in answers] == [("Q1", 1)]


def test_kiosk_offline_queues_answers_and_stores_each_once(page, live_app, live_server, kiosk_config):
    kiosk_config(kiosk_thanks_seconds=1)
    device_id = enrol_in_browser(page, live_app, live_server)
    # Polled from Python: wait_for_function compiles its predicate inside the page, which the CSP (no eval) refuses.
    assert _wait(lambda: page.evaluate("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"))
    page.context.set_offline(True)
    _rate_twice_and_send(page)
    assert page.locator("[data-queue]").inner_text() == "2 đánh giá đang chờ gửi"
    assert page.locator("[data-offline]").is_visible()
    assert count_responses(live_app, device_id=device_id) == 0
    # The shell itself still opens without a network (service worker).
    page.reload()
    page.locator("#start").wait_for()
    assert page.evaluate("window.hailongKiosk.queue().length") == 2
    queued = page.evaluate("window.hailongKiosk.queue()")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert _wait(lambda: count_responses(live_app, device_id=device_id) == 2, timeout=20)
    page.locator("[data-queue]").wait_for(state="hidden")
    # A resend of the same answers (e.g. the reply was lost) is recognised, not stored again.
    status = page.evaluate("""async (item) => {
        const r = await fetch('/kiosk/api/responses', {method: 'POST', body: JSON.stringify(item),
            headers: {'Content-Type': 'application/json',
                      'X-Device-Credential': localStorage.getItem('hailong.device')}});
        return r.status; }""", queued[0])
    assert status == 200
    stored = responses_of(live_app, device_id=device_id)
    assert sorted(u for u, *_ in stored) == sorted(item["uuid"] for item in queued)


FULL_STORAGE = """() => {
    // The tablet's storage takes one queued answer and then is full (QuotaExceededError).
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
        if (key === 'hailong.queue.v1' && JSON.parse(value).length > 1) {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return setItem.call(this, key, value);
    };
}"""


def _device_reports(live_app, device_id):
    from survey.extensions import db
    from survey.models import Device

    with live_app.app_context():
        device = db.session.get(Device, device_id)
        out = (device.queued_reported, device.unsaved_reported)
        db.session.remove()
    return out


def test_kiosk_with_full_storage_keeps_the_answer_in_memory_warns_and_sends_it(page, live_app, live_server,
                                                                              kiosk_config):
    kiosk_config(kiosk_thanks_seconds=1, kiosk_heartbeat_seconds=1)
    device_id = enrol_in_browser(page, live_app, live_server)
    # Submissions do not get through (heartbeats do), and the storage takes only one answer set.
    page.route("**/kiosk/api/responses", lambda route: route.abort())
    page.evaluate(FULL_STORAGE)
    _rate_twice_and_send(page)
    assert page.locator("[data-queue]").inner_text() == "2 đánh giá đang chờ gửi"
    warning = page.locator("[data-storage-full]")
    assert warning.is_visible() and warning.inner_text().startswith("Bộ nhớ của máy đã đầy: 1 đánh giá")
    assert len(page.evaluate("JSON.parse(localStorage.getItem('hailong.queue.v1'))")) == 1
    queued = page.evaluate("window.hailongKiosk.queue()")
    assert queued[0]["answers"] == {"Q1": 2}  # the second answer, held only in memory, goes first
    assert _wait(lambda: _device_reports(live_app, device_id) == (2, 1))  # the devices page can warn
    assert count_responses(live_app, device_id=device_id) == 0
    page.unroute("**/kiosk/api/responses")
    assert _wait(lambda: count_responses(live_app, device_id=device_id) == 2, timeout=20)
    page.locator("[data-queue]").wait_for(state="hidden")
    assert warning.is_hidden()
    assert page.evaluate("JSON.parse(localStorage.getItem('hailong.queue.v1'))") == []
    assert _wait(lambda: _device_reports(live_app, device_id) == (0, 0))
    stored = responses_of(live_app, device_id=device_id)
    assert sorted(u for u, *_ in stored) == sorted(item["uuid"] for item in queued)
