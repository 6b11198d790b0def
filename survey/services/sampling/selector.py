"""Selecting dossiers for launched waves as they arrive: waves and strata preloaded once per batch.

Strata missing from a wave's plan (no dossiers in the previous period) are created in bulk, once per batch,
with the design's π for new strata; a concurrent creation by another request is absorbed by a savepoint.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.models import Wave, WaveStratum
from survey.models.fieldwork import WaveStatus
from survey.services.common.periods import period_bounds
from survey.services.sampling import frames
from survey.services.sampling import rules as sampling
from survey.services.sampling.strata import cell_of, code_maps, stratum_key


@dataclass
class Selector:
    """The launched waves and their strata, preloaded once, to select arriving dossiers without queries."""

    session: Session
    waves: list[dict] = field(default_factory=list)
    agencies: dict[int, str] = field(default_factory=dict)
    sectors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, wave_ids: list[int] | None = None) -> Selector:
        """Every launched wave (or the given ones) with bounds, seed and strata π."""
        stmt = select(Wave).where(Wave.status == WaveStatus.LAUNCHED)
        if wave_ids is not None:
            stmt = select(Wave).where(Wave.id.in_(wave_ids))
        sel = cls(session)
        for wave in session.execute(stmt).scalars():
            lo, hi = period_bounds(wave.period_start, wave.period_end, wave.design.get("timezone"))
            rows = session.execute(select(WaveStratum.key, WaveStratum.id, WaveStratum.pi)
                                   .where(WaveStratum.wave_id == wave.id)).all()
            sel.waves.append({"wave": wave, "lo": lo, "hi": hi, "frame": frames.frame_of(wave.design),
                              "strata": {k: (i, pi) for k, i, pi in rows}})
        if sel.waves:
            sel.agencies, sel.sectors = code_maps(session)
        return sel

    def _key_of(self, wave: Wave, d: dict) -> tuple[str, tuple]:
        scheme = wave.design["scheme"]
        cell = cell_of(scheme, d["agency_id"], d["sector_id"], d.get("event_type"))
        return stratum_key(scheme, cell, self.agencies, self.sectors), cell

    def prepare(self, dossiers: list[dict]) -> None:
        """Create, in one flush per wave, the strata these dossiers need that the waves do not have yet."""
        for w in self.waves:
            wave, missing = w["wave"], {}
            for d in dossiers:
                if w["lo"] <= d["completed_at"] < w["hi"] and _in_frame(w, d):
                    key, cell = self._key_of(wave, d)
                    if key not in w["strata"]:
                        missing[key] = cell
            if missing:
                w["strata"].update(_create_strata(self.session, wave, missing))

    def select(self, source: str, d: dict) -> list[dict]:
        """Invitation rows (wave_id, stratum_id, pi, cells) for one dossier dict, one per wave that picks it."""
        picked = []
        for w in self.waves:
            if not w["lo"] <= d["completed_at"] < w["hi"] or not _in_frame(w, d):
                continue
            key, cell = self._key_of(w["wave"], d)
            if key not in w["strata"]:
                w["strata"].update(_create_strata(self.session, w["wave"], {key: cell}))
            stratum_id, pi = w["strata"][key]
            if sampling.is_selected(sampling.selection_u(w["wave"].seed, source, d["external_id"]), pi):
                picked.append({"wave_id": w["wave"].id, "stratum_id": stratum_id, "pi": pi,
                               "dossier_id": d["id"], "agency_id": d["agency_id"], "sector_id": d["sector_id"],
                               "service_point_id": d.get("service_point_id"), "outcome": d["outcome"],
                               "event_type": d.get("event_type")})
        return picked


def _in_frame(w: dict, d: dict) -> bool:
    """Whether the wave samples this record (a dossier wave never takes a hospital visit, and the other way)."""
    return frames.in_frame(w["frame"], d.get("kind"), d.get("event_type"))


def new_stratum_pi(wave: Wave) -> float:
    """π of a stratum the plan did not foresee: the fixed rate, or the design's π for new strata."""
    return wave.design["fixed_pi"] if wave.design["rule"] == "fixed" else wave.design["new_stratum_pi"]


def _create_strata(session: Session, wave: Wave, missing: dict[str, tuple]) -> dict[str, tuple[int, float]]:
    """Create the missing strata of a wave; returns key → (stratum id, π), also for ones created concurrently."""
    pi = new_stratum_pi(wave)
    rows = [{"wave_id": wave.id, "key": k, "agency_id": c[0], "sector_id": c[1], "pi": pi, "population_prev": 0}
            for k, c in missing.items()]
    try:
        with session.begin_nested():
            session.execute(insert(WaveStratum.__table__), rows)
    except IntegrityError:  # another request created some of them meanwhile: add the others one by one
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(WaveStratum.__table__), [row])
            except IntegrityError:
                pass
    found = session.execute(select(WaveStratum.key, WaveStratum.id, WaveStratum.pi)
                            .where(WaveStratum.wave_id == wave.id, WaveStratum.key.in_(list(missing)))).all()
    session.expire(wave, ["strata"])  # the wave's collection reloads with the new strata
    return {key: (sid, spi) for key, sid, spi in found}
