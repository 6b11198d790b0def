"""Strata of a wave: cells of the stratification scheme, their keys, frame counts and plans.

A cell is (agency_id, sector_id), or (unit id, sector_id, event type) under the "unit_type" scheme of
hospital and school waves (the unit being the hospital or school agency). Counts are of the wave's frame
only (survey.services.sampling.frames): a procedure wave never counts hospital visits, and the other way.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Agency, Dossier, Sector
from survey.services.sampling import frames
from survey.services.sampling import rules as sampling

DOSSIER_FRAME = {"kind": frames.DOSSIER}


def cell_of(scheme: str, agency_id: int | None, sector_id: int | None, event_type: str | None = None) -> tuple:
    """The stratum cell of a dossier or event under the scheme; None where it does not split."""
    if scheme == "agency":
        return agency_id, None
    if scheme == "sector":
        return None, sector_id
    if scheme == "unit_type":
        return agency_id, sector_id, (str(event_type) if event_type is not None else None)
    return agency_id, sector_id


def _columns(scheme: str) -> list:
    if scheme == "agency":
        return [Dossier.agency_id]
    if scheme == "sector":
        return [Dossier.sector_id]
    if scheme == "unit_type":
        return [Dossier.agency_id, Dossier.sector_id, Dossier.event_type]
    return [Dossier.agency_id, Dossier.sector_id]


def count_by_cell(session: Session, scheme: str, lo: datetime, hi: datetime,
                  frame: Mapping | None = None) -> dict[tuple, int]:
    """Events of the frame (default: dossiers) completed in [lo, hi), per stratum cell of the scheme."""
    cols = _columns(scheme)
    rows = session.execute(select(*cols, func.count())
                           .where(Dossier.completed_at >= lo, Dossier.completed_at < hi,
                                  *frames.where(frame or DOSSIER_FRAME, Dossier))
                           .group_by(*cols)).all()
    out = {}
    for row in rows:
        if scheme == "agency":
            out[(row[0], None)] = row[1]
        elif scheme == "sector":
            out[(None, row[0])] = row[1]
        elif scheme == "unit_type":
            out[cell_of(scheme, row[0], row[1], row[2])] = row[3]
        else:
            out[(row[0], row[1])] = row[2]
    return out


def count_by_key(session: Session, scheme: str, lo: datetime, hi: datetime,
                 frame: Mapping | None = None) -> dict[str, int]:
    """Events of the frame completed in [lo, hi) per stratum key (what WaveStratum.population holds)."""
    agencies, sectors = code_maps(session)
    out: dict[str, int] = {}
    for cell, n in count_by_cell(session, scheme, lo, hi, frame).items():
        key = stratum_key(scheme, cell, agencies, sectors)
        out[key] = out.get(key, 0) + n
    return out


def code_maps(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Agency and sector codes by id, for naming strata."""
    agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    sectors = dict(session.execute(select(Sector.id, Sector.code)).all())
    return agencies, sectors


def stratum_key(scheme: str, cell: tuple, agencies: dict, sectors: dict) -> str:
    """The stable key of a stratum cell (codes, not ids), as waves store it."""
    event_type = cell[2] if len(cell) > 2 else None
    return sampling.stratum_key(scheme, agencies.get(cell[0]), sectors.get(cell[1]), event_type)


def stratum_plan(design: dict, key: str, n_prev: int) -> sampling.StratumPlan:
    """π for a stratum from the wave design (its override first, then the wave-wide rule)."""
    override = design.get("overrides", {}).get(key, {})
    common = dict(margin=design["margin"], response_rate=design["response_rate"],
                  min_responses=design["min_responses"])
    if "pi" in override:
        return sampling.plan_stratum(n_prev, fixed_pi=override["pi"], **common)
    if "target_n" in override:
        return sampling.plan_stratum(n_prev, target_n=override["target_n"], **common)
    if design["rule"] == "fixed":
        return sampling.plan_stratum(n_prev, fixed_pi=design["fixed_pi"], **common)
    return sampling.plan_stratum(n_prev, **common)
