"""The codebook of released microdata (CSV, Markdown, HTML): variables, labels, values, measurement levels,
where the rows come from (which publication version, or provisional live data), the privacy rules and
what disclosure control did in that very export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from survey.services.common.formats import day, when
from survey.services.common.spreadsheet import CsvStyle, to_csv
from survey.services.workspace import sdc

if TYPE_CHECKING:
    from survey.services.workspace.microdata_rows import Source


def sdc_k() -> int:
    """HAILONG_SDC_K from the app config (5 outside an app): each released combination has at least k rows."""
    try:
        from flask import current_app

        return int(current_app.config.get("SDC_K", 5))
    except RuntimeError:
        return 5


def source_note(src: Source | None) -> str:
    """Which publication version the rows come from (or that they are provisional live data; None: live)."""
    if src is None or src.kind == "live":
        return (
            "Nguồn: dữ liệu hiện tại của đợt, chưa được công bố. Số liệu tạm tính: trọng số và câu trả lời "
            "có thể thay đổi (hồ sơ nhập muộn, câu trả lời mới) cho đến khi đợt được công bố."
        )
    if src.kind == "provisional":
        return (
            "Nguồn: số liệu tạm tính phiên bản %d lúc %s (đợt đang thu): trọng số bằng trọng số của số liệu "
            "tạm tính trên các trang, sẽ thay đổi khi có câu trả lời mới." % (src.version, when(src.published_at, "vi"))
        )
    return (
        "Nguồn: công bố chính thức phiên bản %d ngày %s (mã nội dung %s). Trọng số, tầng và câu trả lời "
        "tính chỉ số lấy từ khung dữ liệu đã đóng băng của phiên bản này: bằng đúng số liệu đã công bố và "
        "không đổi khi nhập thêm hồ sơ; công bố lại là một phiên bản mới."
        % (src.version, day(src.published_at, "vi"), src.content_hash[:12])
    )


PRIVACY_NOTES = [
    "Không có dữ liệu cá nhân: không có số điện thoại, mã hồ sơ, mã phiếu mời, mã thiết bị hay giờ trả lời; "
    "chỉ có ngày gửi và ngày nhận (submitted_at, received_at), cũng được kiểm soát công bố như dưới đây.",
    "Câu trả lời dạng văn bản tự do (góp ý, “khác, ghi rõ”) không bao giờ được xuất"
    " vì có thể chứa họ tên, số điện thoại.",
    "Số thứ tự dòng được xáo trộn ngẫu nhiên ở mỗi lần xuất, không liên kết được với hệ thống.",
    "Thiết kế mẫu (R): svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = d); "
    "trọng số đã được hiệu chỉnh theo số hồ sơ (cơ quan × lĩnh vực), nên sai số chuẩn tính như vậy hơi lớn hơn "
    "(thận trọng) so với bảng chỉ số của hệ thống. Chỉ số của một tiêu chí = tỷ lệ có trọng số của mã 4 và 5 "
    "trong các mã 1–5.",
    "Stata: svyset psu [pweight = weight], strata(stratum) fpc(fpc).  SPSS: Complex Samples với cùng các biến.",
]


def sdc_notes(report: sdc.Report | None = None) -> list[str]:
    """What disclosure control promises and, given one export's report, what it did there."""
    k = report.k if report is not None else sdc_k()
    out = [
        "Kiểm soát công bố thống kê (k = %d): mỗi tổ hợp giá trị của agency, sector, service_point, outcome, "
        "mode, submitted_at, received_at và các câu hỏi về người trả lời có ít nhất %d dòng. Cách làm (như "
        "sdcMicro, không có bước ngẫu nhiên): "
        "gộp tầng nhỏ, mã hoá lại nhóm hiếm (“khác”, cơ quan cấp trên, gộp nhóm liền kề như nhóm tuổi), rồi "
        "để trống từng giá trị cho đến khi đạt; biến %s ghi tên các biến bị để trống ở mỗi dòng (“dates”: cả "
        "submitted_at và received_at; dù ô đó có được trả lời hay không)." % (k, k, sdc.FLAG),
        "Tầng có dưới k người trả lời được gộp (lĩnh vực → “khác”, rồi cơ quan → cơ quan cấp trên); fpc của tầng "
        "gộp là tổng số hồ sơ của các tầng trong đó. Trọng số giữ nguyên nên ước lượng điểm không đổi; sai số chuẩn "
        "có thể lớn hơn một chút (thận trọng). Đánh đổi: trọng số khác nhau giữa các ô cơ quan × lĩnh vực, nên ai "
        "biết chính xác số hồ sơ của từng ô có thể đoán ô của một dòng.",
    ]
    if report is None:
        return out
    if report.withheld_rows:
        out.append("Phạm vi này chỉ có %d người trả lời, ít hơn k: không xuất dòng nào." % report.withheld_rows)
    out += ["Mã hoá lại %s: %s → %s." % (r.variable, ", ".join(r.original), r.released) for r in report.recodes]
    detail = ", ".join("%s %d" % kv for kv in sorted(report.suppressed.items()))
    out.append(
        "Trong tệp này: %d dòng, %d tầng công bố (%d tầng mẫu được gộp), %d giá trị đã trả lời bị để trống%s; "
        "%d dòng bị để trống toàn bộ chỉ để nhóm đủ k."
        % (
            report.rows,
            report.strata,
            report.strata_collapsed,
            report.total_suppressed,
            " (%s)" % detail if detail else "",
            report.filled,
        )
    )
    return out


MEASURES = {"nominal": "định danh", "ordinal": "thứ bậc", "scale": "định lượng"}
CSV_NOTE = (
    "CSV: mặc định cho Excel tiếng Việt (UTF-8 có BOM, dấu chấm phẩy ngăn cột, dấu phẩy thập phân, ngày "
    "dd/mm/yyyy); thêm ?csv=intl vào địa chỉ tải để có dấu phẩy ngăn cột, dấu chấm thập phân và ngày "
    "yyyy-mm-dd (R read.csv, Stata, pandas, Excel tiếng Anh). Trọng số ghi đủ chữ số."
)


def codebook(
    vars_: list[Any],
    fmt: str,
    title: str = "",
    report: sdc.Report | None = None,
    source: Source | None = None,
    style: CsvStyle = "vi",
) -> bytes:
    """The codebook as CSV (in `style`), Markdown or HTML: name, label, type, SPSS measurement level, value
    labels, then where the rows come from (`source`: the publication version, or provisional live data),
    the privacy notes and disclosure control (with `report`, the export's own k, recodes and counts of
    withheld values)."""
    origin = source_note(source) if source is not None else ""  # no source given: no claim about it
    notes = ([origin] if origin else []) + PRIVACY_NOTES + sdc_notes(report) + [CSV_NOTE]

    def values(v: Any) -> str:
        return "; ".join("%s = %s" % (k, t) for k, t in v.values.items())

    def measure(v: Any) -> str:
        return "%s (%s)" % (v.measure, MEASURES[v.measure])

    if fmt == "csv":
        return to_csv(
            ["variable", "label", "type", "measure", "values", "question"],
            [[v.name, v.label, v.kind, v.measure, values(v), v.source] for v in vars_]
            + [["#", note, "", "", "", ""] for note in notes],
            style,
        )
    if fmt == "md":
        lines = [
            "# " + (title or "Codebook"),
            "",
            *([origin, ""] if origin else []),
            "| Biến | Nhãn | Kiểu | Thang đo | Giá trị |",
            "|---|---|---|---|---|",
        ]
        lines += [
            "| %s | %s | %s | %s | %s |"
            % (v.name, v.label.replace("|", "/"), v.kind, measure(v), values(v).replace("|", "/"))
            for v in vars_
        ]
        lines += ["", "## Ghi chú", ""] + ["- " + n for n in notes]
        return ("\n".join(lines) + "\n").encode("utf-8")
    if fmt == "html":
        from markupsafe import escape

        rows = "".join(
            "<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
            % (escape(v.name), escape(v.label), escape(v.kind), escape(measure(v)), escape(values(v)))
            for v in vars_
        )
        items = "".join("<li>%s</li>" % escape(n) for n in notes)
        html = (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>%s</title>'
            "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ccc;padding:4px 8px;"
            "text-align:left;vertical-align:top}table{border-collapse:collapse}</style></head><body><h1>%s</h1>"
            '<p class="source">%s</p><table><thead><tr><th>Biến</th><th>Nhãn</th><th>Kiểu</th><th>Thang đo</th>'
            "<th>Giá trị</th></tr></thead><tbody>%s</tbody></table><h2>Ghi chú</h2><ul>%s</ul></body></html>"
        ) % (escape(title), escape(title), escape(origin), rows, items)
        return html.encode("utf-8")
    raise ValueError("codebook format must be csv, md or html")
