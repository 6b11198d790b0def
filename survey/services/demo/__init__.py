"""Demo province orchestration: one step per feature (demo/<feature>.py), run in order."""
from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

# Order matters: registry first, then what builds on it.
STEPS = ("registry", "kiosk", "sampling", "workspace", "publications", "public_services", "counter", "feedback")


@dataclass
class DemoContext:
    """What the steps share: the session, a seeded RNG and the URLs/notes to print."""

    session: Session
    rng: random.Random = field(default_factory=lambda: random.Random(2025))
    urls: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def seed_demo(session: Session) -> DemoContext:
    """Run every demo step in order (each step is idempotent); flushes, never commits."""
    ctx = DemoContext(session=session)
    for name in STEPS:
        importlib.import_module(f"survey.services.demo.{name}").seed(ctx)
        session.flush()
    return ctx
