"""Agency viewers see only their agency subtree on every page, chart, report and export."""
from __future__ import annotations

import io
import re

import pytest

from tests.workspace.conftest import PASSWORD, sign_in

FOREIGN = ("Sở Xây dựng", "T-SXD", "Cẩm Xuyên", "T-HCX", "Cẩm Bình", "Trung tâm HCC huyện")


def _analyst_urls(app, world) -> list[str]:
    """Every GET route of the analyst blueprint, with path arguments pointing at *another* agency."""
    args = {"agency_id": world["build"].id, "point_id": world["centre"].id, "name": "agencies", "fmt": "png"}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("analyst.") or "GET" not in rule.methods:
            continue
        if rule.endpoint == "analyst.chart":
            for name in ("agencies", "elements", "items", "sectors", "points", "trends", "priorities", "rates"):
                urls.append("/analyst/charts/%s.svg" % name)
            urls.append("/analyst/charts/elements.svg?agency=%d" % world["build"].id)
            continue
        if rule.endpoint == "analyst.export":
            for kind, fmts in (("index", ("csv", "xlsx")), ("microdata", ("csv", "sav")),
                               ("codebook", ("csv", "md", "html"))):
                urls += ["/analyst/export/%s.%s" % (kind, f) for f in fmts]
            continue
        path = rule.rule
        for key, value in args.items():
            path = path.replace("<int:%s>" % key, str(value)).replace("<%s>" % key, str(value))
        urls.append(path)
    # the same pages with filters that point at the other agencies' sectors and levels
    urls += ["/analyst/?sector=construction", "/analyst/agencies?level=district", "/analyst/report.pdf?lang=en",
             "/analyst/trends?sector=construction", "/analyst/points?level=commune"]
    return urls


def _readable(resp) -> str:
    """The response as text whatever its format (HTML, SVG, CSV, XLSX, SAV, PDF)."""
    body = resp.data
    if body.startswith(b"%PDF"):
        from pypdf import PdfReader

        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    if body.startswith(b"PK"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        return " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    return body.decode("utf-8", errors="replace")


def test_the_route_list_covers_every_analyst_endpoint(app, world):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()
                 if r.endpoint.startswith("analyst.") and "GET" in r.methods}  # POST-only steps are forms, not pages
    urls = _analyst_urls(app, world)
    assert {"analyst.dashboard", "analyst.agency", "analyst.agency_point", "analyst.chart", "analyst.report",
            "analyst.export"} <= endpoints
    assert len(urls) >= len(endpoints) + 14 + 5


def test_no_analyst_url_shows_another_agency_to_a_viewer(app, client, world, viewer):
    sign_in(client, "xem.tnmt")
    shown = 0
    for url in _analyst_urls(app, world):
        resp = client.get(url)
        assert resp.status_code in (200, 403, 404), url
        if resp.status_code != 200:
            continue
        shown += 1
        text = _readable(resp)
        for name in FOREIGN:
            assert name not in text, (url, name)
    assert shown >= 20  # the viewer really saw pages; a blanket 403 would prove nothing


def test_drill_down_into_another_agency_is_404(client, world, viewer):
    sign_in(client, "xem.tnmt")
    assert client.get("/analyst/agencies/%d" % world["build"].id).status_code == 404
    assert client.get("/analyst/agencies/%d" % world["province"].id).status_code == 404
    assert client.get("/analyst/agencies/%d/points/%d" % (world["build"].id, world["centre"].id)).status_code == 404
    assert client.get("/analyst/charts/elements.png?agency=%d" % world["build"].id).status_code == 404


def test_viewer_sees_own_agency_and_its_numbers(client, world, viewer, analyst):
    sign_in(client, "xem.tnmt")
    own = client.get("/analyst/agencies/%d" % world["land"].id)
    assert own.status_code == 200 and "Sở Tài nguyên và Môi trường" in own.get_data(as_text=True)
    viewer_headline = re.search(r'data-testid="headline-value">([^<]+)<',
                                client.get("/analyst/").get_data(as_text=True)).group(1)
    own_index = re.search(r'class="big-number">([^<]+)<', own.get_data(as_text=True)).group(1)
    assert viewer_headline.strip() == own_index.strip()  # the viewer's headline is its own agency, not the province
    client.post("/auth/logout")
    sign_in(client, "phan.tich")
    province = re.search(r'data-testid="headline-value">([^<]+)<',
                         client.get("/analyst/").get_data(as_text=True)).group(1)
    assert province.strip() != viewer_headline.strip()


def test_viewer_microdata_holds_only_own_rows(client, world, viewer):
    sign_in(client, "xem.tnmt")
    csv_text = client.get("/analyst/export/microdata.csv?csv=intl").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    column = lines[0].lstrip("\ufeff").split(",").index("agency")
    agencies = {line.split(",")[column] for line in lines[1:]}
    assert agencies == {"T-STNMT"} and len(lines) - 1 == 90


def test_viewer_pdf_names_its_scope(client, world, viewer):
    sign_in(client, "xem.tnmt")
    text = _readable(client.get("/analyst/report.pdf"))
    assert "Phạm vi: Sở Tài nguyên và Môi trường" in text


@pytest.mark.parametrize("url", ["/analyst/", "/analyst/agencies", "/analyst/report.pdf",
                                 "/analyst/export/microdata.csv", "/analyst/charts/agencies.png"])
def test_officers_are_refused_and_anonymous_users_sent_to_sign_in(client, world, db_session, url):
    from survey.services.accounts.users import create_user

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    create_user(db_session, "quay", PASSWORD, "officer", service_point_id=world["centre"].id)
    sign_in(client, "quay")
    assert client.get(url).status_code == 403


def test_viewer_without_an_agency_sees_nothing(client, world, db_session, viewer):
    viewer.agency_id = None  # e.g. the agency link was removed by hand in the database
    db_session.flush()
    sign_in(client, "xem.tnmt")
    text = client.get("/analyst/agencies").get_data(as_text=True)
    assert "Sở Tài nguyên" not in text.split("Xếp hạng cơ quan")[-1]
    for name in FOREIGN:
        assert name not in text


# Every export is traced: a file leaves the system only with its audit row (who, what, when).

@pytest.mark.parametrize("command, name", [(["report"], "bao-cao.pdf"), (["export", "index"], "chi-so.csv"),
                                           (["export", "codebook"], "codebook.md")])
def test_an_export_whose_audit_row_is_refused_leaves_no_file_and_no_traceback(runner, world, db_session, tmp_path,
                                                                              command, name):
    from tests.foundation.test_txn import refuse_inserts

    refuse_inserts(db_session, "audit_log", "NEW.action LIKE 'export.%'")
    result = runner.invoke(args=[*command, "--wave", world["wave"].code, "--out", str(tmp_path / name)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Lỗi cơ sở dữ liệu, không ghi gì" in result.output and "refused by a test trigger" in result.output
    assert list(tmp_path.iterdir()) == []  # neither the file nor a half-written or staged copy


def test_an_export_is_written_with_its_audit_row(runner, world, db_session, tmp_path):
    from survey.models import AuditLog

    out = tmp_path / "codebook.md"
    result = runner.invoke(args=["export", "codebook", "--wave", world["wave"].code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    db_session.rollback()  # keeps only what the command committed
    assert out.read_text(encoding="utf-8").startswith("# Codebook")
    assert db_session.query(AuditLog).filter_by(action="export.codebook", target_id=world["wave"].code).count() == 1
    assert [p.name for p in tmp_path.iterdir()] == ["codebook.md"]


def test_a_download_whose_audit_row_is_refused_is_not_sent(client, world, viewer, db_session):
    from tests.foundation.test_txn import refuse_inserts

    sign_in(client, "xem.tnmt")
    refuse_inserts(db_session, "audit_log", "NEW.action LIKE 'export.%'")
    resp = client.get("/analyst/export/microdata.csv")
    assert resp.status_code == 500 and "T-STNMT" not in resp.get_data(as_text=True)
