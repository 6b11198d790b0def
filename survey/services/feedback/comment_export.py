"""CSV and XLSX of the inbox's filtered comments: the redacted text with where, when (the day) and themes.

No ids of any kind (comment, response, dossier) and never the raw text: a file leaves the platform and
is forwarded, so it holds what the inbox page shows and nothing that leads back to a person. Every cell
goes through common.spreadsheet (a comment starting with "=" is text, not a formula). Headers are in
Vietnamese, the province's working language; names follow the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from sqlalchemy.orm import Session

from survey.services.common import formats
from survey.services.common.spreadsheet import CsvStyle, to_csv, xlsx_row, xlsx_table
from survey.services.feedback import inbox

COLUMNS = ["Ngày", "Đợt khảo sát", "Cơ quan", "Điểm phục vụ", "Đánh giá chung (1–5)", "Nguồn", "Chủ đề", "Góp ý"]
SAMPLE = {True: "Mẫu xác suất", False: "Tự đánh giá tại quầy (không thuộc mẫu)"}
BATCH = 1000
MAX_ROWS = 100_000  # one file; a larger inbox is exported by wave or date range


def rows(session: Session, filters: inbox.Filters, visible: set[int] | None, locale: str = "vi") -> Iterator[list]:
    """The filtered comments as export rows (COLUMNS), newest first, read in batches."""
    query = inbox.select_rows(session, filters, visible, "day", True)
    for start in range(0, MAX_ROWS, BATCH):
        batch = inbox.rows_of(session, session.execute(query.limit(BATCH).offset(start)))
        for r in batch:
            yield [
                r.day,
                formats.named(r.wave, locale),
                formats.named(r.agency, locale),
                formats.named(r.point, locale),
                r.overall,
                SAMPLE[bool(r.probability_sample)],
                "; ".join(formats.named(t, locale) for t, _auto in r.themes),
                r.text,
            ]
        if len(batch) < BATCH:
            return


def csv_bytes(
    session: Session, filters: inbox.Filters, visible: set[int] | None, locale: str = "vi", style: CsvStyle = "vi"
) -> bytes:
    """UTF-8 CSV (with BOM) of the filtered comments in a CSV style (common.spreadsheet: "vi" or "intl")."""
    return to_csv(COLUMNS, rows(session, filters, visible, locale), style)


def xlsx_bytes(session: Session, filters: inbox.Filters, visible: set[int] | None, locale: str = "vi") -> bytes:
    """One-sheet XLSX of the filtered comments, the filters written on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "Góp ý"
    day = formats.excel_format("day", locale)
    xlsx_table(
        ws,
        COLUMNS,
        rows(session, filters, visible, locale),
        [day, None, None, None, "0", None, None, None],
        [12, 22, 34, 30, 12, 18, 30, 80],
    )
    for cell in ws["H"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes = wb.create_sheet("Bộ lọc")
    notes.append(xlsx_row(["Bộ lọc", "Giá trị"]))
    for key, value in filters.args().items():
        notes.append(xlsx_row([key, value]))
    notes.append(
        xlsx_row(
            ["Ghi chú", "Nội dung góp ý đã được che thông tin cá nhân; không có mã hồ sơ, mã phiếu hay giờ trả lời."]
        )
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
