"""Microdata released a chunk at a time: disclosure control over every row's quasi-identifiers, then the
rows made and written CHUNK at a time, so an export holds the quasi-identifiers of the file, never its answers.

Two passes over the respondents of the source (survey.services.workspace.microdata_rows):
1. plan(): the quasi-identifiers of every row in the viewer's scope (agency, sector, service point,
   outcome, mode, the two days, the profile questions, with the weight and `partial`), shuffled, go
   through disclosure control (survey.services.workspace.sdc), which must see the whole file to count
   combinations;
2. Plan.rows(): the rows, CHUNK at a time in the released order; the other answers of those respondents
   are read then (index answers from the frozen frame, the rest from the database by response id) and
   joined to their protected quasi-identifiers. Disclosure control changes no column outside the
   quasi-identifiers, so these are the rows one pass over whole records gives; one difference: when a
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
from survey.services.workspace import microdata_rows, sdc
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
    session: Session = field(repr=False)
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
        """The released rows in the columns' order, `chunk` respondents' answers read at a time;
        `progress(done, total)` after each chunk."""
        coded = [v for v in self.variables if v.source in set(self.others)]
        for start in range(0, self.n, max(int(chunk), 1)):
            part = self.frame_rows[start : start + chunk]
            got = microdata_rows.records(self.session, self.source, self.others, None, rows=part, facts=False)
            for offset, (rec, full) in enumerate(zip(self.protected[start : start + chunk], got, strict=True)):
                row_no = start + offset + 1  # numbered after filtering and shuffling
                values = dict(rec)
                values.update(_coded(coded, full["answers"]))
                values.update({
                    "row": row_no,
                    "wave": self.wave_code,
                    "psu": row_no,
                    "fpc": self.fpc.get(rec["stratum"]),
                    "agency_level": self.levels.get(rec["agency"], "") if rec["agency"] else None,
                })
                yield [values.get(v.name) for v in self.variables]
            if progress is not None:
                progress(min(start + chunk, self.n), self.n)


def _coded(vars_: list[Variable], answers: dict) -> dict:
    """A respondent's coded answers as microdata columns: 0/1 per option of a multiple choice (missing when
    the question was not answered), else the one code."""
    out = {}
    for v in vars_:
        chosen = answers.get(v.source) or []
        if v.option is not None:
            out[v.name] = int(v.option in chosen) if chosen else None
        else:
            out[v.name] = chosen[0] if len(chosen) == 1 else None
    return out


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
    days: dict = {}  # one date object per day: a file holds a few hundred days, not a million dates
    records = []
    for start in range(0, len(shuffled), CHUNK):
        for rec in microdata_rows.records(session, src, quasi, None, rows=shuffled[start : start + CHUNK]):
            answers = rec.pop("answers")
            for day in DATES.columns:
                rec[day] = days.setdefault(rec[day], rec[day])
            rec.update(_coded(quasi_vars, answers))
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
        session,
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
