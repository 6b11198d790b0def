"""Item values of cells below the minimum (HAILONG_MIN_CELL_ANSWERS) are withheld on pages and in exports."""
from __future__ import annotations

import re

from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail, exports
from tests.workspace.conftest import sign_in

WITHHELD = "Chưa đủ số liệu"


def _item_rows(html: str) -> list[str]:
    table = html.split("Tiêu chí (câu hỏi)", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"[^\"]*\"><td><code>.*?</tr>", table, re.S)


def test_a_small_agencys_drill_down_shows_no_item_values(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get(f"/analyst/agencies/{world['commune'].id}").get_data(as_text=True)  # 12 respondents
    rows = _item_rows(html)
    assert rows and all(WITHHELD in r for r in rows)
    assert not any(re.search(r"<strong>\d+,\d</strong>", r) for r in rows)  # no percentage at all
    assert 'data-testid="withheld-note"' in html and "dưới 30 câu trả lời" in html
    assert "Cẩm Bình" in html and "12 người trả lời" in html  # the agency and its count are still there


def test_a_small_service_point_shows_no_item_values(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get(f"/analyst/agencies/{world['commune'].id}/points/{world['dcentre'].id}").get_data(as_text=True)
    assert all(WITHHELD in r for r in _item_rows(html))
    assert client.get(f"/analyst/charts/elements.png?agency={world['commune'].id}").status_code == 200


def test_a_large_agency_keeps_its_item_values(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get(f"/analyst/agencies/{world['land'].id}").get_data(as_text=True)  # 90 respondents
    answered = [r for r in _item_rows(html) if "FBK2" not in r and "FBK3" not in r]  # never asked in the world
    assert answered and not any(WITHHELD in r for r in answered)
    assert all(re.search(r"<strong>\d+,\d</strong>", r) for r in answered)


def test_withheld_cells_keep_their_count_and_lose_every_number(db_session, world):
    view = detail.agency_view(db_session, world["wave"], world["commune"], dash.Filters(world["wave"].id), None, 30)
    cells = view.parts + view.elements + view.items
    assert cells and all(c.est is None and c.value is None and c.meta["withheld"] for c in cells)
    assert {c.n for c in view.items if c.key == "ACC1"} == {12} and view.headline.est is not None
    shown = detail.agency_view(db_session, world["wave"], world["commune"], dash.Filters(world["wave"].id), None, 10)
    assert all(c.est is not None for c in shown.items if c.n >= 10)  # the threshold is the minimum asked for


def test_the_index_export_leaves_withheld_values_empty(db_session, world):
    filters = dash.Filters(world["wave"].id, level="commune")  # only the commune: 12 respondents
    rows = exports.index_rows(db_session, world["wave"], filters, None, 30)
    items = [r for r in rows if r["table"] == "item" and r["n"]]
    assert items and all(r["value"] is None and r["ci_low"] is None and r["status"] == "small" for r in items)
