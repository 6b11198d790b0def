"""Demo step of sampling: the one-stop software "demo-motcua", its dossiers, and a launched wave.

Simulates a few thousand completed dossiers for the previous and the current quarter (through the real
intake service), creates the current quarter's wave on the service-point questionnaire with the SIPAS
sizing, launches it, and hands out a few invitations (links, QR, a printable slip) to try.
Idempotent: dossiers and the wave are created once; each run re-keys the same few demo invitations,
since tokens cannot be recovered from their hashes.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from survey.models import Agency, Dossier, Invitation, Sector, Wave
from survey.models._base import utcnow
from survey.models.fieldwork import DossierChannel, InvitationStatus, Outcome
from survey.models.registry import AgencyLevel
from survey.services.intake import apikeys
from survey.services.intake import batch as intake
from survey.services.sampling import invitations, waves

SOURCE = "demo-motcua"
DEMO_TOKENS = 6
# Since 1 July 2025 the commune level takes the district's procedures too (two-level local government).
COMMUNE_SECTORS = {"civil_status": 20, "land": 16, "construction": 5, "business": 4}
LEVEL_SECTORS = {AgencyLevel.COMMUNE: COMMUNE_SECTORS, AgencyLevel.WARD: COMMUNE_SECTORS,
                 AgencyLevel.SPECIAL_ZONE: COMMUNE_SECTORS}
DEPARTMENT_VOLUME, LAND_DEPARTMENT_VOLUME, CENTRAL_VOLUME = 60, 400, 30
OUTCOMES = ((Outcome.APPROVED, 0.88), (Outcome.REJECTED, 0.08), (Outcome.WITHDRAWN, 0.04))
CHANNELS = ((DossierChannel.IN_PERSON, 0.7), (DossierChannel.ONLINE, 0.25), (DossierChannel.POSTAL, 0.05))


def _quarter(day: date, back: int = 0) -> tuple[date, date, int, int]:
    index = day.year * 4 + (day.month - 1) // 3 - back
    year, q = divmod(index, 4)
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return start, end, year, q + 1


def _pick(rng, weighted) -> str:
    x, acc = rng.random(), 0.0
    for value, w in weighted:
        acc += w
        if x < acc:
            return value
    return weighted[-1][0]


def _cells(ctx) -> list[tuple[str, str, int, str | None]]:
    """(agency code, sector code, dossiers per quarter, service point code) of the simulated province."""
    data, s = ctx.data, ctx.session
    levels = dict(s.execute(select(Agency.code, Agency.level)).all())
    point_of: dict[str, str] = {}
    for point, served in data.get("service_point_agency_codes", {}).items():
        for agency in served:
            point_of.setdefault(agency, point)
    cells = []
    for sector, dept in data.get("sector_department_codes", {}).items():
        volume = LAND_DEPARTMENT_VOLUME if sector == "land" else DEPARTMENT_VOLUME
        cells.append((dept, sector, volume, point_of.get(dept)))
    for code in data.get("central_agency_codes", []):
        cells.append((code, "other", CENTRAL_VOLUME, point_of.get(code)))
    for code in data.get("commune_codes", []):  # today's units only: the district level is retired
        for sector, volume in LEVEL_SECTORS.get(levels.get(code, ""), {}).items():
            cells.append((code, sector, volume, point_of.get(code)))
    known_sectors = set(data.get("sector_codes", []))
    return [c for c in cells if c[0] in levels and c[1] in known_sectors]


def _records(ctx, cells, start: date, end: date, prefix: str, last: datetime) -> list[dict]:
    rng, tz = ctx.rng, ZoneInfo(waves.local_tz())
    procedures = ctx.data.get("procedure_codes_by_sector", {})
    days = (end - start).days + 1
    records, n = [], 0
    for agency, sector, volume, point in cells:
        for _ in range(max(1, round(volume * rng.uniform(0.75, 1.25)))):
            completed = datetime.combine(start + timedelta(days=rng.randrange(days)),
                                         time(7 + rng.randrange(10), rng.randrange(60)), tz)
            if completed.astimezone(UTC).replace(tzinfo=None) > last:
                continue  # the current quarter is simulated only up to now
            received = completed - timedelta(days=rng.choice((0, 1, 3, 5, 7, 10, 15, 20)), hours=rng.randrange(8))
            due = received + timedelta(days=rng.choice((1, 5, 10, 15)))
            n += 1
            record = {"external_id": f"{prefix}-{n:06d}", "agency": agency, "sector": sector,
                      "channel": _pick(rng, CHANNELS), "outcome": _pick(rng, OUTCOMES),
                      "received_at": received.isoformat(), "due_at": due.isoformat(),
                      "completed_at": completed.isoformat(), "service_point": point}
            if procedures.get(sector):
                record["procedure"] = rng.choice(procedures[sector])
            if rng.random() < 0.4:
                record["phone"] = f"09{rng.randrange(10**8):08d}"
            records.append(record)
    return records


def seed(ctx) -> None:
    """Source system, simulated dossiers, the launched current-quarter wave and a few demo invitations."""
    s = ctx.session
    if not ctx.data.get("sector_department_codes") or s.scalar(select(func.count()).select_from(Agency)) == 0:
        ctx.notes.append("Demo chọn mẫu: chưa có danh mục cơ quan nên chưa tạo hồ sơ và đợt khảo sát.")
        return
    source, created = intake.get_or_create_source(s, SOURCE, "Phần mềm một cửa điện tử (demo)")
    if created:
        _key, key = apikeys.create_key(s, source)
        ctx.notes.append(f"Khoá API demo của {SOURCE} (chỉ hiện lần đầu): {key} — thử: curl -H "
                         f"'Authorization: Bearer {key}' ... /api/v1/dossiers (xem docs/operations.md)")
    today = date.today()
    cur_start, cur_end, year, q = _quarter(today)
    prev_start, prev_end, *_ = _quarter(today, 1)
    if s.scalar(select(func.count()).select_from(Dossier).where(Dossier.source_system_id == source.id)) == 0:
        cells = _cells(ctx)
        now = utcnow()
        for prefix, (start, end) in (("HS-TRUOC", (prev_start, prev_end)), ("HS", (cur_start, cur_end))):
            records = _records(ctx, cells, start, end, f"{prefix}-{year}Q{q}", now - timedelta(hours=1))
            for i in range(0, len(records), 2000):
                intake.ingest(s, source, records[i:i + 2000], deliver=False)
    code = f"DOT-{year}-Q{q}"
    wave = s.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        from survey.services.questionnaires.bank import get_version

        version = get_version(s, "sipas2023-service")
        if version is None:
            ctx.notes.append("Demo chọn mẫu: chưa nạp bảng hỏi sipas2023-service nên chưa tạo đợt khảo sát.")
            return
        wave = waves.create_wave(s, code=code, name=f"Khảo sát hài lòng quý {q}/{year} (đang chạy, demo)",
                                 period_start=cur_start, period_end=cur_end, version=version, margin=0.1,
                                 response_rate=0.5, min_responses=10, seed=f"demo-motcua-{year}-Q{q}")
        waves.launch(s, wave)
    ctx.data["sampling_wave"] = wave.code
    _demo_invitations(ctx, wave)


def _demo_invitations(ctx, wave: Wave) -> None:
    """Re-key the first few open invitations of the wave and publish their links, QR code and slip."""
    s = ctx.session
    invs = list(s.scalars(select(Invitation).where(Invitation.wave_id == wave.id,
                                                 Invitation.status == InvitationStatus.ISSUED)
                          .order_by(Invitation.id).limit(DEMO_TOKENS)))
    issued = invitations.rekey(s, invs)
    tokens = [i.token for i in issued]
    ctx.data["invitation_tokens"] = tokens
    if not tokens:
        return
    n_inv = s.scalar(select(func.count()).select_from(Invitation).where(Invitation.wave_id == wave.id))
    sectors = s.scalar(select(func.count()).select_from(Sector))
    for i, token in enumerate(tokens[:3], 1):
        ctx.urls.append((f"Thư mời khảo sát {i} (đường liên kết)", invitations.invitation_url(token)))
    ctx.urls.append(("Phiếu mời in khổ A6 (kèm mã QR)", f"/api/v1/invitations/{tokens[0]}/slip?format=a6"))
    ctx.urls.append(("Phiếu mời in khổ giấy nhiệt 80 mm", f"/api/v1/invitations/{tokens[1]}/slip?format=80mm"))
    ctx.urls.append(("Mã QR của thư mời (SVG)", f"/api/v1/invitations/{tokens[0]}/qr.svg"))
    ctx.urls.append(("Đợt khảo sát (quản trị)", "/admin/waves/"))
    ctx.urls.append(("Mô tả API nhận hồ sơ (OpenAPI)", "/api/v1/openapi.json"))
    ctx.notes.append(f"Đợt {wave.code} đang chạy: {n_inv} thư mời, {len(wave.strata)} tầng (cơ quan × lĩnh vực, "
                     f"{sectors} lĩnh vực); hồ sơ gửi qua API trong kỳ sẽ được chọn mẫu ngay khi nhận.")
