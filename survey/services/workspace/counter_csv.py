"""The counter-ratings page's CSV: aggregates only (no comments), under first lines saying what they are."""

from __future__ import annotations

from typing import Any

from survey.services.workspace.counter_ratings import LABEL, Bucket, CounterReport

CSV_COLUMNS = "table key label ratings not_satisfied share_not_satisfied asked chosen share_chosen".split()


def csv_rows(report: CounterReport) -> list[list]:
    """The aggregates as CSV rows (no comments), under first lines saying what they are."""

    def pct(value: float | None):
        return None if value is None else round(value, 1)

    def row(table: str, key: Any, label: Any, *counts) -> list:
        return [table, key, label, *counts] + [None] * (len(CSV_COLUMNS) - 3 - len(counts))

    def bucket(table: str, b: Bucket, key: Any) -> list:
        return row(table, key, b.label, b.ratings, b.unhappy, pct(b.share))

    p = report.point
    rows = [row("note", "", str(LABEL)), row("note", "period", "%s/%s" % (report.period.start, report.period.end)),
            row("note", "service_point", "%s %s" % (p.code, p.name_vi)),
            row("note", "not_satisfied", ", ".join(report.unhappy_labels))]  # fmt: skip
    if report.device is not None:
        rows.append(row("note", "counter", report.device.label))
    rows.append(bucket("total", report.total, "all"))
    rows += [bucket("day", b, b.key.isoformat()) for b in report.by_day]
    rows += [bucket("hour", b, b.key) for b in report.by_hour]
    rows += [bucket("counter", b, b.label) for b in report.by_counter]
    rows += [bucket("question", b, b.key) for b in report.by_question]
    rows += [row("reason", "%s:%s" % (r.question, r.code), "%s — %s" % (r.group, r.label), None, None, None,
                 r.asked, r.count, pct(r.share)) for r in report.reasons]  # fmt: skip
    return rows
