"""analysis.charts: every chart renders PNG and SVG with Vietnamese text (missing glyphs would warn = fail)."""
from __future__ import annotations

import math

import pytest

from analysis import charts
from analysis.charts import Priority, Rates, Row, Series, TargetLine

ROWS = [Row("Sở Tài nguyên và Môi trường", 78.2, 73.1, 82.5, "below"),
        Row("UBND huyện Cẩm Xuyên", 91.5, 88.2, 94.1, "nd"),
        Row("Sở Tư pháp", 96.1, 94.0, 97.6, "meets"),
        Row("UBND xã Cẩm Bình", 88.0, math.nan, math.nan, None, small=True)]
TARGETS = [TargetLine("Mục tiêu 2025", 90), TargetLine("Mục tiêu 2030", 95)]


def _texts(fig):
    found = []
    for text in fig.findobj(lambda o: hasattr(o, "get_text")):
        found.append(text.get_text())
    return " ".join(found)


@pytest.mark.parametrize("build", [
    lambda: charts.forest_plot(ROWS, TARGETS, title="Chỉ số hài lòng theo cơ quan"),
    lambda: charts.element_bars(ROWS, TARGETS[:1], title="Yếu tố"),
    lambda: charts.trend_chart([Series("Toàn tỉnh", [Row("Quý 1", 85, 83, 87), Row("Quý 2", 87, 85, 89)])], TARGETS),
    lambda: charts.priority_matrix([Priority("Thủ tục hành chính", 0.3, 82), Priority("Công chức", 0.1, 90)]),
    lambda: charts.response_rates([Rates("Đất đai", 40, 10, 30, 20)]),
])
def test_charts_render_png_and_svg(build):
    fig = build()
    png = charts.render(fig, "png")
    svg = charts.render(fig, "svg")
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


def test_forest_plot_labels_keep_vietnamese_diacritics_and_targets():
    text = _texts(charts.forest_plot(ROWS, TARGETS))
    for expected in ("Sở Tài nguyên và Môi trường", "Mục tiêu 2025: 90 %", "Dưới mục tiêu", "Đạt mục tiêu",
                     "quá ít câu trả lời"):
        assert expected in text


def test_forest_plot_colours_follow_the_status():
    fig = charts.forest_plot(ROWS[:1], [])
    colours = {line.get_color() for line in fig.axes[0].get_lines() if line.get_xdata().size}
    assert charts.COLOURS["below"] in colours


@pytest.mark.parametrize("build", [
    lambda: charts.forest_plot([], TARGETS),
    lambda: charts.element_bars([]),
    lambda: charts.trend_chart([]),
    lambda: charts.priority_matrix([Priority("Một", 0.2, 80)]),
    lambda: charts.response_rates([Rates("Không có", 0)]),
])
def test_empty_inputs_give_a_message_instead_of_an_error(build):
    fig = build()
    assert "Chưa" in _texts(fig)
    assert charts.render(fig).startswith(b"\x89PNG")


def test_priority_matrix_marks_important_weak_elements_red():
    fig = charts.priority_matrix([Priority("Thủ tục", 0.4, 70), Priority("Kết quả", 0.1, 95),
                                  Priority("Công chức", 0.3, 92)])
    colours = [tuple(c.get_facecolor()[0][:3]) for c in fig.axes[0].collections]
    import matplotlib.colors as mc
    assert tuple(mc.to_rgb(charts.COLOURS["below"])) in colours


def test_render_refuses_unknown_formats():
    with pytest.raises(ValueError):
        charts.render(charts.element_bars([]), "gif")


def test_numbers_use_the_readers_decimal_mark():
    vi = _texts(charts.element_bars([Row("Tiếp cận", 85.4, 80.1, 89.9)], [TargetLine("Mục tiêu", 85.5)]))
    en = _texts(charts.element_bars([Row("Access", 85.4, 80.1, 89.9)], [TargetLine("Target", 85.5)], decimal="."))
    assert "85,4" in vi and "85,5 %" in vi
    assert "85.4" in en and "85.5 %" in en
