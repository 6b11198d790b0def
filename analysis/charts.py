"""Server-side charts (matplotlib Agg, no pyplot, no Flask): pure functions from numbers to figures.

Every function takes already computed numbers (the analysis engine's estimates, as plain
values) and returns a ``matplotlib.figure.Figure``; ``render(fig, "png"|"svg")`` turns it into
bytes. Labels are passed in by the caller (already translated); the defaults are Vietnamese.
Text uses DejaVu Sans, which ships with matplotlib and covers every Vietnamese diacritic.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

FONT = "DejaVu Sans"
COLOURS = {"meets": "#1e6b2e", "below": "#a11d1d", "nd": "#8a5300", "small": "#8c8c8c", None: "#0b5394"}
STATUS_LABELS = {"meets": "Đạt mục tiêu", "below": "Dưới mục tiêu", "nd": "Chưa phân định được"}
TARGET_STYLES = ["--", ":", "-.", (0, (5, 1, 1, 1))]
TARGET_COLOURS = ["#4a4a4a", "#6a3d9a", "#b15928", "#1f78b4"]
STYLE = {
    "font.family": FONT,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
}


@dataclass(frozen=True)
class Row:
    """One estimate to draw: a label, value and CI in percent, a status and a flag for small cells."""

    label: str
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    status: str | None = None
    small: bool = False


@dataclass(frozen=True)
class TargetLine:
    """A target (percent) drawn as a reference line, e.g. ("Mục tiêu 2025", 90)."""

    label: str
    value: float


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _wrap(label: str, width: int = 38) -> str:
    """Shorten long agency names so the axis stays readable (full names are in the tables)."""
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def axis_range(values: Sequence[float], targets: Sequence[TargetLine] = ()) -> tuple[float, float]:
    """The percent axis that shows every value and target: from 5 below the lowest (rounded down to a
    multiple of 5, never below 0) to 100. Pass it as forest_plot(xlim=...) to put several charts (e.g.
    the top and the bottom of a ranking) on one axis, so their intervals can be compared by eye."""
    finite = [v for v in values if _finite(v)] + [t.value for t in targets]
    if not finite:
        return 0.0, 100.0
    lo = max(0.0, math.floor(min(finite) / 5.0) * 5.0 - 5.0)
    return lo, 100.0


def row_values(rows: Sequence[Row]) -> list[float]:
    """Every number a row draws (point and interval ends), for axis_range()."""
    return [v for r in rows for v in (r.ci_low, r.value, r.ci_high)]


def _num(value: float, digits: int | None, decimal: str) -> str:
    """A number with the reader's decimal mark ("," in Vietnamese); digits=None drops trailing zeros."""
    text = ("%g" % value) if digits is None else ("%.*f" % (digits, value))
    return text.replace(".", decimal)


def _decimal_ticks(ax, decimal: str) -> None:
    """Tick labels with the reader's decimal mark."""
    if decimal != ".":
        from matplotlib.ticker import FuncFormatter

        fmt = FuncFormatter(lambda v, _pos: ("%g" % round(v, 6)).replace(".", decimal))
        ax.xaxis.set_major_formatter(fmt)
        ax.yaxis.set_major_formatter(fmt)


def _targets(ax, targets: Sequence[TargetLine], vertical: bool, decimal: str = ",") -> None:
    for k, target in enumerate(targets):
        style = dict(
            color=TARGET_COLOURS[k % 4],
            linestyle=TARGET_STYLES[k % 4],
            linewidth=1.2,
            label="%s: %s %%" % (target.label, _num(target.value, None, decimal)),
        )
        (ax.axvline if vertical else ax.axhline)(target.value, **style)


def _legend(fig: Figure, ax) -> None:
    """A legend below the plot, outside the data, so it never hides a point."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))  # one entry per label (e.g. the flagged-point note of every series)
    handles, labels = list(unique.values()), list(unique)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(handles)), fontsize=8, frameon=False)


def _empty(fig: Figure, message: str) -> Figure:
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#4a4a4a", wrap=True)
    return fig


def forest_plot(
    rows: Sequence[Row],
    targets: Sequence[TargetLine] = (),
    title: str = "",
    xlabel: str = "Chỉ số hài lòng (%) và khoảng tin cậy 95 %",
    small_note: str = "○ quá ít câu trả lời: không xếp hạng",
    empty: str = "Chưa có dữ liệu",
    status_labels: dict | None = None,
    decimal: str = ",",
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Agencies' indices with their CIs as horizontal intervals, coloured by status, with target lines;
    `xlim` fixes the axis (a shared axis_range()), else it fits these rows."""
    with matplotlib.rc_context(STYLE):
        height = max(2.4, 0.32 * len(rows) + 1.6)
        fig = Figure(figsize=(8.0, height), layout="constrained")
        if not rows:
            return _empty(fig, empty)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows):
            colour = COLOURS["small"] if row.small else COLOURS.get(row.status, COLOURS[None])
            if _finite(row.ci_low, row.ci_high):
                ax.plot([row.ci_low, row.ci_high], [y, y], color=colour, linewidth=2.2, solid_capstyle="butt")
            if _finite(row.value):
                ax.plot(
                    [row.value],
                    [y],
                    marker="o",
                    markersize=6,
                    color=colour,
                    markerfacecolor="white" if row.small else colour,
                    zorder=3,
                )
        ax.set_yticks(ys, [_wrap(r.label) for r in rows])
        ax.set_xlim(*(xlim or axis_range(row_values(rows), targets)))
        ax.set_ylim(-0.7, len(rows) - 0.3)
        _targets(ax, targets, vertical=True, decimal=decimal)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        if title:
            ax.set_title(title, loc="left")
        labels = status_labels or STATUS_LABELS
        for status in ("meets", "nd", "below"):
            if any(r.status == status and not r.small for r in rows):
                ax.plot([], [], marker="o", color=COLOURS[status], linewidth=2.2, label=labels[status])
        if any(r.small for r in rows):
            ax.plot(
                [],
                [],
                marker="o",
                linestyle="none",
                color=COLOURS["small"],
                markerfacecolor="white",
                label=small_note.lstrip("○ "),
            )
        _legend(fig, ax)
        return fig


def element_bars(
    rows: Sequence[Row],
    targets: Sequence[TargetLine] = (),
    title: str = "",
    xlabel: str = "Tỷ lệ hài lòng (%)",
    empty: str = "Chưa có dữ liệu",
    decimal: str = ",",
) -> Figure:
    """Horizontal bars (elements or items) with CI whiskers and the value written at the bar's end."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(8.0, max(2.4, 0.42 * len(rows) + 1.4)), layout="constrained")
        if not rows:
            return _empty(fig, empty)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows):
            if not _finite(row.value):
                ax.text(1, y, "—", va="center", color=COLOURS["small"])
                continue
            colour = COLOURS["small"] if row.small else COLOURS.get(row.status, COLOURS[None])
            ax.barh(y, row.value, height=0.6, color=colour, alpha=0.85)
            if _finite(row.ci_low, row.ci_high):
                ax.errorbar(
                    row.value,
                    y,
                    xerr=[[row.value - row.ci_low], [row.ci_high - row.value]],
                    fmt="none",
                    ecolor="#1a1a1a",
                    elinewidth=1,
                    capsize=3,
                )
            ax.text(
                min(row.value, 100) - 1.0,
                y,
                _num(row.value, 1, decimal),
                va="center",
                ha="right",
                color="white",
                fontsize=8,
                fontweight="bold",
            )
        ax.set_yticks(ys, [_wrap(r.label, 44) for r in rows])
        ax.set_xlim(0, 100)
        _targets(ax, targets, vertical=True, decimal=decimal)
        ax.set_xlabel(xlabel)
        if title:
            ax.set_title(title, loc="left")
        _legend(fig, ax)
        return fig


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: a label and one Row per period (Row.label is the period)."""

    label: str
    points: Sequence[Row]


def trend_chart(
    series: Sequence[Series],
    targets: Sequence[TargetLine] = (),
    title: str = "",
    ylabel: str = "Chỉ số hài lòng (%)",
    empty: str = "Chưa có dữ liệu của các kỳ trước",
    decimal: str = ",",
    small_note: str = "",
) -> Figure:
    """Indices across periods: a line per series with its 95 % CI as a shaded band, and target lines.

    Flagged points (Row.small: too few answers or too uncertain) are drawn hollow and joined by a dotted
    line, so a handful of answers never looks like a measured change; `small_note` labels them.
    """
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(8.0, 3.8), layout="constrained")
        periods: list[str] = []
        for s in series:
            for p in s.points:
                if p.label not in periods:
                    periods.append(p.label)
        if not periods:
            return _empty(fig, empty)
        ax = fig.add_subplot()
        palette = ["#0b5394", "#a11d1d", "#1e6b2e", "#8a5300", "#6a3d9a", "#b15928"]
        values = []
        for k, s in enumerate(series):
            xs = [periods.index(p.label) for p in s.points if _finite(p.value)]
            pts = [p for p in s.points if _finite(p.value)]
            colour = palette[k % len(palette)]
            ax.plot(xs, [p.value for p in pts], color=colour, linewidth=2, label=s.label)
            for j in range(1, len(pts)):  # a segment touching a flagged point is dotted
                if pts[j].small or pts[j - 1].small:
                    ax.plot(xs[j - 1 : j + 1], [pts[j - 1].value, pts[j].value], color="white", linewidth=2.4)
                    ax.plot(
                        xs[j - 1 : j + 1], [pts[j - 1].value, pts[j].value], color=colour, linewidth=1.4, linestyle=":"
                    )
            solid = [(x, p.value) for x, p in zip(xs, pts) if not p.small]
            hollow = [(x, p.value) for x, p in zip(xs, pts) if p.small]
            if solid:
                ax.plot(*zip(*solid), linestyle="none", marker="o", color=colour)
            if hollow:
                ax.plot(
                    *zip(*hollow),
                    linestyle="none",
                    marker="o",
                    markerfacecolor="white",
                    color=colour,
                    label=small_note or None,
                )
            band = [(x, p) for x, p in zip(xs, pts) if _finite(p.ci_low, p.ci_high)]
            if band:
                ax.fill_between(
                    [x for x, _p in band],
                    [p.ci_low for _x, p in band],
                    [p.ci_high for _x, p in band],
                    color=colour,
                    alpha=0.15,
                    linewidth=0,
                )
            values += [p.ci_low for p in pts] + [p.value for p in pts]
        _targets(ax, targets, vertical=False, decimal=decimal)
        ax.set_xticks(range(len(periods)), periods)
        ax.set_xlim(-0.3, len(periods) - 0.7)
        lo, _hi = axis_range(values, targets)
        ax.set_ylim(lo, 100)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        if title:
            ax.set_title(title, loc="left")
        _legend(fig, ax)
        return fig


@dataclass(frozen=True)
class Priority:
    """One element in the importance–performance matrix."""

    label: str
    importance: float
    performance: float


def priority_matrix(
    points: Sequence[Priority],
    title: str = "",
    xlabel: str = "Mức độ quan trọng (tác động đến hài lòng chung)",
    ylabel: str = "Tỷ lệ hài lòng (%)",
    quadrants: Sequence[str] = ("Ưu tiên cải thiện", "Duy trì thế mạnh", "Ưu tiên thấp", "Có thể giảm bớt nguồn lực"),
    empty: str = "Chưa đủ dữ liệu để ước lượng mức độ quan trọng",
    decimal: str = ",",
) -> Figure:
    """Importance (x) against performance (y), split at the means: high importance and low performance
    is the priority for improvement (quadrants: top-left text order = improve, keep, low, possible overkill)."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(8.0, 5.0), layout="constrained")
        pts = [p for p in points if _finite(p.importance, p.performance)]
        if len(pts) < 2:
            return _empty(fig, empty)
        ax = fig.add_subplot()
        mx = sum(p.importance for p in pts) / len(pts)
        my = sum(p.performance for p in pts) / len(pts)
        xs, ys = [p.importance for p in pts], [p.performance for p in pts]
        xpad = (max(xs) - min(xs)) * 0.25 or 0.05
        ypad = (max(ys) - min(ys)) * 0.25 or 2.0
        ax.set_xlim(min(xs) - xpad, max(xs) + xpad)
        ax.set_ylim(max(0, min(ys) - ypad), min(100, max(ys) + ypad))
        ax.axvline(mx, color="#888", linewidth=0.8)
        ax.axhline(my, color="#888", linewidth=0.8)
        for p in pts:
            urgent = p.importance >= mx and p.performance < my
            ax.scatter(
                [p.importance], [p.performance], s=60, zorder=3, color=COLOURS["below"] if urgent else COLOURS[None]
            )
            ax.annotate(
                textwrap.fill(p.label, 26, max_lines=2, placeholder="…"),
                (p.importance, p.performance),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=8.5,
            )
        corners = [
            (0.98, 0.03, "right", "bottom", quadrants[0]),
            (0.98, 0.97, "right", "top", quadrants[1]),
            (0.02, 0.03, "left", "bottom", quadrants[2]),
            (0.02, 0.97, "left", "top", quadrants[3]),
        ]
        for x, y, ha, va, text in corners:
            ax.text(
                x,
                y,
                text,
                transform=ax.transAxes,
                ha=ha,
                va=va,
                fontsize=8.5,
                color="#4a4a4a",
                style="italic",
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=1),
            )
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        _decimal_ticks(ax, decimal)
        if title:
            ax.set_title(title, loc="left")
        return fig


@dataclass(frozen=True)
class Rates:
    """Invitation outcomes of one stratum (counts) for the response-rate chart."""

    label: str
    completed: int
    opened: int = 0
    expired: int = 0
    issued: int = 0

    @property
    def total(self) -> int:
        """All invitations of the stratum."""
        return self.completed + self.opened + self.expired + self.issued


def response_rates(
    rows: Sequence[Rates],
    title: str = "",
    xlabel: str = "Tỷ lệ (%) trên số phiếu mời",
    legend: Sequence[str] = ("Đã trả lời", "Đã mở, chưa trả lời", "Hết hạn", "Chưa mở"),
    empty: str = "Chưa có phiếu mời nào",
    decimal: str = ",",
) -> Figure:
    """Stacked horizontal bars: the share of invitations completed / opened / expired / not opened."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(8.0, max(2.4, 0.36 * len(rows) + 1.6)), layout="constrained")
        rows = [r for r in rows if r.total > 0]
        if not rows:
            return _empty(fig, empty)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        colours = ["#1e6b2e", "#8fbf8f", "#c9c9c4", "#e9e9e4"]
        left = [0.0] * len(rows)
        for k, field in enumerate(("completed", "opened", "expired", "issued")):
            shares = [100.0 * getattr(r, field) / r.total for r in rows]
            ax.barh(
                ys, shares, left=left, height=0.65, color=colours[k], label=legend[k], edgecolor="white", linewidth=0.5
            )
            left = [a + b for a, b in zip(left, shares)]
        for y, r in zip(ys, rows):
            rate = 100.0 * r.completed / r.total
            ax.text(
                1,
                y,
                "%s %% (n=%d)" % (_num(rate, 0, decimal), r.total),
                va="center",
                ha="left",
                fontsize=8,
                color="white" if rate > 18 else "#1a1a1a",
                fontweight="bold",
            )
        ax.set_yticks(ys, [_wrap(r.label, 40) for r in rows])
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        if title:
            ax.set_title(title, loc="left")
        _legend(fig, ax)
        return fig


def render(fig: Figure, fmt: str = "png", dpi: int = 110) -> bytes:
    """The figure as PNG or SVG bytes (Agg canvas; safe in threads since no pyplot state is used)."""
    if fmt not in ("png", "svg"):
        raise ValueError("format must be png or svg")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Software": None} if fmt == "png" else {"Date": None})
    return buf.getvalue()
