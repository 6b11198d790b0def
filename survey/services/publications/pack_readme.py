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

published.csv: mỗi dòng một số đã công bố / one row per published number — `grouping` (overall, agency,
sector, agency_sector, service_point), `key` (mã đơn vị / unit code), `level` (item, element, part, overall:
chỉ số hài lòng / the satisfaction index; indicator: chỉ số đánh giá và nhu cầu / judgement indicators and
needs, chỉ có cho toàn tỉnh, cơ quan, lĩnh vực / province, agencies and sectors only), `component` (mã chỉ
tiêu; với indicator là `<câu hỏi>=<phương án>` / for an indicator `<question>=<option>`), value, se, ci_low,
ci_high, df, n (phần trăm / percent). Một indicator là tỷ lệ có trọng số người chọn phương án trong số người
trả lời câu hỏi đó của đơn vị / an indicator is the weighted share, among the unit's respondents to the
question, of those who chose the option (R: `svyciprop(~I(q == k), subset(des, !is.na(q) & unit))`); câu
nhiều lựa chọn: mỗi phương án một cột 0/1, cột `option` của codebook.csv / multiple choice: one 0/1 column
per option, named in codebook.csv's `option` column.

Chạy / run — cả ba cú pháp tính lại **mọi dòng** của published.csv / all three recompute **every row**:

- R (survey ≥ 4.1): `Rscript reproduce.R` → r_results.csv, r_comparison.csv; in ra số con số khớp (sai khác
  ≤ 1e-6 điểm phần trăm) và sai khác lớn nhất, mã thoát 1 nếu có số không khớp / prints how many numbers agree
  within 1e-6 points and the worst difference; exit status 1 when one disagrees.
- Stata ≥ 15: `do reproduce.do` → stata_results.csv (svyset … poststrata(); chỉ số / index: svy total + nlcom;
  indicator: svy mean trong subpop / in the subpopulation); so sánh với / compare with published.csv.
- SPSS ≥ 25 hoặc / or GNU PSPP ≥ 1.6: mở và chạy / open and Run All reproduce.sps → spss_results.csv; so sánh
  với / compare with published.csv. Complex Samples không hậu phân tầng được nên cú pháp tính theo công thức
  bằng MATRIX / Complex Samples cannot post-stratify, so the syntax computes the formulas in MATRIX.

Stata và SPSS chỉ dựng khoảng tin cậy logit (Clopper–Pearson khi tỷ lệ là 0 hoặc 100 %%) / Stata and SPSS build
logit intervals only (Clopper–Pearson at 0 and 100 %%)%(method_note)s. Kiểm thử của nền tảng chạy reproduce.R
(R) và reproduce.sps (GNU PSPP) trên các đợt thử và so sánh mọi số; reproduce.do chỉ được kiểm tra dạng văn bản
(không có Stata) / the platform's tests run reproduce.R (R) and reproduce.sps (GNU PSPP) on test waves and compare
every number; reproduce.do is checked as text only (no Stata there).

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
    method = data.settings.get("method", "logit")
    note = (
        ""
        if method == "logit"
        else (
            "; phiên bản này dùng khoảng %s: chỉ R tính lại được khoảng tin cậy / this version used %s "
            "intervals: only R recomputes them" % (method, method)
        )
    )
    return TEXT % {
        **m,
        "collapsed": m.get("collapsed_strata", 0),
        "lonely": data.settings.get("lonely_psu", "adjust"),
        "k": m.get("k", 5),
        "method_note": note,
    }
