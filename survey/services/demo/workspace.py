"""Demo step of the analyst workspace: demo accounts, and closed past waves with simulated answers.

The simulated province: every agency handles the sectors its name and level suggest; citizens are
less satisfied with land and construction (and with refusals), so the dashboard shows those
sectors below their 85 % target while most others meet 90 %. Four quarterly waves before the
current quarter are created through the sampling services (plan → launch → answers → close), so
the trend chart has history. Idempotent: existing accounts and waves are left alone.

The waves span the 2025 reorganisation: 2024-Q4 on the old departments and districts (and the old
communes that have a desk in the registry file), 2025-Q2 on the merged departments and the old
districts, and the last two quarters on today's units (merged departments, 69 communes and wards).
Each wave's cells are the units valid on its first day, so the restated trend (survey.services.
workspace.trend_restated) has earlier publications to restate.
"""
from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from survey.models import Agency, Answer, Dossier, Invitation, Response, Sector, ServicePoint, SourceSystem, User, Wave
from survey.models.fieldwork import DossierChannel, InvitationStatus, Outcome
from survey.models.registry import AgencyLevel, ServicePointKind
from survey.models.response import Language, ResponseMode
from survey.models.user import Role
from survey.services.accounts.users import create_user
from survey.services.respond import rescore

SOURCE = "demo-history"
PASSWORD = "hailong-demo-2025"
WAVES_BACK = 2                             # the last quarters before the current one …
FIXED_QUARTERS = ((2024, 4), (2025, 2))    # … after two quarters before the reorganisation (see the docstring)
REORGANISED_ON = date(2025, 7, 1)
DEPARTMENTS_MERGED_ON = date(2025, 3, 1)
DOSSIER_SCALE = 1.0
# Sector tendencies (logit of P(satisfied) before agency and item effects).
SECTOR_BASE = {"land": 1.05, "construction": 1.30, "investment": 1.85, "business": 2.35, "civil_status": 2.9,
               "justice": 2.7, "labour": 2.45, "transport": 2.3, "health": 2.2, "education": 2.5, "other": 2.4}
NAME_SECTORS = [("nông nghiệp và môi trường", ["land", "other"]), ("tài nguyên", ["land"]),
                ("xây dựng", ["construction"]), ("kế hoạch và đầu tư", ["investment", "business"]),
                ("đầu tư", ["investment"]), ("tư pháp", ["justice", "civil_status"]),
                ("lao động", ["labour"]), ("giao thông", ["transport"]), ("y tế", ["health"]),
                ("giáo dục", ["education"]), ("công thương", ["business"]), ("nông nghiệp", ["other"]),
                ("khu kinh tế", ["investment", "construction"]), ("công an", ["civil_status"]),
                ("bảo hiểm xã hội", ["labour"]), ("thuế", ["business"])]
# Departments that absorbed others on 1 March 2025 take over their sectors from then on.
ABSORBED_SECTORS = {"HT-STC": ["investment", "business"], "HT-SXD": ["construction", "transport"],
                    "HT-SNV": ["labour", "other"]}
LEVEL_SECTORS = {AgencyLevel.DISTRICT: ["land", "construction", "civil_status", "business"],
                 AgencyLevel.COMMUNE: ["civil_status", "land"], AgencyLevel.WARD: ["civil_status", "land"],
                 AgencyLevel.DEPARTMENT: ["other"], AgencyLevel.CENTRAL: ["other"]}
LEVEL_VOLUME = {AgencyLevel.DEPARTMENT: 70, AgencyLevel.DISTRICT: 45, AgencyLevel.COMMUNE: 14,
                AgencyLevel.WARD: 14, AgencyLevel.PROVINCE: 40, AgencyLevel.CENTRAL: 50}
TWO_LEVEL_VOLUME = 30  # a commune or ward since 1 July 2025 also handles what the district did
SECTOR_VOLUME = {"land": 2.4, "construction": 1.6, "investment": 1.3}  # busy provincial departments
ELEMENT_SHIFT = {"ACC": 0.35, "PRO": -0.15, "CIV": 0.25, "RES": 0.1, "FBK": -0.45}
COMMENTS = ["Mong cán bộ hướng dẫn kỹ hơn về giấy tờ cần nộp.", "Thời gian chờ lâu, cần thêm quầy tiếp nhận.",
            "Cán bộ nhiệt tình, chu đáo.", "Nên có thêm chỗ ngồi chờ và nước uống.",
            "Hồ sơ đất đai phải bổ sung nhiều lần, đề nghị hướng dẫn một lần đầy đủ.",
            "Dịch vụ công trực tuyến còn khó sử dụng với người lớn tuổi."]


def _demo_users(ctx, department: Agency | None, centre: ServicePoint | None) -> None:
    """Admin, analyst, an agency viewer for one department, an officer at the provincial centre."""
    s = ctx.session
    wanted = [("admin", Role.ADMIN, "Quản trị viên demo", {}),
              ("analyst", Role.ANALYST, "Chuyên viên Sở Nội vụ (demo)", {})]
    if department is not None:
        wanted.append(("viewer", Role.AGENCY_VIEWER, "Cán bộ " + department.name_vi,
                       {"agency_id": department.id}))
    if centre is not None:
        wanted.append(("officer", Role.OFFICER, "Cán bộ một cửa (demo)", {"service_point_id": centre.id}))
    for username, role, name, scope in wanted:
        if s.scalar(select(User.id).where(User.username == username)) is None:
            create_user(s, username, PASSWORD, role, full_name=name, **scope)
    ctx.urls.append(("Đăng nhập cán bộ (analyst / admin / viewer / officer)", "/auth/login"))
    ctx.urls.append(("Bảng điều khiển chỉ số hài lòng", "/analyst/"))
    ctx.notes.append("Tài khoản demo (mật khẩu chung: %s): analyst — phân tích toàn tỉnh; admin — quản trị; "
                     "viewer — chỉ xem %s; officer — cán bộ tại quầy." % (
                         PASSWORD, department.name_vi if department else "—"))


def _quarter(day: date, back: int) -> tuple[date, date, str]:
    """The quarter `back` quarters before the one containing `day`: (start, end, label)."""
    index = (day.year * 4 + (day.month - 1) // 3) - back
    year, q = divmod(index, 4)
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return start, end, "%d-Q%d" % (year, q + 1)


def demo_quarters(today: date) -> list[tuple[date, date, str]]:
    """The demo's closed quarters, oldest first: the fixed ones before the reorganisation, then the last
    WAVES_BACK before today's (never the current quarter, never twice)."""
    current = today.year * 4 + (today.month - 1) // 3
    backs = {current - (y * 4 + q - 1) for y, q in FIXED_QUARTERS} | set(range(1, WAVES_BACK + 1))
    return [_quarter(today, back) for back in sorted((b for b in backs if b > 0), reverse=True)]


def _valid(agency, on: date) -> bool:
    return (agency.valid_from is None or agency.valid_from <= on) and (agency.valid_to is None or agency.valid_to > on)


def _strata(session, on: date) -> list[tuple[Agency, Sector, float, ServicePoint | None]]:
    """(agency, sector, volume, service point) cells of the simulated province on day `on`: the units
    valid that day; before 1 July 2025 only the old communes with a one-stop desk are simulated."""
    sectors = {s.code: s for s in session.scalars(select(Sector))}
    points = [p for p in session.scalars(select(ServicePoint).order_by(ServicePoint.id)) if _valid(p, on)]
    served: dict[int, ServicePoint] = {}
    desks: set[int] = set()
    for p in points:
        for a in [p.agency, *p.agencies_served]:
            served.setdefault(a.id, p)
        if p.kind == ServicePointKind.COMMUNE_DESK:
            desks.add(p.agency_id)
    cells = []
    for agency in session.scalars(select(Agency).order_by(Agency.code)):
        if not _valid(agency, on):
            continue
        commune = agency.level in (AgencyLevel.COMMUNE, AgencyLevel.WARD)
        if commune and on < REORGANISED_ON and agency.id not in desks:
            continue
        name = agency.name_vi.lower()
        codes = ABSORBED_SECTORS.get(agency.code) if on >= DEPARTMENTS_MERGED_ON else None
        codes = codes or next((codes for key, codes in NAME_SECTORS if key in name), None)
        codes = codes or LEVEL_SECTORS.get(agency.level, [])
        for code in codes:
            if code in sectors:
                volume = LEVEL_VOLUME.get(agency.level, 50) * (SECTOR_VOLUME.get(code, 1.0) if agency.level ==
                                                               AgencyLevel.DEPARTMENT else 1.0)
                if commune and on >= REORGANISED_ON:
                    volume = TWO_LEVEL_VOLUME
                cells.append((agency, sectors[code], volume, served.get(agency.id)))
    return cells


def _local(day: date, rng, tz: str) -> datetime:
    moment = datetime.combine(day, time(7 + rng.randrange(10), rng.randrange(60)), ZoneInfo(tz))
    return moment.astimezone(UTC).replace(tzinfo=None)


def _dossiers(ctx, source: SourceSystem, cells, start: date, end: date, label: str, trend: float) -> None:
    rng, days = ctx.rng, (end - start).days + 1
    rows = []
    for agency, sector, volume, point in cells:
        for k in range(max(8, int(rng.gauss(volume, volume * 0.15) * DOSSIER_SCALE))):
            completed = _local(start + timedelta(days=rng.randrange(days)), rng, "Asia/Ho_Chi_Minh")
            outcome = rng.choices([Outcome.APPROVED, Outcome.REJECTED, Outcome.WITHDRAWN], [90, 7, 3])[0]
            received = completed - timedelta(days=rng.randint(1, 25))
            due = received + timedelta(days=15)
            rows.append({"source_system_id": source.id, "external_id": "%s-%s-%s-%05d" % (label, agency.code,
                         sector.code, k), "agency_id": agency.id, "sector_id": sector.id,
                         "service_point_id": point.id if point else None,
                         "channel": rng.choices([DossierChannel.IN_PERSON, DossierChannel.ONLINE,
                                                 DossierChannel.POSTAL], [62, 34, 4])[0],
                         "received_at": received, "due_at": due, "completed_at": completed, "outcome": outcome,
                         "on_time": completed <= due, "content_hash": uuid.UUID(int=rng.getrandbits(128)).hex})
    ctx.session.execute(Dossier.__table__.insert(), rows)  # Core executemany: fast


def _answers(rng, base: float, channel: str, content_items: list[str]) -> dict[str, int]:
    """One simulated questionnaire: items share a personal level, so they correlate as real answers do."""
    person = rng.gauss(0, 0.9)
    answers: dict[str, int] = {"RESP_TYPE": rng.choices([1, 2], [85, 15])[0],
                               "CHANNEL": {DossierChannel.IN_PERSON: 1, DossierChannel.ONLINE: rng.choice([2, 3]),
                                           DossierChannel.POSTAL: 4}[channel]}
    used_feedback = rng.random() < 0.22
    answers["FBK_USED"] = 1 if used_feedback else 2
    sat = []
    for item in content_items:
        if item in ("FBK2", "FBK3") and not used_feedback:
            continue
        if rng.random() < 0.03:  # an item left unanswered
            continue
        p = 1 / (1 + math.exp(-(base + person + ELEMENT_SHIFT.get(item[:3], 0) + rng.gauss(0, 0.5))))
        code = rng.choice([4, 5, 5] if rng.random() < p else [1, 2, 3, 3])
        answers[item] = code
        sat.append(code >= 4)
    p_all = sum(sat) / len(sat) if sat else 0.5
    answers["OVR1"] = rng.choice([4, 5]) if rng.random() < 0.1 + 0.85 * p_all else rng.choice([2, 3])
    for k in range(1, 11):
        answers["NEED%d" % k] = rng.choice([2, 3, 3, 4, 4])
    answers.update(SEX=rng.choice([1, 2]), AGE=rng.choices([1, 2, 3, 4, 5], [8, 22, 35, 20, 15])[0],
                   ETHNIC=rng.choices([1, 2], [96, 4])[0], EDU=rng.choices(range(1, 7), [8, 20, 30, 20, 20, 2])[0],
                   OCCUP=rng.choices(range(1, 8), [10, 8, 40, 5, 17, 15, 5])[0])
    return answers


def _respond(ctx, wave: Wave, version_id: int, items: list[str], trend: float, effects: dict[int, float],
             sector_codes: dict[int, str], end: date) -> int:
    """Simulate who answers each invitation of a launched wave, and what; returns the number of responses."""
    s, rng = ctx.session, ctx.rng
    invs = s.execute(select(Invitation.id, Invitation.agency_id, Invitation.sector_id, Invitation.service_point_id,
                            Invitation.outcome, Dossier.channel, Dossier.completed_at)
                     .join(Dossier, Dossier.id == Invitation.dossier_id)
                     .where(Invitation.wave_id == wave.id).order_by(Invitation.id)).all()
    responses, answer_rows, opened = [], [], []
    last = datetime.combine(end, time(23)) + timedelta(days=20)
    for inv in invs:
        p = {Outcome.APPROVED: 0.5, Outcome.REJECTED: 0.36, Outcome.WITHDRAWN: 0.3}[inv.outcome]
        p *= {DossierChannel.IN_PERSON: 1.0, DossierChannel.ONLINE: 1.1, DossierChannel.POSTAL: 0.55}[inv.channel]
        if rng.random() >= p:
            if rng.random() < 0.15:
                opened.append({"id": inv.id, "status": InvitationStatus.OPENED,
                               "opened_at": inv.completed_at + timedelta(days=1)})
            continue
        base = (SECTOR_BASE.get(sector_codes[inv.sector_id], 2.4) + effects.get(inv.agency_id, 0.0) + trend
                - (1.2 if inv.outcome == Outcome.REJECTED else 0.0))
        submitted = min(inv.completed_at + timedelta(hours=rng.randint(1, 240)), last)
        kiosk = inv.channel == DossierChannel.IN_PERSON and rng.random() < 0.5
        responses.append({"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "invitation_id": inv.id,
                          "questionnaire_version_id": version_id, "wave_id": wave.id, "agency_id": inv.agency_id,
                          "sector_id": inv.sector_id, "service_point_id": inv.service_point_id,
                          "mode": ResponseMode.KIOSK if kiosk else ResponseMode.LINK, "probability_sample": True,
                          "partial": False, "language": Language.VI, "started_at": submitted - timedelta(minutes=4),
                          "submitted_at": submitted, "_answers": _answers(rng, base, inv.channel, items),
                          "_comment": rng.random() < 0.06})
    if responses:
        ids = s.execute(insert(Response.__table__).returning(Response.__table__.c.id, sort_by_parameter_order=True),
                        [{k: v for k, v in r.items() if not k.startswith("_")} for r in responses]).scalars().all()
        for rid, r in zip(ids, responses):
            answer_rows += [{"response_id": rid, "item_code": code, "value_int": value, "value_text": None}
                            for code, value in r["_answers"].items()]
            if r["_comment"]:
                answer_rows.append({"response_id": rid, "item_code": "CMT1", "value_int": None,
                                    "value_text": rng.choice(COMMENTS)})
        s.execute(Answer.__table__.insert(), answer_rows)
        # This bulk path bypasses prepare_response, so it stores the score rows the index table reads.
        rescore.store_computed(s, list(ids))
        s.execute(update(Invitation), [{"id": r["invitation_id"], "status": InvitationStatus.COMPLETED,
                                        "opened_at": r["started_at"], "completed_at": r["submitted_at"]}
                                       for r in responses])
    if opened:
        s.execute(update(Invitation), opened)
    return len(responses)


def _waves(ctx, version) -> None:
    from survey.services.questionnaires.bank import index_structure
    from survey.services.sampling import waves as waves_service

    s, rng = ctx.session, ctx.rng
    today = date.today()
    quarters = demo_quarters(today)
    if not _strata(s, quarters[-1][0]):
        ctx.notes.append("Demo phân tích: chưa có danh mục cơ quan/lĩnh vực nên chưa tạo đợt khảo sát mẫu.")
        return
    source = s.scalar(select(SourceSystem).where(SourceSystem.code == SOURCE))
    if source is None:
        source = SourceSystem(code=SOURCE, name="Dữ liệu lịch sử mô phỏng (demo)")
        s.add(source)
        s.flush()
    items = index_structure(version.content)["items"]
    sector_codes = dict(s.execute(select(Sector.id, Sector.code)).all())
    effects: dict[int, float] = {}
    created = []
    for order, (start, end, label) in enumerate(quarters):
        code = "DEMO-" + label
        if s.scalar(select(Wave.id).where(Wave.code == code)) is not None:
            continue
        cells = _strata(s, start)
        for a, _sec, _v, _p in cells:  # an agency keeps its tendency across waves
            effects.setdefault(a.id, rng.gauss(0, 0.35))
        trend = 0.12 * order
        _dossiers(ctx, source, cells, start, end, label, trend)
        wave = waves_service.create_wave(
            s, code=code, name="Khảo sát hài lòng quý %s/%s (demo)" % (label[-1], label[:4]), period_start=start,
            period_end=end, version=version, response_rate=0.45, margin=0.06, seed="demo-" + label)
        launch_at = datetime.combine(start, time(1))
        waves_service.launch(s, wave, now=launch_at)
        n = _respond(ctx, wave, version.id, items, trend, effects, sector_codes, end)
        waves_service.close(s, wave, now=datetime.combine(end, time(12)) + timedelta(days=21))
        created.append("%s (%d câu trả lời)" % (code, n))
    ctx.data["workspace_waves"] = list(s.scalars(select(Wave.code).where(Wave.code.startswith("DEMO-"))
                                                 .order_by(Wave.period_start)))
    ctx.notes.append("Đợt khảo sát demo đã đóng, có câu trả lời mô phỏng (đất đai, xây dựng còn thấp): " +
                     (", ".join(created) if created else ", ".join(ctx.data["workspace_waves"])) +
                     " — xem /analyst/ (tài khoản analyst).")


def seed(ctx) -> None:
    """Demo users and closed demo waves with simulated answers (idempotent)."""
    from survey.services.questionnaires.bank import get_version

    s = ctx.session
    department = s.scalar(select(Agency).where(Agency.level == AgencyLevel.DEPARTMENT, Agency.active.is_(True),
                                               Agency.valid_to.is_(None))
                          .where(Agency.name_vi.ilike("%môi trường%")).order_by(Agency.code).limit(1)) or s.scalar(
        select(Agency).where(Agency.level == AgencyLevel.DEPARTMENT).order_by(Agency.code).limit(1))
    centre = s.scalar(select(ServicePoint).where(ServicePoint.kind == ServicePointKind.PROVINCE_CENTRE).limit(1))
    _demo_users(ctx, department, centre)
    version = get_version(s, "sipas2023-service")
    if version is None:
        ctx.notes.append("Demo phân tích: chưa nạp bảng hỏi sipas2023-service nên chưa tạo đợt khảo sát mẫu.")
        return
    _waves(ctx, version)
    ctx.data["workspace_users"] = {"analyst": "analyst", "admin": "admin", "viewer": "viewer",
                                   "officer": "officer", "password": PASSWORD,
                                   "viewer_agency_id": department.id if department else None}
