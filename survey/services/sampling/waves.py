"""Survey waves: create and plan (strata, π), launch (select existing dossiers), close; the on-arrival selector.

A wave's period is a range of local dates (the province's time zone); a dossier belongs to it when its
completion time falls inside. Planning counts each stratum's dossiers in the previous period of equal
length and turns them into π (see survey.services.sampling.rules.plan_stratum).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import (
    Dossier,
    Invitation,
    Publication,
    QuestionnaireVersion,
    Response,
    SourceSystem,
    Wave,
    WaveStratum,
)
from survey.models._base import utcnow
from survey.models.fieldwork import WaveStatus
from survey.services.common import formats
from survey.services.common.i18n import tr
from survey.services.common.periods import FIRST_DAY, LAST_DAY, local_tz, period_bounds, previous_period  # noqa: F401  (re-exported for forms)
from survey.services.sampling import frames, validity
from survey.services.sampling import invitations as inv_service
from survey.services.sampling import rules as sampling
from survey.services.sampling.selector import Selector
from survey.services.sampling.strata import code_maps, count_by_cell, count_by_key, stratum_key, stratum_plan


class WaveError(ValueError):
    """A wave operation that is not allowed (wrong status, bad period, duplicate code...)."""


def _check_design(*, period_start: date, period_end: date, scheme: str, fixed_pi: float | None, margin: float,
                  response_rate: float, min_responses: int, new_stratum_pi: float, frame: dict) -> None:
    """Raise WaveError when a wave's period or design is not allowed (create and edit alike)."""
    if period_end < period_start:
        raise WaveError("period_end_before_start")
    if period_start < FIRST_DAY or period_end > LAST_DAY:
        raise WaveError("period_out_of_range")
    if scheme not in sampling.STRATA_SCHEMES:
        raise WaveError("unknown_scheme")
    if scheme == frames.EVENT_SCHEME and not frames.is_event_frame(frame):
        raise WaveError("scheme_needs_events")  # dossiers have no event type to stratify by
    if (fixed_pi is not None and not 0 < fixed_pi <= 1) or not 0 < new_stratum_pi <= 1:
        raise WaveError("bad_pi")  # the database holds π in (0, 1] only: a weight 1/π needs π > 0
    if not 0 < response_rate <= 1 or not 0 < margin < 1 or min_responses < 0:
        raise WaveError("bad_design")


def _design(period_start: date, period_end: date, *, scheme: str, fixed_pi: float | None, margin: float,
            response_rate: float, min_responses: int, new_stratum_pi: float, timezone: str,
            overrides: dict, frame: dict, name_en: str = "") -> dict:
    prev = previous_period(period_start, period_end)
    design = {
        "frame": frame, "scheme": scheme, "rule": "fixed" if fixed_pi is not None else "target", "fixed_pi": fixed_pi,
        "margin": margin, "response_rate": response_rate, "min_responses": min_responses,
        "new_stratum_pi": new_stratum_pi, "previous_period": [prev[0].isoformat(), prev[1].isoformat()],
        "timezone": timezone, "selection": "u = HMAC-SHA256(seed, 'source:external_id')[:8] / 2^64 < pi",
        "overrides": overrides,
    }
    if name_en:
        design["name_en"] = name_en  # the English name (no column: Wave.name is the Vietnamese one)
    return design


def create_wave(session: Session, *, code: str, name: str, period_start: date, period_end: date,
                version: QuestionnaireVersion, scheme: str | None = None, fixed_pi: float | None = None,
                margin: float = sampling.DEFAULT_MARGIN, response_rate: float = sampling.DEFAULT_RESPONSE_RATE,
                min_responses: int = sampling.DEFAULT_MIN_RESPONSES, new_stratum_pi: float = 1.0,
                seed: str | None = None, name_en: str = "") -> Wave:
    """A draft wave with its strata planned from the previous period (flushes, never commits).

    The frame follows the instrument (frames.frame_for_instrument); without a scheme a hospital or
    school wave is stratified by unit × event type, any other by agency × sector.
    """
    frame = frames.frame_for_instrument(version.questionnaire.instrument)
    scheme = scheme or (frames.EVENT_SCHEME if frames.is_event_frame(frame) else "agency_sector")
    rules = dict(scheme=scheme, fixed_pi=fixed_pi, margin=margin, response_rate=response_rate,
                 min_responses=min_responses, new_stratum_pi=new_stratum_pi)
    _check_design(period_start=period_start, period_end=period_end, frame=frame, **rules)
    if session.execute(select(Wave.id).where(Wave.code == code)).first():
        raise WaveError("duplicate_code")
    design = _design(period_start, period_end, **rules, timezone=local_tz(), overrides={}, frame=frame,
                     name_en=name_en)
    wave = Wave(code=code, name=name, period_start=period_start, period_end=period_end,
                questionnaire_version_id=version.id, seed=seed or sampling.new_seed(), status=WaveStatus.DRAFT,
                design=design)
    session.add(wave)
    session.flush()
    replan(session, wave)
    return wave


EDITABLE = ("name", "name_en", "period", "questionnaire_version_id", "scheme", "rule", "fixed_pi", "margin",
            "response_rate", "min_responses", "new_stratum_pi")


def _editable(wave: Wave) -> dict:
    d = wave.design
    return {"name": wave.name, "name_en": d.get("name_en", ""),
            "period": [wave.period_start.isoformat(), wave.period_end.isoformat()],
            "questionnaire_version_id": wave.questionnaire_version_id,
            **{k: d.get(k) for k in EDITABLE[4:]}}


def update_wave(session: Session, wave: Wave, *, name: str, period_start: date, period_end: date,
                version: QuestionnaireVersion, scheme: str = "agency_sector", fixed_pi: float | None = None,
                margin: float = sampling.DEFAULT_MARGIN, response_rate: float = sampling.DEFAULT_RESPONSE_RATE,
                min_responses: int = sampling.DEFAULT_MIN_RESPONSES, new_stratum_pi: float = 1.0,
                name_en: str = "") -> dict[str, list]:
    """Change a draft wave's name, period, questionnaire version or design and plan its strata afresh.

    Returns what changed, {field: [before, after]} (empty: nothing did). Stratum overrides stay while the
    stratification stays; a new stratification has other strata, so they go. Code and seed never change.
    """
    if wave.status != WaveStatus.DRAFT:
        raise WaveError("not_draft")
    frame = frames.frame_for_instrument(version.questionnaire.instrument)
    rules = dict(scheme=scheme, fixed_pi=fixed_pi, margin=margin, response_rate=response_rate,
                 min_responses=min_responses, new_stratum_pi=new_stratum_pi)
    _check_design(period_start=period_start, period_end=period_end, frame=frame, **rules)
    before = _editable(wave)
    overrides = dict(wave.design.get("overrides", {})) if scheme == wave.design["scheme"] else {}
    wave.name, wave.period_start, wave.period_end = name, period_start, period_end
    wave.questionnaire_version_id = version.id
    wave.design = _design(period_start, period_end, **rules, overrides=overrides, name_en=name_en, frame=frame,
                          timezone=wave.design.get("timezone") or local_tz())
    after = _editable(wave)
    changes = {k: [before[k], after[k]] for k in EDITABLE if before[k] != after[k]}
    if changes:
        for stratum in list(wave.strata):  # a draft's strata are only a plan: nothing points at them yet
            session.delete(stratum)
        session.flush()
        session.expire(wave, ["strata"])
        replan(session, wave)
    return changes


def delete_wave(session: Session, wave: Wave) -> dict:
    """Delete a draft wave and its planned strata, nothing else; refused once anything points at it.

    Returns what the wave was (code, name, period) for the audit row.
    """
    if wave.status != WaveStatus.DRAFT:
        raise WaveError("not_draft_delete")
    for model in (Invitation, Response, Publication):
        if session.scalar(select(model.id).where(model.wave_id == wave.id).limit(1)) is not None:
            raise WaveError("wave_in_use")
    gone = {"code": wave.code, "name": wave.name,
            "period": [wave.period_start.isoformat(), wave.period_end.isoformat()]}
    for stratum in list(wave.strata):
        session.delete(stratum)
    session.flush()
    session.delete(wave)
    session.flush()
    return gone


def replan(session: Session, wave: Wave) -> None:
    """(Re)compute the strata of a draft wave: previous-period N, π, expected sample; keeps overrides."""
    if wave.status != WaveStatus.DRAFT:
        raise WaveError("not_draft")
    design = wave.design
    scheme = design["scheme"]
    prev_lo, prev_hi = period_bounds(date.fromisoformat(design["previous_period"][0]),
                                     date.fromisoformat(design["previous_period"][1]), design["timezone"])
    cur_lo, cur_hi = period_bounds(wave.period_start, wave.period_end, design["timezone"])
    frame = frames.frame_of(design)
    previous = count_by_cell(session, scheme, prev_lo, prev_hi, frame)
    current = count_by_cell(session, scheme, cur_lo, cur_hi, frame)
    previous, current = validity.restrict(session, wave, previous, current)  # units valid in the period only
    agencies, sectors = code_maps(session)
    existing = {s.key: s for s in wave.strata}
    for cell in sorted(set(previous) | set(current), key=lambda c: stratum_key(scheme, c, agencies, sectors)):
        key = stratum_key(scheme, cell, agencies, sectors)
        n_prev = previous.get(cell, 0)
        plan = stratum_plan(design, key, n_prev)
        stratum = existing.get(key)
        if stratum is None:
            stratum = WaveStratum(wave=wave, key=key, agency_id=cell[0], sector_id=cell[1], pi=plan.pi)
            session.add(stratum)
        stratum.pi = plan.pi
        stratum.target_n = plan.target_responses
        stratum.population_prev = n_prev
        stratum.population = current.get(cell, 0)
    session.flush()


def set_override(session: Session, wave: Wave, key: str, *, pi: float | None = None,
                 target_n: int | None = None) -> None:
    """Fix one stratum's π or target responses (both None: back to the wave-wide rule), then replan."""
    if wave.status != WaveStatus.DRAFT:
        raise WaveError("not_draft")
    if pi is not None and not 0 < pi <= 1:
        raise WaveError("bad_pi")
    if target_n is not None and target_n < 0:
        raise WaveError("bad_target")
    if key not in {s.key for s in wave.strata}:
        raise WaveError("unknown_stratum")
    design = dict(wave.design)
    overrides = dict(design.get("overrides", {}))
    overrides.pop(key, None)
    if pi is not None:
        overrides[key] = {"pi": pi}
    elif target_n is not None:
        overrides[key] = {"target_n": target_n}
    design["overrides"] = overrides
    wave.design = design  # reassign: JSON columns do not track in-place changes
    replan(session, wave)


def launch(session: Session, wave: Wave, now: datetime | None = None,
           deliver: bool = False) -> list[inv_service.Issued]:
    """Launch a draft wave (or catch up a launched one): invite, in one pass, every selected dossier of the
    period that has no invitation yet. Returns the new invitations with their tokens (`deliver`: the
    caller hands them out now, e.g. writes slips)."""
    if wave.status == WaveStatus.CLOSED:
        raise WaveError("closed")
    now = now or utcnow()
    if wave.status == WaveStatus.DRAFT:
        wave.status = WaveStatus.LAUNCHED
        wave.launched_at = now
        session.flush()

    sel = Selector.load(session, [wave.id])
    lo, hi = sel.waves[0]["lo"], sel.waves[0]["hi"]
    invited = select(Invitation.dossier_id).where(Invitation.wave_id == wave.id, Invitation.dossier_id.is_not(None))
    rows = session.execute(
        select(Dossier.id, SourceSystem.code, Dossier.external_id, Dossier.agency_id, Dossier.sector_id,
               Dossier.service_point_id, Dossier.outcome, Dossier.completed_at, Dossier.kind, Dossier.event_type)
        .join(SourceSystem, SourceSystem.id == Dossier.source_system_id)
        .where(Dossier.completed_at >= lo, Dossier.completed_at < hi, Dossier.id.not_in(invited),
               *frames.where(frames.frame_of(wave.design), Dossier))
    ).all()
    dossiers = [(r.code, r._asdict()) for r in validity.valid_rows(session, wave, rows)]
    sel.prepare([d for _code, d in dossiers])
    picked = []
    for code, d in dossiers:
        picked.extend(sel.select(code, d))
    issued = inv_service.bulk_issue(session, wave.id, picked, now=now, delivered=deliver)
    refresh_populations(session, wave)
    return issued


def refresh_populations(session: Session, wave: Wave) -> None:
    """Store each stratum's count of the frame's events in the wave's period (the calibration totals)."""
    scheme = wave.design["scheme"]
    lo, hi = period_bounds(wave.period_start, wave.period_end, wave.design.get("timezone"))
    counts = count_by_key(session, scheme, lo, hi, frames.frame_of(wave.design))
    for s in wave.strata:
        s.population = counts.get(s.key, 0)
    session.flush()


def close(session: Session, wave: Wave, now: datetime | None = None) -> int:
    """Close a launched wave: final stratum counts; open invitations expire. Returns how many expired."""
    if wave.status != WaveStatus.LAUNCHED:
        raise WaveError("not_launched")
    now = now or utcnow()
    refresh_populations(session, wave)
    expired = inv_service.expire_open(session, wave.id)
    wave.status = WaveStatus.CLOSED
    wave.closed_at = now
    session.flush()
    return expired


def error_message(code: str) -> str:
    """The Vietnamese explanation of a WaveError code (for the CLI and the admin pages)."""
    _ = tr
    messages = {
        "period_end_before_start": _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."),
        "period_out_of_range": _("Ngày phải nằm trong khoảng %(first)s – %(last)s.", first=formats.day(FIRST_DAY),
                                 last=formats.day(LAST_DAY)),
        "unknown_scheme": _("Cách phân tầng không hợp lệ (agency_sector, agency, sector, unit_type)."),
        "scheme_needs_events": _("Phân tầng theo đơn vị × loại (unit_type) chỉ dùng cho đợt khảo sát người bệnh "
                                 "hoặc phụ huynh (bảng hỏi y tế, giáo dục)."),
        "duplicate_code": _("Mã đợt khảo sát này đã có."),
        "bad_pi": _("Xác suất chọn π phải nằm trong khoảng (0; 1]."),
        "bad_design": _("Thiết kế không hợp lệ: tỷ lệ phản hồi trong (0; 1], sai số e trong (0; 1), cỡ tối thiểu ≥ 0."),
        "bad_target": _("Số phiếu mục tiêu phải ≥ 0."),
        "not_draft": _("Chỉ sửa được thiết kế khi đợt còn ở trạng thái nháp."),
        "not_draft_delete": _("Chỉ xoá được đợt còn ở trạng thái nháp."),
        "wave_in_use": _("Không xoá được: đã có thư mời, câu trả lời hoặc bản công bố thuộc đợt này."),
        "closed": _("Đợt khảo sát đã đóng."),
        "not_launched": _("Đợt khảo sát chưa được khởi động."),
        "not_closed": _("Chỉ ẩn danh hoá được sau khi đợt khảo sát đã đóng."),
        "unknown_stratum": _("Không có tầng này trong đợt khảo sát."),
    }
    return messages.get(code, code)
