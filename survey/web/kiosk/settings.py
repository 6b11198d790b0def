"""The kiosk's hand-off timeouts from the app config (defaults in survey/services/kiosk/claims.py)."""
from __future__ import annotations

from flask import current_app

from survey.services.kiosk import claims


def timeouts() -> dict[str, int]:
    """wait= and progress= minutes for the claims functions (KIOSK_HANDOFF_MINUTES, KIOSK_HANDOFF_PROGRESS_MINUTES)."""
    config = current_app.config
    return {"wait": int(config.get("KIOSK_HANDOFF_MINUTES", claims.WAIT_MINUTES)),
            "progress": int(config.get("KIOSK_HANDOFF_PROGRESS_MINUTES", claims.PROGRESS_MINUTES))}
