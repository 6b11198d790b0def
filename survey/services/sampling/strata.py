"""Strata of a wave: cells of the stratification scheme, their keys, dossier counts and plans."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Agency, Dossier, Sector
from survey.services.sampling import rules as sampling


def cell_of(scheme: str, agency_id: int | None, sector_id: int | None) -> tuple[int | None, int | None]:
    """The stratum cell (agency_id, sector_id) of a dossier under the scheme; None where it does not split."""
    if scheme == "agency":
        return agency_id, None
    if scheme == "sector":
        return None, sector_id
    return agency_id, sector_id


def count_by_cell(session: Session, scheme: str, lo: datetime, hi: datetime) -> dict[tuple, int]:
    """Dossiers completed in [lo, hi) per stratum cell (agency_id, sector_id) of the scheme."""
    cols = [c for c, keep in ((Dossier.agency_id, scheme != "sector"), (Dossier.sector_id, scheme != "agency")) if keep]
    rows = session.execute(select(*cols, func.count()).where(Dossier.completed_at >= lo, Dossier.completed_at < hi)
                           .group_by(*cols)).all()
    out = {}
    for row in rows:
        if scheme == "agency":
            out[(row[0], None)] = row[1]
        elif scheme == "sector":
            out[(None, row[0])] = row[1]
        else:
            out[(row[0], row[1])] = row[2]
    return out


def code_maps(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Agency and sector codes by id, for naming strata."""
    agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    sectors = dict(session.execute(select(Sector.id, Sector.code)).all())
    return agencies, sectors


def stratum_key(scheme: str, cell: tuple, agencies: dict, sectors: dict) -> str:
    """The stable key of a stratum cell (codes, not ids), as waves store it."""
    return sampling.stratum_key(scheme, agencies.get(cell[0]), sectors.get(cell[1]))


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
