"""Settings for registry.

Class attributes hold safe defaults; anything secret or site-specific comes from
environment variables prefixed with ``REGISTRY_`` (``REGISTRY_SECRET_KEY``,
``REGISTRY_TILE_URL`` ...) or, for the database, ``DATABASE_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("REGISTRY_INSTANCE_PATH", BASE_DIR / "instance"))


def _default_database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'registry.sqlite'}"


class Config:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str = _default_database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # A logged-in session ends after this many minutes without a request (None: never).
    SESSION_IDLE_MINUTES: int | None = 30

    # Login throttling (Flask-Limiter). Use a shared store (e.g. "redis://host:6379") when
    # more than one worker process serves the site: memory is per process.
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_THROTTLE_ENABLED = True
    # Failed logins per client address, several windows (Flask-Limiter notation).
    LOGIN_IP_LIMIT = "10 per minute; 50 per hour; 200 per day"
    # Per submitted username, known or not: this many failures are free, then every further
    # failure doubles the wait before the next attempt, from BASE up to MAX seconds; the
    # count is forgotten RESET seconds after the first failure, or at a successful login.
    LOGIN_BACKOFF_FREE_FAILURES = 5
    LOGIN_BACKOFF_BASE_SECONDS = 5
    LOGIN_BACKOFF_MAX_SECONDS = 15 * 60
    LOGIN_BACKOFF_RESET_SECONDS = 24 * 3600

    # Answers kept between requests (Flask-Caching), each under the registry's generation
    # token (registry/freshness.py), so a committed change is never answered from the cache.
    # "SimpleCache" keeps them in each worker's memory; with several workers or servers use
    # a shared store: CACHE_TYPE = "RedisCache", CACHE_REDIS_URL = "redis://host:6379/1".
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 600
    CACHE_THRESHOLD = 200  # answers per worker (SimpleCache)
    CACHE_MAX_ANSWER_BYTES = 4 * 1024 * 1024  # larger answers are built for each request

    # Data answers compressed for clients that accept it (Flask-Compress): the whole-country
    # map's 5 MB of JSON travel as about half a megabyte. HTML pages are left alone: they
    # carry a form token next to text the user typed, which compression would let an
    # eavesdropper guess (BREACH).
    COMPRESS_MIMETYPES = ["application/json", "application/geo+json", "text/csv"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 2048
    COMPRESS_BR_LEVEL = 4  # brotli's quick levels: near gzip's size at a fraction of the CPU

    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    UPLOAD_FOLDER = str(INSTANCE_DIR / "uploads")
    # Stored files (dossiers, inspection and progress photos): a directory outside the web
    # root that every app server mounts (e.g. an NFS share) when there is more than one;
    # None: <instance>/files.
    STORAGE_DIR: str | None = None
    MAX_UPLOAD_MB = 20
    # Days without a progress report after which a project under construction is flagged as
    # stalled: a management setting (registry/investment/legal.yaml "app_stalled"), not a law.
    INVESTMENT_STALLED_DAYS = 90

    # Basemap: any XYZ tile service; the map still draws boundaries and markers without it.
    TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"

    PAGE_SIZE = 25

    # Demand layers (issue 15): published counts from 1 to this number minus one are shown
    # as "< N" to readers without demand.view_small_numbers (a small commune's count could
    # identify a child or a victim).
    DEMAND_SMALL_NUMBER_THRESHOLD = 5
    # Hotlines the referral directory names for every commune, each with its source. 111 is
    # the national child-protection hotline (Đồng Nai plan 2735/KH-UBND, III.2.c). A site adds
    # its own (a provincial GBV hotline) with its source.
    REFERRAL_HOTLINES: tuple[dict[str, str], ...] = (
        {
            "number": "111",
            "name_vi": "Tổng đài điện thoại quốc gia bảo vệ trẻ em",
            "name_en": "National child-protection hotline",
            "source": "Kế hoạch 2735/KH-UBND tỉnh Đồng Nai (2018), mục III.2.c",
        },
    )
    # Operations (docs/OPERATIONS.md). Logs: the "registry" loggers write one line per record
    # to stderr, "json" (one object a line, with the request id) or "text"; ACCESS_LOG adds a
    # line per request (method, endpoint, status, duration, user id).
    LOG_FORMAT = "json"
    LOG_LEVEL = "INFO"
    ACCESS_LOG = True
    # /metrics (Prometheus): a scraper must send "Authorization: Bearer <METRICS_TOKEN>";
    # unset, only callers on this machine that do not come through a proxy. Set it from the
    # environment only: REGISTRY_METRICS_TOKEN=...
    METRICS_TOKEN: str | None = None

    # Licensing (issue 10). Licence numbers: fields seq (per province and year), province
    # (code) and year, e.g. "{seq:03d}/GP-{province}" -> "007/GP-75".
    LICENSING_NUMBER_FORMAT = "{seq:03d}/GP-{province}"
    # Online applications and tracking-link uploads per client address (Flask-Limiter).
    LICENSING_APPLY_LIMIT = "10 per hour; 30 per day"
    LICENSING_THROTTLE_ENABLED = True
    # The site's address, for links in e-mails sent by commands (no request to take it from).
    LICENSING_PUBLIC_URL = ""

    # E-mail notices (registry.notify): receipts, supplement requests, decisions, deadlines.
    # Off until a site names its server; REGISTRY_MAIL_ENABLED=true, REGISTRY_MAIL_SERVER=...,
    # REGISTRY_MAIL_PASSWORD=... (secrets only from the environment). MAIL_USE_TLS: STARTTLS,
    # required (never falls back to clear text). MAIL_TIMEOUT: seconds per network step, short
    # so that a dead server cannot hold a request.
    MAIL_ENABLED = False
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "noreply@localhost"
    MAIL_TIMEOUT = 5.0


class DevelopmentConfig(Config):
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - overridden in production by REGISTRY_SECRET_KEY
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only"  # noqa: S105
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    # The suite logs in hundreds of times from one address; the throttling tests turn it on.
    LOGIN_THROTTLE_ENABLED = False
    LICENSING_THROTTLE_ENABLED = False
    # No mail leaves the suite; tests/licensing/conftest.py's smtp_server turns it on.
    MAIL_ENABLED = False


class ProductionConfig(Config):
    pass
