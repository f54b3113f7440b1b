"""Configuration defaults. instance/config.py and the environment override them."""
import os
from datetime import timedelta


class Config:
    SECRET_KEY = None  # set in instance/config.py or SECRET_KEY; generated on first run by `make run`
    SQLALCHEMY_DATABASE_URI = None  # DATABASE_URL, else SQLite in instance/center.db
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    CENTER_TIMEZONE = "Asia/Shanghai"

    # Language: Simplified Chinese by default, English on request.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "中文", "en": "English"}

    # Sessions and cookies: stricter than Flask's defaults.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True when served over HTTPS; the remember-me cookie follows
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(hours=2)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 40 * 1024 * 1024  # a request; each kind of upload has its own limit
    REVIEW_FILE_MAX_BYTES = 16 * 1024 * 1024  # one annual-report attachment (scans are large)
    REVIEW_MAX_FILES = 10

    # Login throttling: failures counted in the database, so it holds across workers.
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 30
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 20
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's scrypt: slow and memory-hard by design

    # Uploaded workbooks.
    XLSX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
    XLSX_MAX_ROWS = 20000

    PROXY_COUNT = 0  # reverse proxies in front of the app (nginx: 1); 0 trusts no forwarded headers

    WTF_CSRF_TIME_LIMIT = None  # the session's own lifetime bounds the token
    PER_PAGE = 50

    # E-mail: queued with its cause, sent after the commit; without MAIL_SERVER it stays queued.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_FROM = "center@localhost"

    # The scheduler process (`flask --app center scheduler`): APScheduler cron fields, center time.
    SCHEDULE = {
        "weekly_drafts": {"day_of_week": "fri", "hour": 15, "minute": 0},
        "review_digest": {"day_of_week": "mon-fri", "hour": 8, "minute": 30},
        "follow_up_reminders": {"day_of_week": "mon-fri", "hour": 8, "minute": 45},
        "venue_jobs": {"minute": "*/5"},
        "liaison_expiry": {"hour": 0, "minute": 30},
        "send_mail": {"minute": "*"},
        "prune": {"hour": 3, "minute": 17},
    }
    WEEKLY_CATCH_UP_WEEKS = 8  # missed weekly drafts are made up this far back
    # The weekly report goes to the service development division, copied to the office's
    # director and the bureau's director and deputy director in charge (names and addresses).
    WEEKLY_RECIPIENTS = [
        {"role": "服务发展处", "name": "市社会组织服务发展处", "email": None},
        {"role": "抄送", "name": "市社团办主任", "email": None},
        {"role": "抄送", "name": "市民政局局长", "email": None},
        {"role": "抄送", "name": "分管副局长", "email": None},
    ]


def _ascii_digits(value: str) -> bool:
    """Digits int() reads ("²".isdigit() is True too; field_checks.ascii_int is the app's)."""
    return value.isascii() and value.isdigit()


def from_environment() -> dict:
    """Settings the environment may override (12-factor style)."""
    env = {}
    if os.environ.get("DATABASE_URL"):
        env["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("SECRET_KEY"):
        env["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if _ascii_digits(os.environ.get("PROXY_COUNT", "")):
        env["PROXY_COUNT"] = int(os.environ["PROXY_COUNT"])
    if os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes"):
        env["SESSION_COOKIE_SECURE"] = True
        env["REMEMBER_COOKIE_SECURE"] = True
    for name in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    if _ascii_digits(os.environ.get("MAIL_PORT", "")):
        env["MAIL_PORT"] = int(os.environ["MAIL_PORT"])
    if os.environ.get("MAIL_USE_TLS"):
        env["MAIL_USE_TLS"] = os.environ["MAIL_USE_TLS"].lower() in ("1", "true", "yes")
    return env


def normalize_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
