"""The service's configuration: the only module that reads the environment.

Every variable of the contract is one field here. A configuration that
cannot work stops the start with one line that names the variable.
"""

from __future__ import annotations

import ipaddress
import sys
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PlainSerializer, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from db.database import PROJECT_DIR
from jobs.config import EngineConfig

ENV_FILE = PROJECT_DIR / ".env"

VERSION = "0.1.0"
#: never echoed back in a configuration error
_SECRET_FIELDS = {"openai_api_key", "api_token", "database_url", "metrics_token", "openai_base_url"}
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")  # ALLOWED_HOSTS' default
WILDCARD_BINDS = ("0.0.0.0", "::", "[::]")  # a HOST that names no host a client can send


def redacted_url(url: str) -> str:
    """A database URL without its password (the raw text never, if it cannot be parsed)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured URL"


#: The URL is a plain `str` for its many readers (`make_engine(settings.database_url)`), but
#: `repr(settings)` leaves it out and `model_dump()` gives it without its password.
DatabaseUrl = Annotated[str, PlainSerializer(redacted_url, return_type=str), Field(repr=False)]


class ConfigError(ValueError):
    """A configuration that cannot work; the message names the variable."""


class Settings(BaseSettings):
    """Environment variables (and `.env`), with the contract's defaults."""

    # No .env by default: the process's settings read the project's (`get_settings`).
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    database_url: DatabaseUrl = "sqlite:///./data/programs.db"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    heartbeat_interval_seconds: float = Field(30, gt=0)
    heartbeat_stale_seconds: float = Field(90, gt=0)
    monitor_interval_seconds: float = Field(15, gt=0)
    job_concurrency: int = Field(4, ge=1)
    job_max_attempts: int = Field(3, ge=1)
    job_retry_backoff_seconds: float = Field(10, ge=0)
    job_timeout_seconds: float = Field(900, gt=0)
    shutdown_grace_seconds: float = Field(10, ge=0)
    generator: Literal["auto", "template", "openai"] = "auto"
    generation_step_delay_seconds: float = Field(0, ge=0)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-5-mini"
    openai_timeout_seconds: float = Field(120, gt=0)
    api_token: SecretStr | None = None
    job_retention_days: float = Field(30, gt=0)
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for log shippers
    max_pending_jobs: int = Field(1000, ge=1)
    submit_rate_per_minute: int = Field(60, ge=0)
    forwarded_allow_ips: str = "127.0.0.1"
    allowed_hosts: str | None = None  # None: LOOPBACK_HOSTS plus HOST (see `served_hosts`)
    allow_anonymous: bool = False
    metrics_token: SecretStr | None = None
    docs_enabled: bool = True
    #: a comment line on an idle job stream this often; the contract's ceiling is 15 s
    stream_keepalive_seconds: float = Field(15, gt=0, le=15)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.heartbeat_stale_seconds <= self.heartbeat_interval_seconds:
            raise ConfigError(
                "HEARTBEAT_STALE_SECONDS must be greater than HEARTBEAT_INTERVAL_SECONDS "
                f"({self.heartbeat_stale_seconds:g} <= {self.heartbeat_interval_seconds:g}); "
                "three times the interval is a good value"
            )
        if self.generator == "openai" and not self.has_openai_key:
            raise ConfigError(
                "GENERATOR=openai needs OPENAI_API_KEY: set it, or use GENERATOR=auto"
            )
        if self.api_token is not None and not self.api_token.get_secret_value().strip():
            raise ConfigError("API_TOKEN is set but empty: unset it or give it a value")
        if self.metrics_token is not None and not self.metrics_token.get_secret_value().strip():
            raise ConfigError("METRICS_TOKEN is set but empty: unset it or give it a value")
        if self.openai_base_url and _has_credentials(self.openai_base_url):
            raise ConfigError(
                "OPENAI_BASE_URL must not contain a user name or password (the HTTP client "
                "logs the URL): put the key in OPENAI_API_KEY"
            )
        return self

    @property
    def served_hosts(self) -> frozenset[str] | None:
        """Host names (lower case, IPv6 in brackets) requests may name; None = any (`*`)."""
        if self.allowed_hosts and self.allowed_hosts.strip():  # an empty value: the default
            names = {name.strip().lower() for name in self.allowed_hosts.split(",")}
            return None if "*" in names else frozenset(names - {""})
        names = set(LOOPBACK_HOSTS)
        if self.host not in WILDCARD_BINDS:
            names.add(_bracketed(self.host.lower()))
        return frozenset(names)

    @property
    def host_is_loopback(self) -> bool:
        """Whether HOST only accepts connections from this machine."""
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:  # a host name: it may resolve to anything
            return False

    @property
    def has_openai_key(self) -> bool:
        """True when an OpenAI key is configured (an empty value counts as none)."""
        return bool(self.openai_api_key and self.openai_api_key.get_secret_value().strip())

    @property
    def use_openai(self) -> bool:
        """Whether programs are generated by OpenAI (else by the offline template)."""
        return self.generator == "openai" or (self.generator == "auto" and self.has_openai_key)

    def engine_config(self) -> EngineConfig:
        """The job engine's knobs: the one place they are read from settings."""
        return EngineConfig(
            concurrency=self.job_concurrency,
            max_attempts=self.job_max_attempts,
            timeout_seconds=self.job_timeout_seconds,
            backoff_base=self.job_retry_backoff_seconds,
            heartbeat_seconds=self.heartbeat_interval_seconds,
            stale_seconds=self.heartbeat_stale_seconds,
            monitor_seconds=self.monitor_interval_seconds,
            retention_days=self.job_retention_days,
            shutdown_grace_seconds=self.shutdown_grace_seconds,
        )


def _has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "@" in url
    return parts.username is not None or parts.password is not None


def _bracketed(host: str) -> str:
    """An IPv6 address as a Host header writes it: `[::1]`."""
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def describe(error: ValidationError) -> str:
    """One line for the first problem, naming the environment variable."""
    first = error.errors()[0]
    loc = [str(part) for part in first.get("loc", ())]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if not loc:
        return message
    variable = loc[0].upper()
    if loc[0] in _SECRET_FIELDS:
        return f"{variable}: {message}"
    return f"{variable}: {message} (got {first.get('input')!r})"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once: the environment, then the project's `.env`.

    The project's, not the current directory's: the server, `cleanup_stuck_jobs.py` and
    a script importing `db.database` from anywhere all read the same configuration.
    """
    return Settings(_env_file=ENV_FILE)


def load_or_exit() -> Settings:
    """Read the settings, or print one line naming the variable and exit 2."""
    try:
        return get_settings()
    except ValidationError as error:
        print(f"progen: configuration error: {describe(error)}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None
