"""Demo step: publish the demo's closed waves (version 1) and a provisional version of the running one,
so every page reads publications from the first `make run`, as in production after closing a wave."""
from __future__ import annotations

from sqlalchemy import select

from survey.models import Wave
from survey.models.fieldwork import WaveStatus
from survey.services import publications
from survey.services.workspace import publishing


def seed(ctx) -> None:
    """Publish every closed wave without a final version; refresh the running wave's provisional one."""
    s = ctx.session
    done = []
    for wave in s.scalars(select(Wave).order_by(Wave.period_start, Wave.id)):
        view = publications.current(s, wave.id)
        if wave.status == WaveStatus.CLOSED and (view is None or view.provisional):
            done.append(publishing.publish(s, "demo", wave).version)
        elif wave.status == WaveStatus.LAUNCHED and publishing.needs_refresh(s, wave):
            publishing.refresh_provisional(s, wave)
    if done:
        ctx.notes.append("Demo công bố: %d đợt đã đóng được công bố (phiên bản 1); đợt đang thu có số liệu tạm "
                         "tính. Công bố lại: hailong wave restate MÃ --reason '...'." % len(done))
