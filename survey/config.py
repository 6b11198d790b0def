"""Configuration: the only module that reads os.environ."""
from __future__ import annotations

import os
import secrets

DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings read once from the environment; tests pass a dict to create_app instead."""

    def __init__(self, instance_path: str) -> None:
        env = os.environ
        default_db = "sqlite:///" + os.path.join(instance_path, "hailong.sqlite")
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL", default_db)
        # Without SECRET_KEY (the demo) a key is generated once into the instance folder, so every
        # gunicorn worker and every restart signs sessions and CSRF tokens with the same key.
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret(instance_path)
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        # Server-side sessions (survey/services/accounts/sessions.py): a sign-in ends after this many
        # hours without a request, and after SESSION_MAX_HOURS in all however busy.
        self.SESSION_IDLE_HOURS = float(env.get("HAILONG_SESSION_IDLE_HOURS", "12"))
        self.SESSION_MAX_HOURS = float(env.get("HAILONG_SESSION_MAX_HOURS", "168"))
        self.BABEL_DEFAULT_LOCALE = env.get("HAILONG_DEFAULT_LOCALE", "vi")
        self.BABEL_DEFAULT_TIMEZONE = env.get("HAILONG_TIMEZONE", "Asia/Ho_Chi_Minh")
        self.LANGUAGES = ["vi", "en"]
        # Base of invitation links, QR codes, SMS and the kiosk enrolment QR. Under gunicorn an unset value is
        # the address actually served (survey/gunicorn_conf.py sets it before the workers start; `make run`
        # passes it); a command without a server (the CLI) uses this default.
        self.PUBLIC_BASE_URL = (env.get("HAILONG_PUBLIC_URL") or "").strip().rstrip("/") or DEFAULT_PUBLIC_URL
        self.KIOSK_IDLE_SECONDS = int(env.get("HAILONG_KIOSK_IDLE_SECONDS", "60"))
        self.KIOSK_PROMPT_SECONDS = int(env.get("HAILONG_KIOSK_PROMPT_SECONDS", "20"))
        self.KIOSK_THANKS_SECONDS = int(env.get("HAILONG_KIOSK_THANKS_SECONDS", "8"))
        self.KIOSK_HEARTBEAT_SECONDS = int(env.get("HAILONG_KIOSK_HEARTBEAT_SECONDS", "60"))
        self.KIOSK_WALKUP_INSTRUMENT = env.get("HAILONG_KIOSK_WALKUP_INSTRUMENT", "kiosk-quick")
        self.INTAKE_MAX_BATCH = int(env.get("HAILONG_INTAKE_MAX_BATCH", "1000"))
        self.INVITATION_TTL_DAYS = int(env.get("HAILONG_INVITATION_TTL_DAYS", "30"))
        self.MIN_CELL_ANSWERS = int(env.get("HAILONG_MIN_CELL_ANSWERS", "30"))
        self.MAX_CELL_RSE = float(env.get("HAILONG_MAX_CELL_RSE", "0.3"))
        # Microdata exports: each combination of quasi-identifiers has at least k rows (workspace/sdc.py; 1 = off).
        self.SDC_K = max(1, int(env.get("HAILONG_SDC_K", "5")))
        self.PROVINCE_NAME = env.get("HAILONG_PROVINCE", "Hà Tĩnh")
        # A running wave's provisional publication is refreshed in the background when older than this.
        self.PROVISIONAL_MINUTES = float(env.get("HAILONG_PROVISIONAL_MINUTES", "10"))
        self.PUBLIC_SHOW_PROVISIONAL = _bool(env.get("HAILONG_PUBLIC_SHOW_PROVISIONAL"), False)  # /cong-khai
        # Output files of background jobs (exports, bundles): one folder per job.
        self.JOBS_DIR = env.get("HAILONG_JOBS_DIR", os.path.join(instance_path, "jobs"))
        # The rate limiters' table, shared by every worker process (survey/web/limits.py).
        self.RATE_LIMIT_FILE = env.get("HAILONG_RATE_LIMIT_FILE", os.path.join(instance_path, "ratelimits.bin"))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.WTF_CSRF_TIME_LIMIT = None  # a citizen may take a while; the token is still per-session
        # Request bodies: the largest legitimate one is an intake batch of INTAKE_MAX_BATCH dossiers (about
        # 0.3 MB for 1000; under 3 MB with every field at its longest and \u-escaped). The site has no file
        # uploads (CSV and questionnaire imports are `hailong` commands). Raise it with INTAKE_MAX_BATCH.
        self.MAX_CONTENT_LENGTH = int(env.get("HAILONG_MAX_CONTENT_LENGTH", str(4 * 1024 * 1024)))
        # A kiosk submission is a few kilobytes (the bank's longest: about 10 KB, every text at its limit).
        self.KIOSK_MAX_CONTENT_LENGTH = int(env.get("HAILONG_KIOSK_MAX_CONTENT_LENGTH", str(256 * 1024)))
        # An officer hands off only a dossier returned at his counter this recently (and not yet delivered);
        # a hand-off answered on the kiosk this soon after it was made is flagged for review.
        self.KIOSK_HANDOFF_RETURN_MINUTES = int(env.get("HAILONG_KIOSK_HANDOFF_RETURN_MINUTES", "30"))
        self.KIOSK_HANDOFF_REVIEW_SECONDS = int(env.get("HAILONG_KIOSK_HANDOFF_REVIEW_SECONDS", "20"))
        # Feedback-case mail (survey/services/feedback/notify.py): off until a server is named.
        self.MAIL_SERVER = (env.get("HAILONG_MAIL_SERVER") or "").strip()
        self.MAIL_PORT = int(env.get("HAILONG_MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _bool(env.get("HAILONG_MAIL_USE_TLS"), False)  # STARTTLS before signing in
        self.MAIL_USERNAME = env.get("HAILONG_MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env.get("HAILONG_MAIL_PASSWORD", "")
        self.MAIL_FROM = env.get("HAILONG_MAIL_FROM", "hailong@localhost")


def _instance_secret(instance_path: str) -> str:
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as fh:
            key = fh.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def load_config(instance_path: str) -> dict:
    """Return the environment-derived settings as a plain dict."""
    cfg = Config(instance_path)
    return {k: v for k, v in vars(cfg).items() if k.isupper()}
