"""Views of the admin blueprint: the administration home page; the registry choices the admin forms share."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models.registry import AgencyLevel
from survey.services.common import formats
from survey.web.admin import bp
from survey.web.auth.access import role_required

# The app-wide |num |pct |day |when |named filters, until create_app registers them itself (idempotent).

LEVELS = {level.value: rank for rank, level in enumerate(AgencyLevel)}  # province first, as the registry nests
# render_kw of a <select> that page.js turns into a searchable picker (a plain select without JavaScript).
PICKER = {"data-picker": "", "data-picker-placeholder": _l("Gõ vài chữ để tìm…"),
          "data-picker-count": _l("{n} mục phù hợp"), "data-picker-none": _l("Không tìm thấy mục nào")}
SECTIONS = ("admin.devices", "admin.waves", "admin.users", "admin.audit", "analyst.dashboard")


def _entry_url(prefix: str) -> str | None:
    """The argument-free page of a feature (its endpoint may be e.g. `admin.waves` or `admin.waves_list`)."""
    rules = [r for r in current_app.url_map.iter_rules()
             if (r.endpoint == prefix or r.endpoint.startswith(prefix + "_") or r.endpoint.startswith(prefix + "."))
             and not r.arguments and "GET" in (r.methods or ())]
    rules.sort(key=lambda r: (r.endpoint != prefix, len(r.rule)))
    return rules[0].rule if rules else None


@bp.route("/")
@role_required("admin")
def index():
    """Administration home: links to devices, waves, users and the audit log."""
    urls = {name: _entry_url(name) for name in SECTIONS}
    return render_template("admin/index.html", urls=urls)


def choices(session: Session, model, with_code: bool = False) -> list[tuple[int, str]]:
    """(id, name in the reader's language) of every Agency, ServicePoint or Sector, sorted by the name shown.

    Agencies come by level first (province, departments, districts, communes, central units).
    """
    labelled = [(row, formats.named(row)) for row in session.scalars(select(model))]
    labelled.sort(key=lambda pair: (LEVELS.get(str(getattr(pair[0], "level", "")), 0), pair[1].casefold()))
    return [(row.id, f"{label} ({row.code})" if with_code else label) for row, label in labelled]
