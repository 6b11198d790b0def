"""Microdata released a chunk at a time: disclosure control over every row's quasi-identifiers, then the
rows made and written CHUNK at a time, so an export holds the quasi-identifiers of the file, never its answers.

Two passes over the respondents of the source (survey.services.workspace.microdata_rows):
1. plan(): the quasi-identifiers of every row in the viewer's scope (agency, sector, service point,
   outcome, mode, the two days, the profile questions, with the weight and `partial`), shuffled, go
   through disclosure control (survey.services.workspace.sdc), which must see the whole file to count
   combinations;
2. Plan.rows(): the rows, CHUNK at a time in the released order; the other answers of those respondents
   (index answers from the frozen frame, the rest read once for the whole file into arrays by
   survey.services.workspace.microdata_arrays) are joined to their protected quasi-identifiers.
   Disclosure control changes no column outside the quasi-identifiers, so these are the rows one pass
   over whole records gives; one difference: when a
   class is filled up to k, the rows withheld are chosen by their quasi-identifiers, weight and
   `partial` (still never by their order) rather than by their whole content.

The files (CSV, XLSX, .sav) are written row by row to a path (survey.services.workspace.microdata_files).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy.orm import Session

from survey.models import Wave
from survey.services.workspace import microdata_arrays, microdata_rows, sdc
from survey.services.workspace.microdata import (
    DATES,
    Release,
    Variable,
    is_profile,
    profile_units,
    sdc_k,
    variables,
    version_content,
)

CHUNK = 5000  # respondents whose answers are read and written at a time
Progress = Callable[[int, int], None]


@dataclass
class Plan:
    """Microdata ready to be written: its columns, what disclosure control did, where the rows come from,
    and the protected quasi-identifiers of each row in the released order (rows() makes the rows)."""

    variables: list[Variable]
    sdc: sdc.Report
    source: microdata_rows.Source
    wave_code: str
    columns: microdata_arrays.Columns = field(repr=False)
    protected: list[dict] = field(default_factory=list, repr=False)  # released order
    frame_rows: list[int] = field(default_factory=list, repr=False)  # the frame row of each, same order
    fpc: dict = field(default_factory=dict, repr=False)
    levels: dict = field(default_factory=dict, repr=False)
    others: list[str] = field(default_factory=list, repr=False)  # question codes outside the quasi-identifiers

    @property
    def n(self) -> int:
        """Rows released."""
        return len(self.protected)

    def rows(self, chunk: int = CHUNK, progress: Progress | None = None) -> Iterator[list]:
        """The released rows in the columns' order, `chunk` at a time (each column made for the chunk from
        the arrays); `progress(done, total)` after each chunk."""
        others = set(self.others)
        chunk = max(int(chunk), 1)
        for start in range(0, self.n, chunk):
            part = self.frame_rows[start : start + chunk]
            recs = self.protected[start : start + chunk]
            numbers = list(range(start + 1, start + len(part) + 1))  # numbered after filtering and shuffling
            made = []
            for v in self.variables:
                if v.name in ("row", "psu"):
                    made.append(numbers)
                elif v.name == "wave":
                    made.append([self.wave_code] * len(part))
                elif v.name == "fpc":
                    made.append([self.fpc.get(rec["stratum"]) for rec in recs])
                elif v.name == "agency_level":
                    made.append([self.levels.get(rec["agency"], "") if rec["agency"] else None for rec in recs])
                elif v.source in others:
                    made.append(self.columns.column(v, part))
                else:  # a protected quasi-identifier, the design, the flag
                    made.append([rec.get(v.name) for rec in recs])
            yield from (list(row) for row in zip(*made, strict=True))
            if progress is not None:
                progress(min(start + chunk, self.n), self.n)


def plan(
    session: Session,
    wave: Wave,
    visible: set[int] | None = None,
    k: int | None = None,
    version: int | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Pass 1: the source (final `version`, else the current publication, else live data), its rows inside
    `visible` shuffled, and disclosure control over their quasi-identifiers (k = HAILONG_SDC_K unless given);
    `progress(done, total)` while the quasi-identifiers are read."""
    src = microdata_rows.load(session, wave, version)
    content = version_content(session, wave)
    vars_ = variables(content)
    from survey.services.questionnaires.bank import iter_questions

    profile = {q["code"] for q in iter_questions(content) if is_profile(q)}
    questions = list(dict.fromkeys(v.source for v in vars_ if v.source))
    quasi = [code for code in questions if code in profile]
    keep = microdata_rows.kept(src, visible)
    order = np.random.default_rng(secrets.randbits(64)).permutation(len(keep)).tolist()  # no trace of arrival
    shuffled = [keep[i] for i in order]
    quasi_vars = [v for v in vars_ if v.source in set(quasi)]
    columns = microdata_arrays.Columns(session, src, vars_)
    days: dict = {}  # one date object per day: a file holds a few hundred days, not a million dates
    records = []
    for start in range(0, len(shuffled), CHUNK):
        for rec in microdata_arrays.quasi_records(src, columns, shuffled[start : start + CHUNK], quasi_vars):
            for day in DATES.columns:
                rec[day] = days.setdefault(rec[day], rec[day])
            records.append(rec)
        if progress is not None:
            progress(min(start + CHUNK, len(shuffled)), len(shuffled))
    parents = {
        code: src.agencies[parent][0] if parent in src.agencies else None
        for code, parent, _level in src.agencies.values()
    }
    done = sdc.protect(
        records,
        k=sdc_k() if k is None else k,
        scheme=(wave.design or {}).get("scheme", ""),
        agencies=parents,
        population=src.population,
        profile=profile_units(content, vars_),
        first=(DATES,),
    )
    del records
    vars_ = [replace(v, values=done.labels[v.name]) if v.name in done.labels else v for v in vars_]
    return Plan(
        vars_,
        done.report,
        src,
        wave.code,
        columns,
        done.records,
        shuffled if done.records else [],  # a file below k rows releases none
        done.fpc,
        {code: lvl for code, _parent, lvl in src.agencies.values()},
        [code for code in questions if code not in set(quasi)],
    )


def release(
    session: Session, wave: Wave, visible: set[int] | None = None, k: int | None = None, version: int | None = None
) -> Release:
    """The whole release in memory (small files, tests): plan() with every row made."""
    out = plan(session, wave, visible, k, version)
    return Release(out.variables, list(out.rows()), out.sdc, out.source)
