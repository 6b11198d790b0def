"""Cache headers (ETag from the publication, 304) and framing: only the widget may be framed."""
from __future__ import annotations

from datetime import date

import pytest

URLS = ["/cong-khai", "/cong-khai/co-quan/T-HCX", "/cong-khai/widget/T-HCX", "/cong-khai/du-lieu.json",
        "/cong-khai/du-lieu.csv"]


@pytest.mark.parametrize("url", URLS)
def test_public_answers_are_cacheable_and_revalidate_with_304(client, world, url):
    first = client.get(url)
    assert first.status_code == 200
    assert "public" in first.headers["Cache-Control"] and "max-age=300" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(url)
    assert again.headers["ETag"] == etag  # the same publication gives the same tag
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 304 and fresh.data == b"" and fresh.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_etag_changes_with_the_language_and_the_publication(client, world, db_session):
    from survey.services.workspace import publishing
    from tests.workspace.conftest import build_world

    vi = client.get("/cong-khai").headers["ETag"]
    assert client.get("/cong-khai?lang=en").headers["ETag"] != vi
    data = client.get("/cong-khai/du-lieu.json").headers["ETag"]
    build_world(db_session, period=(date(2025, 10, 1), date(2025, 12, 31)), code="W-2025Q4", seed=3)
    assert client.get("/cong-khai").headers["ETag"] != vi  # a newer wave is now the one shown
    assert client.get("/cong-khai/du-lieu.json").headers["ETag"] != data
    assert client.get("/cong-khai/du-lieu.json").get_json()["publication"]["wave_code"] == "W-2025Q4"
    assert publishing  # the same publishing path as closing a wave (build_world publishes)


def test_only_the_widget_may_be_framed(client, world):
    widget = client.get("/cong-khai/widget/T-HCX")
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget.headers
    assert "<script" not in widget.get_data(as_text=True)
    for url in ("/cong-khai", "/cong-khai/co-quan/T-HCX", "/cong-khai/du-lieu.json", "/"):
        resp = client.get(url)
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], url
        assert resp.headers["X-Frame-Options"] == "DENY", url
