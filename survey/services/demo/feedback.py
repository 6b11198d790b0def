"""Demo step: the citizen's voice — comments filed and themed, feedback cases opened, QĐ 766 ratings.

The demo's answers are bulk-inserted (demo/workspace.py), not stored through the respond write path,
so their free text is filed here the way `hailong feedback backfill` files an older database's:
redacted, one comment row each. Then the default themes, the default case rules and one case scan,
and per-dossier ratings and events so the dashboard can show the QĐ 766 score beside the index.
Every part is idempotent, so a second `make run` adds nothing.
"""
from __future__ import annotations

from survey.services.feedback import backfill, case_rules, cases, theme_defaults
from survey.services.qd766 import demo as qd766_demo


def seed(ctx) -> None:
    """File and theme the demo's comments, open its cases, store its QĐ 766 ratings and events."""
    s = ctx.session
    theme_defaults.seed_default_themes(s)
    after, filed = 0, 0
    while True:
        step = backfill.backfill_batch(s, after, actor="demo")
        if step.responses == 0:
            break
        after, filed = step.last_id, filed + step.comments
    case_rules.seed_defaults(s, actor="demo")
    opened = cases.scan(s)
    stored = qd766_demo.seed(s)
    s.flush()
    ctx.urls += [("Góp ý của người dân (hộp thư góp ý)", "/analyst/inbox"),
                 ("Phản ánh giao cho đơn vị", "/analyst/cases/"),
                 ("Đánh giá tại quầy (kiosk, không phải mẫu)", "/analyst/counter")]
    counts = (filed, len(opened.opened), stored.get("ratings", 0), stored.get("events", 0))
    ctx.notes.append("Demo góp ý: %d góp ý được lưu (đã che thông tin cá nhân), %d phản ánh được mở; "
                     "QĐ 766: %d đánh giá, %d sự kiện hồ sơ." % counts)
