"""CSRF on the link survey's forms, rate limits per token, and the limiter itself."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from survey.models import ResponseDraft
from survey.web.limits import RateLimiter


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_screen_post_without_csrf_token_is_refused_and_saves_nothing(client, survey_data, db_session, csrf_enabled):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    before = db_session.scalar(select(ResponseDraft.data).where(ResponseDraft.invitation_id == survey_data["inv"].id))
    resp = client.post(f"/s/{t}/1", data={"q_ACC1": "4", "action": "next"})
    assert resp.status_code == 400 and "Phiên làm việc đã hết hạn" in resp.get_data(as_text=True)
    after = db_session.scalar(select(ResponseDraft.data).where(ResponseDraft.invitation_id == survey_data["inv"].id))
    assert after == before and after["answers"] == {}


def test_screen_post_with_csrf_token_from_the_page_works(client, survey_data, csrf_enabled):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    token = _csrf(client.get(f"/s/{t}/1").get_data(as_text=True))
    resp = client.post(f"/s/{t}/1", data={"q_ACC1": "4", "action": "next", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/s/{t}/2")


def test_kiosk_json_endpoints_are_csrf_exempt_but_need_the_device(client, survey_data, db_session, csrf_enabled):
    from tests.respond.factories import add_device

    _device, credential = add_device(db_session, survey_data["reg"]["point"])
    db_session.commit()
    assert client.post("/kiosk/api/heartbeat", json={"queued": 1}).status_code == 401
    assert client.post("/kiosk/api/heartbeat", json={"queued": 1},
                       headers={"X-Device-Credential": credential}).status_code == 200


def test_rate_limit_is_per_token(app, client, survey_data, db_session):
    from tests.respond.factories import add_invitation

    _inv2, other = add_invitation(db_session, survey_data["wave"], survey_data["reg"])
    db_session.commit()
    app.config["RATE_LIMITS"] = {"token": (3, 0.001)}
    try:
        codes = [client.get(f"/s/{survey_data['token']}").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get(f"/s/{survey_data['token']}")
        assert "thao tác hơi nhanh" in limited.get_data(as_text=True) and limited.headers["Retry-After"]
        assert client.get(f"/s/{other}").status_code == 200  # another invitation, same address: fine
    finally:
        app.config.pop("RATE_LIMITS")


def test_token_bucket_refills_over_time():
    limiter = RateLimiter()
    assert [limiter.hit("k", "a", 2, 1.0, now=0.0)[0] for _ in range(3)] == [True, True, False]
    allowed, wait = limiter.hit("k", "a", 2, 1.0, now=0.5)
    assert not allowed and 0 < wait <= 0.5 + 1e-9
    assert limiter.hit("k", "a", 2, 1.0, now=1.1)[0] is True
    assert limiter.hit("k", "b", 2, 1.0, now=1.1)[0] is True  # keys are independent


def _take(path, n, out):
    """In a child process: try n requests of one device against the shared table; report how many passed."""
    shared = RateLimiter(path)
    out.put(sum(shared.hit("device", "7", 100, 0.0)[0] for _ in range(n)))


def test_rate_limit_is_one_allowance_for_all_worker_processes(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")  # as gunicorn makes its workers
    out = ctx.Queue()
    workers = [ctx.Process(target=_take, args=(str(tmp_path / "limits.bin"), 60, out)) for _ in range(4)]
    for w in workers:
        w.start()
    passed = [out.get(timeout=30) for _ in workers]
    for w in workers:
        w.join(10)
    assert sum(passed) == 100, passed  # 240 tries, capacity 100 in all: not 100 per process


def test_two_keys_sharing_a_slot_never_lock_each_other_out():
    table = RateLimiter(slots=1)  # every key lands on the one slot
    assert [table.hit("device", "a", 1, 0.0, now=1.0)[0] for _ in range(2)] == [True, False]
    assert table.hit("device", "b", 1, 0.0, now=1.0)[0] is True  # the newcomer starts a full bucket


def test_drafts_never_hold_answers_of_other_invitations(client, survey_data, db_session):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    client.post(f"/s/{t}/1", data={"q_ACC1": "4", "action": "next"})
    assert db_session.scalar(select(func.count()).select_from(ResponseDraft)
                             .where(ResponseDraft.invitation_id == survey_data["inv"].id)) == 1


def test_free_text_is_escaped_when_shown_again(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    client.post(f"/s/{t}/1", data={"q_ACC1": "4", "action": "next"})
    client.post(f"/s/{t}/2", data={"q_KQ1": "1", "action": "next"})
    client.post(f"/s/{t}/3", data={"q_CMT": "<script>alert(1)</script>", "q_AGE": "5", "action": "next"})
    page = client.get(f"/s/{t}/3").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
