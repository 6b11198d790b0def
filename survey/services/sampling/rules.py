"""Pure sampling rules: keyed-hash selection, SIPAS sample sizes and per-stratum inclusion probabilities.

Nothing here touches the database, so the rules can be tested (and re-derived by an auditor) alone.

Selection (Poisson sampling with a permanent random number): each dossier gets
``u = first 8 bytes of HMAC-SHA256(key=wave seed, msg="<source code>:<external id>") / 2**64``,
a number in [0, 1) that looks uniform and independent across dossiers but is fixed by the seed.
The dossier is invited iff ``u < π_h`` of its stratum h, so its inclusion probability is exactly π_h
and anyone holding the seed and the dossier list reproduces the sample.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

TWO_64 = float(2**64)
DEFAULT_MARGIN = 0.05          # e in n = N / (1 + N·e²): SIPAS guidance, ±5 % at 95 %
DEFAULT_RESPONSE_RATE = 0.30   # expected share of invitations that come back answered
DEFAULT_MIN_RESPONSES = 30     # smallest useful stratum (matches MIN_CELL_ANSWERS)
# unit_type: hospital or school × event type (inpatient/outpatient, school level), for event frames.
STRATA_SCHEMES = ("agency_sector", "agency", "sector", "unit_type")


def new_seed() -> str:
    """A fresh 128-bit wave seed (hex); fixed at wave creation, before any dossier is known."""
    return secrets.token_hex(16)


def selection_u(seed: str, source: str, external_id: str) -> float:
    """The dossier's permanent random number in [0, 1): HMAC-SHA256(seed, "source:external_id")."""
    digest = hmac.new(seed.encode("utf-8"), f"{source}:{external_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / TWO_64


def is_selected(u: float, pi: float) -> bool:
    """Invited iff u < π (π = 1 takes everyone, π = 0 no one)."""
    return u < pi


def sipas_sample_size(population: int, margin: float = DEFAULT_MARGIN) -> int:
    """SIPAS sizing n = N / (1 + N·e²), rounded up; 0 for an empty stratum."""
    if population <= 0:
        return 0
    if not 0 < margin < 1:
        raise ValueError("margin e must be in (0, 1)")
    return math.ceil(population / (1 + population * margin * margin) - 1e-9)


def stratum_key(scheme: str, agency_code: str | None, sector_code: str | None,
                event_type: str | None = None) -> str:
    """The stratum a dossier belongs to under a stratification scheme (agency × sector by default).

    "unit_type": the unit (hospital, school) and the event's type, "BV-DKT|inpatient".
    """
    if scheme == "agency_sector":
        return f"{agency_code}|{sector_code}"
    if scheme == "agency":
        return f"{agency_code}|*"
    if scheme == "sector":
        return f"*|{sector_code}"
    if scheme == "unit_type":
        return f"{agency_code}|{event_type or '*'}"
    raise ValueError(f"unknown strata scheme {scheme!r}")


@dataclass(frozen=True)
class StratumPlan:
    """The planned design of one stratum: π and what it is expected to yield."""

    pi: float
    target_responses: int | None   # responses wanted (None when π was fixed directly)
    expected_invitations: float     # π × N_prev
    expected_responses: float      # expected invitations × response rate
    rule: str                       # "fixed_pi" | "target_n" | "sipas" | "census_no_history"


def plan_stratum(population_prev: int, *, fixed_pi: float | None = None, target_n: int | None = None,
                 margin: float = DEFAULT_MARGIN, response_rate: float = DEFAULT_RESPONSE_RATE,
                 min_responses: int = DEFAULT_MIN_RESPONSES) -> StratumPlan:
    """π for one stratum from a fixed rate, or from a target number of responses.

    Target mode: n = target_n, else the SIPAS size of N_prev; at least `min_responses`; invitations
    needed = n / response rate; π = invitations / N_prev capped at 1. A stratum with no dossiers in
    the previous period has no basis for sizing and is taken whole (π = 1, a census).
    """
    if not 0 < response_rate <= 1:
        raise ValueError("response rate must be in (0, 1]")
    n_prev = max(0, int(population_prev))
    if fixed_pi is not None:
        if not 0 < fixed_pi <= 1:
            raise ValueError("π must be in (0, 1]")
        pi = float(fixed_pi)
        return StratumPlan(pi, None, pi * n_prev, pi * n_prev * response_rate, "fixed_pi")
    if n_prev == 0:
        return StratumPlan(1.0, target_n, 0.0, 0.0, "census_no_history")
    wanted = int(target_n) if target_n is not None else sipas_sample_size(n_prev, margin)
    wanted = max(wanted, int(min_responses))
    pi = min(1.0, wanted / response_rate / n_prev)
    rule = "target_n" if target_n is not None else "sipas"
    return StratumPlan(pi, wanted, pi * n_prev, pi * n_prev * response_rate, rule)


def binomial_tolerance(n: int, pi: float, z: float = 4.0) -> float:
    """Half-width z·sqrt(n·π·(1−π)) of the count of selected units expected under Poisson sampling."""
    return z * math.sqrt(max(n * pi * (1 - pi), 0.0))
