"""The rules a lineage file must keep, checked over the stored steps and the file's together.

Each predecessor has one kind of step on one day; a merge or rename has one successor; a split
has at least two, with shares on all of them (in (0, 1], summing to 1 ± TOLERANCE) or on none; a
rename's successor takes over no other unit that day; the graph has no cycle; a step happens
after its predecessor began (no chain going back in time) and inside its successor's life. A
broken rule is reported on the file's rows it concerns (line and reason, in Vietnamese).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from survey.models.registry import Agency, LineageKind
from survey.services.registry.csvfile import RowError

TOLERANCE = 0.001  # how far a split's shares may sum from 1 (shares written with three decimals)


@dataclass
class Step:
    """One reorganisation step, from the file (its line) or already stored (line 0)."""

    line: int  # 0 for a step already stored
    kind: str
    predecessor: Agency
    successor: Agency
    effective_on: date
    share: float | None
    note: str


def check(merged: dict[tuple[int, int], Step], steps: list[Step], report) -> None:
    """The rules over the whole graph (`merged`: stored steps with the file's over them), into report.errors."""
    def fail(step: Step, column: str, message: str) -> None:
        line = step.line or next((s.line for s in steps if s.predecessor is step.predecessor), 0)
        if not any(e.line == line and e.message == message for e in report.errors):
            report.errors.append(RowError(line, column, message, "lineage", step.predecessor.code))

    out: dict[int, list[Step]] = defaultdict(list)
    into: dict[int, list[Step]] = defaultdict(list)
    for step in merged.values():
        out[step.predecessor.id].append(step)
        into[step.successor.id].append(step)
    in_file = {s.predecessor.id for s in steps} | {s.successor.id for s in steps}
    for pred_id, group in out.items():
        if pred_id not in in_file:
            continue
        _check_group(group, fail)
    for group in into.values():
        renames = [s for s in group if s.kind == LineageKind.RENAME]
        for step in renames:
            others = [s for s in group if s is not step and s.effective_on == step.effective_on]
            if others:
                fail(step if step.line else next(o for o in others if o.line), "kind", _(
                    "Đổi tên chỉ có một cơ quan trước, nhưng \"%(code)s\" còn nhận %(others)s cùng ngày; hãy dùng "
                    "sáp nhập (merge)", code=step.successor.code, others=", ".join(s.predecessor.code for s in others)))
    cycles = _cycles(out)
    for cycle in cycles:
        path = " → ".join([s.predecessor.code for s in cycle] + [cycle[0].predecessor.code])
        for step in (s for s in cycle if s.line):
            fail(step, "successor_code", _("Vòng lặp trong lịch sử: %(path)s", path=path))
    if cycles:
        return  # dates along a cycle are meaningless
    for step in steps:
        _check_dates(step, into, fail)


def _check_group(group: list[Step], fail) -> None:
    """One predecessor's steps: one kind, one day; a merge or rename has one successor; a split's shares."""
    first = group[0]
    kinds = {s.kind for s in group}
    days = {s.effective_on for s in group}
    names = ", ".join(sorted(s.successor.code for s in group))
    if len(kinds) > 1:
        fail(first, "kind", _("Cơ quan \"%(code)s\" có nhiều loại thay đổi (%(kinds)s); mỗi cơ quan chỉ một lần "
                              "sáp nhập, chia tách hoặc đổi tên", code=first.predecessor.code,
                              kinds=", ".join(sorted(kinds))))
        return
    if len(days) > 1:
        fail(first, "effective_on", _("Các dòng của cơ quan \"%(code)s\" có ngày hiệu lực khác nhau",
                                      code=first.predecessor.code))
    if first.kind in (LineageKind.MERGE, LineageKind.RENAME) and len(group) > 1:
        fail(first, "successor_code", _(
            "Cơ quan \"%(code)s\" được sáp nhập hoặc đổi tên vào %(n)d cơ quan (%(names)s); chỉ được một cơ quan "
            "kế tiếp. Nếu cơ quan được chia tách, hãy ghi kind=split và tỷ lệ (share) của từng cơ quan",
            code=first.predecessor.code, n=len(group), names=names))
    if first.kind == LineageKind.SPLIT:
        shares = [s.share for s in group]
        if len(group) < 2:
            fail(first, "successor_code", _("Chia tách cần ít nhất hai cơ quan kế tiếp; một cơ quan là đổi tên "
                                            "(rename) hoặc sáp nhập (merge)"))
        elif any(x is None for x in shares) and any(x is not None for x in shares):
            fail(first, "share", _("Tỷ lệ phải ghi cho mọi cơ quan kế tiếp của \"%(code)s\" hoặc bỏ trống cả "
                                   "(%(names)s)", code=first.predecessor.code, names=names))
        elif shares and all(x is not None for x in shares) and abs(sum(shares) - 1) > TOLERANCE:
            total = "%.4g" % sum(shares)
            fail(first, "share", _("Tổng tỷ lệ của \"%(code)s\" là %(total)s, phải bằng 1 (%(names)s)",
                                   code=first.predecessor.code, total=total, names=names))


def _check_dates(step: Step, into: dict[int, list[Step]], fail) -> None:
    """A step happens after its predecessor began, and inside the successor's and predecessor's lives."""
    pred, succ, day = step.predecessor, step.successor, step.effective_on
    incoming = [s for s in into.get(pred.id, ()) if s.effective_on >= day]
    if pred.valid_from is not None and day <= pred.valid_from:
        fail(step, "effective_on", _("Ngày hiệu lực %(day)s không sau ngày \"%(code)s\" bắt đầu (%(start)s)",
                                     day=day.isoformat(), code=pred.code, start=pred.valid_from.isoformat()))
    elif incoming:
        fail(step, "effective_on", _(
            "Ngược thời gian: \"%(code)s\" hình thành từ \"%(other)s\" ngày %(then)s, nhưng lại thay đổi ngày %(day)s",
            code=pred.code, other=incoming[0].predecessor.code, then=incoming[0].effective_on.isoformat(),
            day=day.isoformat()))
    if pred.valid_to is not None and pred.valid_to != day:
        fail(step, "effective_on", _("\"%(code)s\" đã hết hiệu lực từ %(end)s, khác ngày hiệu lực %(day)s",
                                     code=pred.code, end=pred.valid_to.isoformat(), day=day.isoformat()))
    if succ.valid_from is not None and succ.valid_from > day:
        fail(step, "effective_on", _("Cơ quan kế tiếp \"%(code)s\" bắt đầu từ %(start)s, sau ngày hiệu lực %(day)s",
                                     code=succ.code, start=succ.valid_from.isoformat(), day=day.isoformat()))
    if succ.valid_to is not None and succ.valid_to <= day:
        fail(step, "effective_on", _("Cơ quan kế tiếp \"%(code)s\" đã hết hiệu lực từ %(end)s, trước ngày %(day)s",
                                     code=succ.code, end=succ.valid_to.isoformat(), day=day.isoformat()))


def _cycles(out: dict[int, list[Step]]) -> list[list[Step]]:
    """Cycles of the predecessor → successor graph, each as its steps (found by depth-first search)."""
    found, state = [], {}  # state: 1 on the current path, 2 done
    path: list[Step] = []

    def visit(node: int) -> None:
        state[node] = 1
        for step in out.get(node, ()):
            nxt = step.successor.id
            if state.get(nxt) == 1:
                start = next(i for i, s in enumerate(path + [step]) if s.predecessor.id == nxt)
                found.append((path + [step])[start:])
            elif nxt not in state:
                path.append(step)
                visit(nxt)
                path.pop()
        state[node] = 2

    for node in list(out):
        if node not in state:
            visit(node)
    return found
