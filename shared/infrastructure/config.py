"""The one configuration loader: `_config/app-config.yaml`, then the environment.

A missing or invalid setting raises `ConfigError` with one line that names
the setting and says what it should be; the factory turns that into a clean
exit so an operator sees exactly what to fix.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = REPO_ROOT / "_config" / "app-config.yaml"
APP_NAMES: tuple[str, ...] = ("blog", "market", "cart", "events", "federation", "account")

# Environment variable -> dotted setting. Secrets are only ever read from here.
ENV_OVERRIDES: dict[str, str] = {
    "ROSE_ASH_ENV": "environment",
    "TRUSTED_PROXY_HOPS": "trusted_proxy_hops",
    "DATABASE_URL": "database.url",
    "DB_POOL_SIZE": "database.pool_size",
    "DB_MAX_OVERFLOW": "database.max_overflow",
    "DB_CONNECT_TIMEOUT": "database.connect_timeout",
    "REDIS_URL": "redis.url",
    "REDIS_CACHE_URL": "redis.cache_url",
    "SECRET_KEY": "secret_key",
    "OIDC_PRIVATE_KEY": "oidc.private_key",
    "OIDC_PRIVATE_KEY_FILE": "oidc.private_key_file",
    "OIDC_REPLACE_CLIENT_URLS": "oidc.replace_client_urls",
    "SESSION_LIFETIME_DAYS": "sessions.lifetime_days",
    "MAIL_BACKEND": "mail.backend",
    "MAIL_FROM": "mail.from_address",
    "SMTP_HOST": "mail.smtp_host",
    "SMTP_PORT": "mail.smtp_port",
    "SMTP_USERNAME": "mail.smtp_username",
    "SMTP_PASSWORD": "mail.smtp_password",
    "SMTP_STARTTLS": "mail.smtp_starttls",
    "INBOUND_MAIL_HOST": "mail.inbound_host",
    "INBOUND_MAIL_PORT": "mail.inbound_port",
    "FRAGMENT_TIMEOUT": "fragments.timeout",
    "FRAGMENT_PAGE_BUDGET": "fragments.page_budget",
    "PAGE_CACHE_TTL": "page_cache.ttl",
    "AP_PRIVATE_KEY": "activitypub.private_key",
    "AP_PRIVATE_KEY_FILE": "activitypub.private_key_file",
    "AP_FETCH_ALLOW_NETWORKS": "activitypub.fetch_allow_networks",
    "AP_DELIVERY_BACKOFF_SCALE": "activitypub.delivery_backoff_scale",
    "AP_WORKER_CONCURRENCY": "activitypub.worker_concurrency",
    "AP_WORKER_POLL_SECONDS": "activitypub.worker_poll_seconds",
    "MEDIA_ROOT": "media.root",
    "MEDIA_BASE_URL": "media.base_url",
    "SUMUP_API_KEY": "sumup.api_key",
    "SUMUP_MERCHANT_CODE": "sumup.merchant_code",
    "SUMUP_API_URL": "sumup.api_url",
    "SUMUP_WEBHOOK_BASE_URL": "sumup.webhook_base_url",
    "CART_HOLD_MINUTES": "cart.hold_minutes",
    "GHOST_URL": "ghost.url",
    "GHOST_CONTENT_KEY": "ghost.content_key",
    "GHOST_ADMIN_KEY": "ghost.admin_key",
    "GHOST_WEBHOOK_SECRET": "ghost.webhook_secret",
}
for _app in APP_NAMES:
    ENV_OVERRIDES[f"APP_BASE_URL_{_app.upper()}"] = f"apps.{_app}.base_url"
    ENV_OVERRIDES[f"APP_INTERNAL_URL_{_app.upper()}"] = f"apps.{_app}.internal_url"

# Friendly descriptions for the settings an operator must provide.
REQUIRED_HINTS: dict[str, str] = {
    "environment": "ROSE_ASH_ENV is not set: say which environment this is, "
    "dev, test or prod (make dev sets dev; the stack's .env sets prod)",
    "database.url": "DATABASE_URL is not set: give the PostgreSQL URL, "
    "e.g. postgresql://rose:secret@127.0.0.1:5432/rose_ash",
    "redis.url": "REDIS_URL is not set: give the Redis URL, e.g. redis://127.0.0.1:6379/0",
    "secret_key": "SECRET_KEY is not set: give a random string of at least 32 characters "
    '(python -c "import secrets; print(secrets.token_urlsafe(48))")',
}


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppUrls(_Strict):
    base_url: str
    internal_url: str

    @field_validator("base_url", "internal_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class DatabaseSettings(_Strict):
    url: str
    pool_size: int = Field(5, ge=1, le=100)
    max_overflow: int = Field(5, ge=0, le=100)
    connect_timeout: float = Field(5, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def async_url(self) -> str:
        """The URL in the form SQLAlchemy's asyncpg dialect wants."""
        _, rest = self.url.split("://", 1)
        return f"postgresql+asyncpg://{rest}"

    @property
    def plain_url(self) -> str:
        """The URL as libpq tools (psql, pg_dump) and asyncpg itself take it."""
        _, rest = self.url.split("://", 1)
        return f"postgresql://{rest}"


class RedisSettings(_Strict):
    """`url` holds what must not be evicted (sessions, pending sign-ins, rate
    limits); `cache_url` the fragment cache, which may be (allkeys-lru). The
    cache defaults to `url`, as in dev and tests; the stack gives it its own."""

    url: str
    cache_url: str | None = None

    @field_validator("url", "cache_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @property
    def cache(self) -> str:
        return self.cache_url or self.url


class SiteSettings(_Strict):
    name: str = "Rose Ash"
    tagline: str = ""


class FragmentSettings(_Strict):
    """How pages compose fragments from the other apps (see shared/infrastructure/fragments.py)."""

    enabled: bool = True
    timeout: float = Field(0.5, gt=0, le=30)
    page_budget: float = Field(0.75, gt=0, le=60)
    keep_stale: int = Field(86400, ge=1)
    cooldown: float = Field(1.0, ge=0, le=300)
    cache_timeout: float = Field(0.1, gt=0, le=10)
    outage_copy_seconds: float = Field(2.0, ge=0, le=60)
    default_ttl: int = Field(60, ge=0)
    ttl: dict[str, int] = Field(default_factory=dict)

    @field_validator("ttl")
    @classmethod
    def _known_types(cls, value: dict[str, int]) -> dict[str, int]:
        from shared.contracts.widgets import FRAGMENT_TYPES

        unknown = sorted(set(value) - set(FRAGMENT_TYPES))
        if unknown:
            raise ValueError(f"unknown fragment types {', '.join(unknown)}")
        if any(seconds < 0 for seconds in value.values()):
            raise ValueError("a TTL is a number of seconds, 0 or more")
        return value

    def ttl_of(self, fragment_type: str) -> int:
        return self.ttl.get(fragment_type, self.default_ttl)


class PageCacheSettings(_Strict):
    """The anonymous whole-page cache (see shared/infrastructure/page_cache.py)."""

    # Seconds a cached page lives at most: events invalidate it, this bounds what no
    # event marks (time passing). 0 turns the cache off.
    ttl: int = Field(30, ge=0, le=3600)


class OidcSettings(_Strict):
    """federation's OpenID Connect provider. The signing key comes from the
    environment only: the PEM itself (OIDC_PRIVATE_KEY, `\\n` escapes allowed so
    it fits one line of an env file) or a file holding it (OIDC_PRIVATE_KEY_FILE)."""

    private_key: str | None = None
    private_key_file: str | None = None
    access_token_seconds: int = Field(600, ge=60, le=86400)
    refresh_token_days: int = Field(30, ge=1, le=365)
    code_seconds: int = Field(60, ge=10, le=600)
    id_token_seconds: int = Field(600, ge=60, le=86400)
    # Replace first-party client registrations made for other base URLs
    # (normally refused: another platform may share the database).
    replace_client_urls: bool = False


class SessionSettings(_Strict):
    """Members' sessions: each app's own, and federation's single sign-on session."""

    lifetime_days: int = Field(14, ge=1, le=365)


class MailSettings(_Strict):
    """Outgoing mail. `console` logs each message instead of sending it."""

    backend: Literal["console", "smtp"] = "console"
    from_address: str = "Rose Ash <no-reply@rose-ash.com>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # The worker's LMTP listener for mail to the envelope address (mailto: unsubscribes,
    # bounce reports); off unless a port is set. Port 0: any free one (tests).
    inbound_host: str = "127.0.0.1"
    inbound_port: int | None = Field(None, ge=0, le=65535)


class SumUpSettings(_Strict):
    """SumUp payments: the API key and merchant code come from the environment.

    `api_url` is SumUp's API, or the dev stand-in's (shared/dev/sumup.py) when no key is
    set."""

    api_key: str = ""
    merchant_code: str = ""
    api_url: str = "https://api.sumup.com"
    # Where SumUp posts webhooks: the cart's base URL unless set (dev: its internal URL).
    webhook_base_url: str = ""


class GhostSettings(_Strict):
    """Ghost sync (blog): off while `url` is empty. The Admin API key (`id:secret`) is
    what the sync reads with, so a URL without it is refused rather than half working."""

    url: str = ""
    content_key: str = ""
    admin_key: str = ""
    webhook_secret: str = ""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("admin_key")
    @classmethod
    def _id_secret(cls, value: str) -> str:
        if value:
            kid, _, secret = value.partition(":")
            try:
                bytes.fromhex(secret)
            except ValueError:
                secret = ""
            if not kid or not secret:
                raise ValueError("must be the Admin API key's id:secret (secret in hex)")
        return value

    @model_validator(mode="after")
    def _admin_key_with_url(self) -> GhostSettings:
        if self.url and not self.admin_key:
            raise ValueError(
                "GHOST_URL is set but GHOST_ADMIN_KEY is not: give the id:secret "
                "Admin API key of a Ghost custom integration"
            )
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class CartSettings(_Strict):
    """Checkout: `hold_minutes` is how long starting it keeps the stock for the buyer
    (the SumUp checkout expires with the hold)."""

    hold_minutes: int = Field(15, ge=1, le=24 * 60)


class ActivityPubSettings(_Strict):
    """Federation: the platform keypair, outgoing fetch limits, the delivery worker.

    The keypair every app actor projects comes from the environment only: the
    PEM itself (AP_PRIVATE_KEY, `\\n` escapes allowed) or a file holding it
    (AP_PRIVATE_KEY_FILE). Outside prod a missing key is generated per process.
    """

    private_key: str | None = None
    private_key_file: str | None = None
    # Comma-separated CIDRs that outgoing fetches and deliveries may reach even
    # though they are private or loopback (tests and dev: "127.0.0.0/8,::1/128").
    fetch_allow_networks: str = ""
    fetch_timeout_seconds: float = Field(10, gt=0, le=120)
    fetch_max_bytes: int = Field(1_048_576, ge=1024)
    fetch_max_redirects: int = Field(3, ge=0, le=10)
    # Mastodon-like: 16 retries over about 2-3 days. The scale shrinks the
    # whole schedule (tests use a hundredth of it).
    delivery_max_attempts: int = Field(17, ge=1, le=50)
    delivery_backoff_scale: float = Field(1.0, gt=0, le=100)
    # An inbox failing this many times in a row is paused (60 s, doubling).
    inbox_pause_after_failures: int = Field(10, ge=1)
    inbox_pause_seconds: float = Field(60, gt=0)
    worker_concurrency: int = Field(32, ge=1, le=512)
    worker_poll_seconds: float = Field(1.0, gt=0, le=60)
    # Process inbound activities in the receiving app right after its 202;
    # off leaves them all to the worker.
    inbox_background: bool = True

    @field_validator("fetch_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not a network like 127.0.0.0/8") from None
        return value


class MediaSettings(_Strict):
    """Uploaded images (shared/infrastructure/media): where they are kept, the
    URL prefix they are served under, and the limits an upload must meet."""

    # .state/media in dev; the stack mounts a named volume and sets MEDIA_ROOT.
    root: str = str(REPO_ROOT / ".state" / "media")
    # Every app serves /media/<name>, so the default is relative (same origin).
    base_url: str = "/media"
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # At most Pillow's own guard (Image.MAX_IMAGE_PIXELS in media/images.py).
    max_pixels: int = Field(40_000_000, ge=10_000, le=50_000_000)
    max_dimension: int = Field(10_000, ge=100, le=50_000)

    @field_validator("base_url")
    @classmethod
    def _url_prefix(cls, value: str) -> str:
        if not value.startswith(("/", "http://", "https://")):
            raise ValueError("must be a path like /media or an http(s):// URL")
        return value.rstrip("/")


class Settings(_Strict):
    # No default: an unset ROSE_ASH_ENV must not quietly mean dev (cookies
    # without Secure, the console mailer) on a production host.
    environment: Literal["dev", "test", "prod"]
    secret_key: str = Field(min_length=32)
    # Reverse proxies in front of the apps whose X-Forwarded-* headers we believe.
    trusted_proxy_hops: int = Field(0, ge=0, le=5)
    database: DatabaseSettings
    redis: RedisSettings
    apps: dict[str, AppUrls]
    site: SiteSettings = SiteSettings()
    fragments: FragmentSettings = FragmentSettings()
    page_cache: PageCacheSettings = PageCacheSettings()
    oidc: OidcSettings = OidcSettings()
    sessions: SessionSettings = SessionSettings()
    mail: MailSettings = MailSettings()
    activitypub: ActivityPubSettings = ActivityPubSettings()
    media: MediaSettings = MediaSettings()
    sumup: SumUpSettings = SumUpSettings()
    cart: CartSettings = CartSettings()
    ghost: GhostSettings = GhostSettings()

    @field_validator("apps")
    @classmethod
    def _all_apps(cls, value: dict[str, AppUrls]) -> dict[str, AppUrls]:
        missing = [name for name in APP_NAMES if name not in value]
        if missing:
            raise ValueError(f"missing entries for {', '.join(missing)}")
        unknown = [name for name in value if name not in APP_NAMES]
        if unknown:
            raise ValueError(f"unknown apps {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _no_console_mail_in_prod(self) -> Settings:
        # The console mailer writes every reset and verification link to the log.
        if self.environment == "prod" and self.mail.backend == "console":
            raise ValueError(
                "MAIL_BACKEND=console is refused when ROSE_ASH_ENV=prod: it writes "
                "password-reset links to the log; set MAIL_BACKEND=smtp and SMTP_HOST"
            )
        return self

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"

    @property
    def secure_cookies(self) -> bool:
        """The one cookie policy: every cookie we set is `Secure` outside dev."""
        return not self.is_dev

    def app(self, name: str) -> AppUrls:
        return self.apps[name]


def _set_dotted(tree: dict[str, Any], dotted: str, value: str) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist (ROSE_ASH_CONFIG)") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings")
    return data


def _describe(error: ErrorDetails) -> str:
    dotted = ".".join(str(part) for part in error["loc"])
    env = next((name for name, target in ENV_OVERRIDES.items() if target == dotted), None)
    if error["type"] == "missing" and dotted in REQUIRED_HINTS:
        return REQUIRED_HINTS[dotted]
    label = f"{env} ({dotted})" if env else dotted
    if error["type"] == "missing":
        return f"{label} is not set"
    if error["type"] == "extra_forbidden":
        return f"{dotted} is not a known setting"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not dotted:  # a rule across settings: its message names them
        return message
    return f"{label} is invalid: {message}"


def load_settings(environ: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Read the YAML file, apply environment overrides, validate.

    Raises `ConfigError` naming the first bad setting.
    """
    env = os.environ if environ is None else environ
    config_path = path or Path(env.get("ROSE_ASH_CONFIG", DEFAULT_CONFIG_PATH))
    tree = _read_yaml(config_path)
    for name, dotted in ENV_OVERRIDES.items():
        value = env.get(name)
        if value:
            _set_dotted(tree, dotted, value)
    tree.setdefault("database", {})
    tree.setdefault("redis", {})
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_describe(exc.errors()[0])) from None
