"""README.md of a pack: what the files are and how to rerun the numbers (docs/reproducibility.md in full)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData

TEXT = """# Gói tái lập / Reproducibility pack — %(wave)s, phiên bản %(version)s

%(wave_name)s (%(period_start)s – %(period_end)s). Công bố lúc %(published_at)s; phương pháp %(method_version)s;
mã nguồn %(code_version)s; content hash `%(content_hash)s`. %(respondents)d người trả lời;
%(collapsed)d tầng chỉ có một người trả lời được gộp với tầng lân cận trước khi hậu phân tầng.

| file | nội dung / contents |
|---|---|
| microdata.csv, .sav, .dta | mỗi dòng một người trả lời / one row per respondent (design, domains, answers) |
| calibration_cells.csv | tổng số hồ sơ của từng ô hậu phân tầng (như đã công bố) / the calibration totals as frozen |
| strata.csv | tầng phương sai, fpc, số người trả lời / variance strata |
| codebook.csv, index_tree.csv | tên biến, nhãn (vi, en), cây chỉ số / variables, labels, the index tree |
| published.csv | mọi số đã công bố, đủ độ chính xác / every published number, full precision |
| reproduce.R, reproduce.do, reproduce.sps | cú pháp R (survey), Stata, SPSS |
| manifest.json | mã băm SHA-256 của từng tệp / each file's SHA-256 |

Chạy / run: `Rscript reproduce.R` (gói R survey ≥ 4.1) — in ra số con số khớp với published.csv
(sai khác ≤ 1e-6 điểm phần trăm) và sai khác lớn nhất; `do reproduce.do` trong Stata; SPSS: mở reproduce.sps.

Thiết kế (R): `svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~w_nonresponse)`, rồi
`postStratify(~cell, calibration_cells.csv, partial = TRUE)`, `options(survey.lonely.psu = "%(lonely)s")`.
Chỉ dùng w_final làm trọng số cố định thì ra đúng giá trị nhưng không đúng sai số chuẩn: phải khai báo hậu phân tầng.

Không có dữ liệu cá nhân: không mã hồ sơ, mã phiếu, số điện thoại, thiết bị, văn bản tự do hay thời điểm;
row_id đánh theo nội dung dòng. Câu hỏi về người trả lời bị để trống ở tổ hợp có dưới %(k)s dòng
(cột profile_withheld).
"""


def render(data: PackData) -> str:
    """The pack's README (Vietnamese first, English in the table)."""
    m = data.meta
    return TEXT % {**m, "collapsed": m.get("collapsed_strata", 0), "lonely": data.settings.get("lonely_psu", "adjust"),
                   "k": m.get("k", 5)}
