"""Delivering invitations: printable slips (A5, A6, 80 mm thermal), SMS/Zalo message files, link lists.

Tokens exist in clear only when issued, so these are produced right then, from the `Issued` list that
issuing returns (API answer, `wave launch --out`, `import dossiers --out`, or `wave slips` which
re-keys invitations nobody has received yet). The admin's bundle of a whole wave is a background
job (sampling/bundle.py).

Slips and SMS carry the invitation's short code (sampling/invitations.py) besides the link: the SMS
link is the short /m/<code> one, and the unaccented SMS is GSM-7 in one message (texts.py).
"""
from __future__ import annotations

import csv
import os
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, DossierContact, Invitation, ServicePoint, Wave
from survey.models.fieldwork import InvitationStatus
from survey.services.common.i18n import tr as _
from survey.services.common.periods import local_tz
from survey.services.common.spreadsheet import safe_dict, safe_row
from survey.services.common.texts import gsm7_text, sms_segments, sms_units
from survey.services.respond.responses import invitation_state
from survey.services.sampling import frames
from survey.services.sampling import invitations as inv_service
from survey.services.sampling.invitations import Issued, absolute_url, invitation_url, qr_svg

FORMATS = {
    # paper width × height, margin, width of the QR code, base font size
    "a5": {"label": "A5", "w": "148mm", "h": "210mm", "margin": "12mm", "qr": "56mm", "font": "11.5pt"},
    "a6": {"label": "A6", "w": "105mm", "h": "148mm", "margin": "5mm", "qr": "37mm", "font": "8.5pt"},
    "80mm": {"label": "80 mm", "w": "80mm", "h": "165mm", "margin": "3mm", "qr": "44mm", "font": "9pt"},
}


def local_date(value: datetime) -> str:
    """A naive UTC time as the province's local date, dd/mm/yyyy."""
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(local_tz())).strftime("%d/%m/%Y")


def build_items(session: Session, issued: list[Issued], base: str | None = None,
                new_expiry: datetime | None = None) -> list[dict]:
    """Everything a slip or message shows, for each issued invitation (queries in bulk).

    `new_expiry`: the tokens are about to be stored (the bundle job), with their codes and this expiry.
    """
    if not issued:
        return []
    base = (base or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    ids = [i.invitation_id for i in issued]
    invs: dict[int, Invitation] = {}
    for k in range(0, len(ids), 500):
        invs.update({inv.id: inv for inv in session.execute(
            select(Invitation).where(Invitation.id.in_(ids[k:k + 500]))).scalars()})
    agencies = dict(session.execute(select(Agency.id, Agency.name_vi)).all())
    points = {p.id: p for p in session.execute(select(ServicePoint)).scalars()}
    waves = {i: (name, variant_of(design))
             for i, name, design in session.execute(select(Wave.id, Wave.name, Wave.design))}
    dossier_ids = [i.dossier_id for i in issued if i.dossier_id]
    phones: dict[int, str] = {}
    for k in range(0, len(dossier_ids), 500):
        phones.update(session.execute(select(DossierContact.dossier_id, DossierContact.phone)
                                      .where(DossierContact.dossier_id.in_(dossier_ids[k:k + 500]))).all())
    items = []
    for it in issued:
        inv = invs[it.invitation_id]
        url = absolute_url(invitation_url(it.token), base)
        point = points.get(inv.service_point_id)
        code = it.code if new_expiry else inv_service.code_of(inv, it.token)  # None: issued before codes
        items.append({
            "invitation_id": inv.id, "token": it.token, "url": url, "wave": waves.get(inv.wave_id, ("",))[0],
            "variant": waves.get(inv.wave_id, ("", "dossier"))[1],
            "agency": agencies.get(inv.agency_id, ""), "service_point": point.name_vi if point else "",
            "service_point_code": point.code if point else "", "outcome": inv.outcome,
            "expires": local_date(new_expiry or inv.expires_at),
            "phone": phones.get(it.dossier_id) if it.dossier_id else None,
            "code": inv_service.display_code(code) if code else "",
            "short_url": absolute_url(inv_service.code_url(code), base) if code else url, "site": _site(base),
        })
    items.sort(key=lambda x: (x["service_point_code"], x["invitation_id"]))
    return items


# The wording of a slip and a message follows what the wave samples: a dossier's result slip, a hospital's
# discharge paper, a school's notice to the parents.
VARIANTS = {frames.DOSSIER: "dossier", frames.HOSPITAL_VISIT: "discharge", frames.SCHOOL_ENROLMENT: "school"}


def variant_of(design: dict | None) -> str:
    """The slip and SMS wording of a wave's invitations: "dossier", "discharge" or "school"."""
    return VARIANTS.get(frames.frame_of(design).get("kind"), "dossier")


def render_slips(items: list[dict], fmt: str = "a6", screen_tools: bool = False) -> str:
    """Self-contained HTML (inline CSS and QR SVG) with one slip per printed page."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    for item in items:
        item.setdefault("qr", qr_svg(item["url"], inline=True))
    args = dict(items=items, fmt=fmt, spec=FORMATS[fmt], formats=FORMATS, province=current_app.config["PROVINCE_NAME"],
                screen_tools=screen_tools)
    if has_request_context():
        return render_template("slips/slips.html", **args)
    with current_app.test_request_context():  # CLI: templates need a request for the language (default: vi)
        return render_template("slips/slips.html", **args)


def _site(base: str) -> str:
    """The public address as people type it: host and path, without the scheme."""
    parts = urlsplit(base)
    return (parts.netloc + parts.path).rstrip("/") or base


SMS_LIMIT = 160  # one GSM-7 message
_SHORT_NAMES = (("Ủy ban nhân dân", "UBND"), ("Uỷ ban nhân dân", "UBND"))  # how every official SMS spells it


def sms_templates(item: dict, province: str, agency: str | None = None) -> list[str]:
    """The invitation message in its versions, longest first: with the agency, without it, the shortest."""
    values = dict(province=province, agency=item["agency"] if agency is None else agency,
                  url=item.get("short_url") or item["url"], date=item["expires"])
    variant = item.get("variant", "dossier")
    if variant == "school":  # to the parent; never the child's name (the message may be read by anyone)
        return [_("[%(province)s] Mời Phụ huynh em học sinh %(agency)s đánh giá sự hài lòng với nhà trường "
                  "(không ghi tên): %(url)s hạn %(date)s", **values),
                _("[%(province)s] Mời Phụ huynh em học sinh đánh giá sự hài lòng với nhà trường (không ghi tên): "
                  "%(url)s hạn %(date)s", **values),
                _("[%(province)s] Phụ huynh em học sinh đánh giá nhà trường: %(url)s hạn %(date)s", **values)]
    if variant == "discharge":
        return [_("[%(province)s] Mời Ông/Bà đánh giá dịch vụ khám, chữa bệnh tại %(agency)s (không ghi tên): "
                  "%(url)s hạn %(date)s", **values),
                _("[%(province)s] Mời Ông/Bà đánh giá dịch vụ khám, chữa bệnh (không ghi tên): %(url)s hạn %(date)s",
                  **values),
                _("[%(province)s] Đánh giá dịch vụ y tế: %(url)s hạn %(date)s", **values)]
    return [_("[%(province)s] Mời Ông/Bà đánh giá sự phục vụ của %(agency)s (không ghi tên): %(url)s hạn %(date)s",
              **values),
            _("[%(province)s] Mời Ông/Bà đánh giá sự phục vụ khi giải quyết hồ sơ (không ghi tên): %(url)s "
              "hạn %(date)s", **values),
            _("[%(province)s] Đánh giá dịch vụ hành chính: %(url)s hạn %(date)s", **values)]


def sms_text(item: dict, province: str) -> str:
    """The message with diacritics (Zalo, Unicode SMS): the full version; its segments go in the file."""
    return sms_templates(item, province)[0]


def sms_agency(name: str) -> str:
    """An agency's name as an SMS spells it ("Ủy ban nhân dân" → "UBND")."""
    for long, short in _SHORT_NAMES:
        name = name.replace(long, short)
    return name


def sms_ascii(item: dict, province: str) -> str:
    """The unaccented message: GSM-7 only, the longest version that fits one SMS (else the shortest)."""
    texts = [gsm7_text(t) for t in sms_templates(item, province, sms_agency(item["agency"]))]
    return next((t for t in texts if sms_units(t) <= SMS_LIMIT), texts[-1])


SMS_FIELDS = ["invitation_id", "phone", "code", "message", "message_segments", "message_ascii",
              "message_ascii_segments", "link", "expires"]


def sms_rows(items: list[dict], province: str) -> list[dict]:
    """Rows of the gateway file: only invitations whose dossier has a phone number."""
    rows = []
    for item in items:
        if not item.get("phone"):
            continue
        text, plain = sms_text(item, province), sms_ascii(item, province)
        rows.append({"invitation_id": item["invitation_id"], "phone": item["phone"], "code": item.get("code", ""),
                     "message": text, "message_segments": sms_segments(text), "message_ascii": plain,
                     "message_ascii_segments": sms_segments(plain), "link": item.get("short_url") or item["url"],
                     "expires": item["expires"]})
    return rows


def write_sms_csv(path: str, rows: list[dict]) -> None:
    """The SMS/Zalo file (UTF-8 with BOM so spreadsheet programs show Vietnamese correctly); agency names in
    the messages are registry text, so cells that would start a formula are neutralised."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SMS_FIELDS)
        writer.writeheader()
        writer.writerows(safe_dict(r) for r in rows)


def write_bundle(out_dir: str, items: list[dict], fmt: str = "a6", slips: bool = True, sms: bool = True) -> dict:
    """Write slips (one HTML file per service point), sms.csv and links.csv; returns what was written."""
    os.makedirs(out_dir, exist_ok=True)
    written: dict = {"slip_files": [], "slips": 0, "sms": 0, "links": len(items)}
    if slips and items:
        groups: dict[str, list[dict]] = {}
        for item in items:
            groups.setdefault(item["service_point_code"] or "khong-co-diem", []).append(item)
        for code, group in groups.items():
            name = f"phieu-moi-{safe_name(code)}-{fmt}.html"
            with open(os.path.join(out_dir, name), "w", encoding="utf-8") as fh:
                fh.write(render_slips(group, fmt))
            written["slip_files"].append(name)
            written["slips"] += len(group)
    if sms:
        rows = sms_rows(items, current_app.config["PROVINCE_NAME"])
        write_sms_csv(os.path.join(out_dir, "sms.csv"), rows)
        written["sms"] = len(rows)
    with open(os.path.join(out_dir, "links.csv"), "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["invitation_id", "wave", "agency", "service_point", "outcome", "link", "code", "short_link",
                         "expires"])
        for item in items:  # names come from the registry and the wave: never let one start a formula
            writer.writerow(safe_row([item["invitation_id"], item["wave"], item["agency"], item["service_point"],
                                      item["outcome"], item["url"], item.get("code", ""),
                                      item.get("short_url") or item["url"], item["expires"]]))
    return written


def safe_name(code: str) -> str:
    """A code as part of a file name (letters, digits, _ . - only)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", code)[:60] or "x"


def pending_delivery(session: Session, wave: Wave, *, reissue: bool = False, service_point_id: int | None = None,
                     with_phone: bool = False, limit: int | None = None) -> list[Invitation]:
    """Invitations whose token nobody holds yet (or, with `reissue`, any not yet opened) of a launched wave."""
    stmt = select(Invitation).where(Invitation.wave_id == wave.id, Invitation.status == InvitationStatus.ISSUED)
    if not reissue:
        stmt = stmt.where(Invitation.delivered_at.is_(None))
    if service_point_id is not None:
        stmt = stmt.where(Invitation.service_point_id == service_point_id)
    if with_phone:
        stmt = stmt.join(DossierContact, DossierContact.dossier_id == Invitation.dossier_id)
    stmt = stmt.order_by(Invitation.service_point_id, Invitation.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


# -- a slip URL whose invitation cannot be answered ---------------------------------------------------------------

UNAVAILABLE_STATUS = {"unknown": 404, "used": 410, "expired": 410, "closed": 410}


def unavailable_page(session: Session, token: str) -> tuple[str, int] | None:
    """(HTML, status) of the page an officer sees for a slip URL that cannot be printed (used, expired, closed,
    unknown), or None when it can; in a request (the page has the site's layout)."""
    state = invitation_state(inv_service.find_by_token(session, token))
    if state == "open":
        return None
    return render_template("slips/unavailable.html", state=state), UNAVAILABLE_STATUS[state]
