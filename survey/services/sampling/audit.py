"""Auditing a wave's sample (re-deriving it from the seed) and its response rates."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from survey.models import Dossier, Invitation, ServicePoint, SourceSystem, Wave, WaveStratum
from survey.models.fieldwork import InvitationStatus, Outcome, WaveStatus
from survey.models.response import Response
from survey.services.common.i18n import tr
from survey.services.common.periods import period_bounds
from survey.services.sampling import frames, validity
from survey.services.sampling import rules as sampling
from survey.services.sampling.strata import cell_of, code_maps, stratum_key


@dataclass
class AuditReport:
    """What re-deriving the sample found: counts and every discrepancy (kind, reference, detail)."""

    wave_code: str
    dossiers: int = 0
    expected: int = 0
    invitations: int = 0
    anonymised: bool = False
    discrepancies: list[tuple[str, str, str]] = field(default_factory=list)
    per_stratum: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (expected, invited)

    @property
    def ok(self) -> bool:
        """True when the stored sample is exactly the re-derived one."""
        return not self.discrepancies


def audit(session: Session, wave: Wave) -> AuditReport:
    """Recompute u for every dossier of the period and compare with the stored invitations.

    Checks: every selected dossier has an invitation, no invitation is for an unselected dossier or one
    outside the period, and each invitation carries its stratum and that stratum's π. After `anonymise`
    the dossier link is gone, so the comparison is per stratum (counts) instead of per dossier.
    """
    report = AuditReport(wave.code, anonymised=wave.anonymised_at is not None)
    if not wave.seed:
        report.discrepancies.append(("seed_forgotten", wave.code,
                                     "the seed was erased; the sample cannot be re-derived"))
        return report
    if wave.status == WaveStatus.DRAFT:
        return report
    scheme = wave.design["scheme"]
    lo, hi = period_bounds(wave.period_start, wave.period_end, wave.design.get("timezone"))
    strata = {s.key: s for s in wave.strata}
    by_id = {s.id: s for s in wave.strata}
    agencies, sectors = code_maps(session)
    expected: dict[int, str] = {}  # dossier id -> stratum key
    rows = session.execute(
        select(Dossier.id, SourceSystem.code, Dossier.external_id, Dossier.agency_id, Dossier.sector_id,
               Dossier.event_type, Dossier.completed_at)
        .join(SourceSystem, SourceSystem.id == Dossier.source_system_id)
        .where(Dossier.completed_at >= lo, Dossier.completed_at < hi,
               *frames.where(frames.frame_of(wave.design), Dossier))).all()
    for d_id, source, ext, agency_id, sector_id, event_type, _done in validity.valid_rows(session, wave, rows):
        report.dossiers += 1
        key = stratum_key(scheme, cell_of(scheme, agency_id, sector_id, event_type), agencies, sectors)
        stratum = strata.get(key)
        if stratum is None:
            report.discrepancies.append(("no_stratum", f"{source}:{ext}", key))
            continue
        if sampling.is_selected(sampling.selection_u(wave.seed, source, ext), stratum.pi):
            expected[d_id] = key
    report.expected = len(expected)
    invs = session.execute(select(Invitation.id, Invitation.dossier_id, Invitation.stratum_id, Invitation.pi)
                           .where(Invitation.wave_id == wave.id)).all()
    report.invitations = len(invs)
    invited_per_key: dict[str, int] = {}
    seen = set()
    refs = _dossier_refs(session, [i.dossier_id for i in invs if i.dossier_id is not None])
    for inv_id, dossier_id, stratum_id, pi in invs:
        stratum = by_id.get(stratum_id)
        if stratum is None:
            report.discrepancies.append(("invitation_without_stratum", f"invitation {inv_id}", ""))
            continue
        invited_per_key[stratum.key] = invited_per_key.get(stratum.key, 0) + 1
        if abs(pi - stratum.pi) > 1e-12:
            report.discrepancies.append(("wrong_pi", f"invitation {inv_id}", f"{pi} != {stratum.pi}"))
        if dossier_id is None:
            continue
        seen.add(dossier_id)
        ref = refs.get(dossier_id, f"dossier {dossier_id}")
        if dossier_id not in expected:
            report.discrepancies.append(("not_selected", ref, f"invitation {inv_id}"))
        elif expected[dossier_id] != stratum.key:
            report.discrepancies.append(("wrong_stratum", ref, f"{stratum.key} != {expected[dossier_id]}"))
    expected_per_key: dict[str, int] = {}
    for key in expected.values():
        expected_per_key[key] = expected_per_key.get(key, 0) + 1
    for key in sorted(set(expected_per_key) | set(invited_per_key)):
        report.per_stratum[key] = (expected_per_key.get(key, 0), invited_per_key.get(key, 0))
    if report.anonymised:
        for key, (exp, got) in report.per_stratum.items():
            if exp != got:
                report.discrepancies.append(("count_mismatch", key, f"expected {exp}, invited {got}"))
    else:
        missing = [d for d in expected if d not in seen]
        refs.update(_dossier_refs(session, missing))
        for d_id in missing:
            report.discrepancies.append(("missing_invitation", refs.get(d_id, str(d_id)), expected[d_id]))
    return report


def _dossier_refs(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update({d: f"{s}:{e}" for d, s, e in session.execute(
            select(Dossier.id, SourceSystem.code, Dossier.external_id)
            .join(SourceSystem, SourceSystem.id == Dossier.source_system_id).where(Dossier.id.in_(chunk))).all()})
    return out


@dataclass(frozen=True)
class RateRow:
    """Fieldwork progress of one group: invited, opened, responded, expired and the response rate."""

    group: str
    label: str
    invited: int
    opened: int
    responded: int
    expired: int

    @property
    def rate(self) -> float | None:
        """Responses per invitation (None for a group without invitations)."""
        return self.responded / self.invited if self.invited else None


RATE_GROUPS = ("stratum", "service_point", "outcome")


def response_rates(session: Session, wave: Wave, by: str = "stratum") -> list[RateRow]:
    """Invited / opened / responded (Response rows with the invitation) / expired per group, plus a total."""
    if by not in RATE_GROUPS:
        raise ValueError(by)
    column = {"stratum": Invitation.stratum_id, "service_point": Invitation.service_point_id,
              "outcome": Invitation.outcome}[by]
    rows = session.execute(
        select(column, func.count(Invitation.id),
               func.sum(case((Invitation.opened_at.is_not(None), 1), else_=0)),
               func.count(Response.id),
               func.sum(case((Invitation.status == InvitationStatus.EXPIRED, 1), else_=0)))
        .select_from(Invitation).outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id).group_by(column)).all()
    labels = _labels(session, wave, by)
    out = [RateRow(str(g if g is not None else ""), labels.get(g, str(g) if g is not None else "—"),
                   int(n), int(o or 0), int(r), int(e or 0)) for g, n, o, r, e in rows]
    out.sort(key=lambda r: r.label)
    if out:
        out.append(RateRow("", "total", sum(r.invited for r in out), sum(r.opened for r in out),
                           sum(r.responded for r in out), sum(r.expired for r in out)))
    return out


def _labels(session: Session, wave: Wave, by: str) -> dict:
    if by == "stratum":
        strata = session.execute(select(WaveStratum).where(WaveStratum.wave_id == wave.id)).scalars()
        return {s.id: s.key for s in strata}
    if by == "service_point":
        return dict(session.execute(select(ServicePoint.id, ServicePoint.name_vi)).all())
    _ = tr
    return {Outcome.APPROVED: _("Giải quyết (chấp thuận)"), Outcome.REJECTED: _("Từ chối"),
            Outcome.WITHDRAWN: _("Rút hồ sơ")}


