"""Survey waves: create and plan (strata, π), launch (select existing dossiers), close; the on-arrival selector.

A wave's period is a range of local dates (the province's time zone); a dossier belongs to it when its
completion time falls inside. Planning counts each stratum's dossiers in the previous period of equal
length and turns them into π (see survey.services.sampling.plan_stratum).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Agency, Dossier, Invitation, QuestionnaireVersion, Sector, SourceSystem, Wave, WaveStratum
from survey.models._base import utcnow
from survey.services import invitations as inv_service
from survey.services import sampling

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# The days a wave's period may cover. Intake refuses dossiers completed before 2000 and targets are set
# for 2000-2100, so no sensible wave lies outside; the bound also keeps the previous period (up to as
# long again, before the start) and local midnights in UTC inside the calendar that date() can hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class WaveError(ValueError):
    """A wave operation that is not allowed (wrong status, bad period, duplicate code...)."""


def tr(message: str, **variables) -> str:
    """gettext that also works outside a request (CLI, jobs, tests): there the default language is used."""
    from flask import current_app, has_app_context, has_request_context
    from flask_babel import gettext

    if has_request_context():
        return gettext(message, **variables)
    if has_app_context():
        with current_app.test_request_context():
            return gettext(message, **variables)
    return message % variables if variables else message


def local_tz() -> str:
    """The province's time zone name (BABEL_DEFAULT_TIMEZONE), Asia/Ho_Chi_Minh by default."""
    try:
        from flask import current_app

        return current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TZ)
    except RuntimeError:
        return DEFAULT_TZ


def period_bounds(start: date, end: date, tz: str | None = None) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end) as naive UTC datetimes."""
    zone = ZoneInfo(tz or local_tz())
    lo = datetime.combine(start, time(0), zone).astimezone(timezone.utc).replace(tzinfo=None)
    hi = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(timezone.utc).replace(tzinfo=None)
    return lo, hi


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length that ends the day before `start`.

    A period of whole calendar months (a month, a quarter, a year) is compared with the same number of
    months before it (Q2 → Q1, not "the 91 days before April"); any other period with the same number
    of days.
    """
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        index = start.year * 12 + start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), start - timedelta(days=1)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _cell(scheme: str, agency_id: int | None, sector_id: int | None) -> tuple[int | None, int | None]:
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


def _code_maps(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    sectors = dict(session.execute(select(Sector.id, Sector.code)).all())
    return agencies, sectors


def _key(scheme: str, cell: tuple, agencies: dict, sectors: dict) -> str:
    return sampling.stratum_key(scheme, agencies.get(cell[0]), sectors.get(cell[1]))


def _stratum_plan(design: dict, key: str, n_prev: int) -> sampling.StratumPlan:
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


def create_wave(session: Session, *, code: str, name: str, period_start: date, period_end: date,
                version: QuestionnaireVersion, scheme: str = "agency_sector", fixed_pi: float | None = None,
                margin: float = sampling.DEFAULT_MARGIN, response_rate: float = sampling.DEFAULT_RESPONSE_RATE,
                min_responses: int = sampling.DEFAULT_MIN_RESPONSES, new_stratum_pi: float = 1.0,
                seed: str | None = None) -> Wave:
    """A draft wave with its strata planned from the previous period (flushes, never commits)."""
    if period_end < period_start:
        raise WaveError("period_end_before_start")
    if period_start < FIRST_DAY or period_end > LAST_DAY:
        raise WaveError("period_out_of_range")
    if scheme not in sampling.STRATA_SCHEMES:
        raise WaveError("unknown_scheme")
    if session.execute(select(Wave.id).where(Wave.code == code)).first():
        raise WaveError("duplicate_code")
    if fixed_pi is not None and not 0 < fixed_pi <= 1:
        raise WaveError("bad_pi")
    if not 0 < response_rate <= 1 or not 0 < margin < 1 or min_responses < 0 or not 0 <= new_stratum_pi <= 1:
        raise WaveError("bad_design")
    prev = previous_period(period_start, period_end)
    design = {
        "scheme": scheme, "rule": "fixed" if fixed_pi is not None else "target", "fixed_pi": fixed_pi,
        "margin": margin, "response_rate": response_rate, "min_responses": min_responses,
        "new_stratum_pi": new_stratum_pi, "previous_period": [prev[0].isoformat(), prev[1].isoformat()],
        "timezone": local_tz(), "selection": "u = HMAC-SHA256(seed, 'source:external_id')[:8] / 2^64 < pi",
        "overrides": {},
    }
    wave = Wave(code=code, name=name, period_start=period_start, period_end=period_end,
                questionnaire_version_id=version.id, seed=seed or sampling.new_seed(), status="draft", design=design)
    session.add(wave)
    session.flush()
    replan(session, wave)
    return wave


def replan(session: Session, wave: Wave) -> None:
    """(Re)compute the strata of a draft wave: previous-period N, π, expected sample; keeps overrides."""
    if wave.status != "draft":
        raise WaveError("not_draft")
    design = wave.design
    scheme = design["scheme"]
    prev_lo, prev_hi = period_bounds(date.fromisoformat(design["previous_period"][0]),
                                     date.fromisoformat(design["previous_period"][1]), design["timezone"])
    cur_lo, cur_hi = period_bounds(wave.period_start, wave.period_end, design["timezone"])
    previous = count_by_cell(session, scheme, prev_lo, prev_hi)
    current = count_by_cell(session, scheme, cur_lo, cur_hi)
    agencies, sectors = _code_maps(session)
    existing = {s.key: s for s in wave.strata}
    for cell in sorted(set(previous) | set(current), key=lambda c: _key(scheme, c, agencies, sectors)):
        key = _key(scheme, cell, agencies, sectors)
        n_prev = previous.get(cell, 0)
        plan = _stratum_plan(design, key, n_prev)
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
    if wave.status != "draft":
        raise WaveError("not_draft")
    if pi is not None and not 0 <= pi <= 1:
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


def launch(session: Session, wave: Wave, now: datetime | None = None, deliver: bool = False) -> list[inv_service.Issued]:
    """Launch a draft wave (or catch up a launched one): invite, in one pass, every selected dossier of the
    period that has no invitation yet. Returns the new invitations with their tokens (`deliver`: the
    caller hands them out now, e.g. writes slips)."""
    if wave.status == "closed":
        raise WaveError("closed")
    now = now or utcnow()
    if wave.status == "draft":
        wave.status = "launched"
        wave.launched_at = now
        session.flush()
    from survey.services.selector import Selector  # selector builds on this module's helpers

    sel = Selector.load(session, [wave.id])
    lo, hi = sel.waves[0]["lo"], sel.waves[0]["hi"]
    invited = select(Invitation.dossier_id).where(Invitation.wave_id == wave.id, Invitation.dossier_id.is_not(None))
    rows = session.execute(
        select(Dossier.id, SourceSystem.code, Dossier.external_id, Dossier.agency_id, Dossier.sector_id,
               Dossier.service_point_id, Dossier.outcome, Dossier.completed_at)
        .join(SourceSystem, SourceSystem.id == Dossier.source_system_id)
        .where(Dossier.completed_at >= lo, Dossier.completed_at < hi, Dossier.id.not_in(invited))
    ).all()
    dossiers = [(r.code, r._asdict()) for r in rows]
    sel.prepare([d for _code, d in dossiers])
    picked = []
    for code, d in dossiers:
        picked.extend(sel.select(code, d))
    issued = inv_service.bulk_issue(session, wave.id, picked, now=now, delivered=deliver)
    refresh_populations(session, wave)
    return issued


def refresh_populations(session: Session, wave: Wave) -> None:
    """Store each stratum's dossier count in the wave's period (the calibration totals)."""
    scheme = wave.design["scheme"]
    lo, hi = period_bounds(wave.period_start, wave.period_end, wave.design.get("timezone"))
    counts = count_by_cell(session, scheme, lo, hi)
    for s in wave.strata:
        s.population = counts.get((s.agency_id, s.sector_id), 0)
    session.flush()


def close(session: Session, wave: Wave, now: datetime | None = None) -> int:
    """Close a launched wave: final stratum counts; open invitations expire. Returns how many expired."""
    if wave.status != "launched":
        raise WaveError("not_launched")
    now = now or utcnow()
    refresh_populations(session, wave)
    expired = inv_service.expire_open(session, wave.id)
    wave.status = "closed"
    wave.closed_at = now
    session.flush()
    return expired


def error_message(code: str) -> str:
    """The Vietnamese explanation of a WaveError code (for the CLI and the admin pages)."""
    _ = tr
    messages = {
        "period_end_before_start": _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."),
        "period_out_of_range": _("Ngày phải nằm trong khoảng %(first)s – %(last)s.", first=FIRST_DAY.isoformat(),
                                 last=LAST_DAY.isoformat()),
        "unknown_scheme": _("Cách phân tầng không hợp lệ (agency_sector, agency, sector)."),
        "duplicate_code": _("Mã đợt khảo sát này đã có."),
        "bad_pi": _("Xác suất chọn π phải nằm trong khoảng (0; 1]."),
        "bad_design": _("Thiết kế không hợp lệ: tỷ lệ phản hồi trong (0; 1], sai số e trong (0; 1), cỡ tối thiểu ≥ 0."),
        "bad_target": _("Số phiếu mục tiêu phải ≥ 0."),
        "not_draft": _("Chỉ sửa được thiết kế khi đợt còn ở trạng thái nháp."),
        "closed": _("Đợt khảo sát đã đóng."),
        "not_launched": _("Đợt khảo sát chưa được khởi động."),
        "not_closed": _("Chỉ ẩn danh hoá được sau khi đợt khảo sát đã đóng."),
        "unknown_stratum": _("Không có tầng này trong đợt khảo sát."),
    }
    return messages.get(code, code)
