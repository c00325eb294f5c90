"""Settings, resolved once at the edge into a frozen object (docs/design.md §3).

Precedence: command-line flag > environment > ``.env`` > ``quantpro.toml`` in the working directory >
default. In ``quantpro.toml`` a setting is written without its prefix, lower-case
(``rate_limit_calls = 40``). The API key is read only from the environment or ``.env``; it is a
``SecretStr`` so it never shows in a repr, a log line or an error. Nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from quantpro.errors import ConfigError
from quantpro.secrets import register_secret, url_credentials

DEFAULT_BASE_URL = "https://api.coinalyze.net/v1"
CONFIG_FILE = "quantpro.toml"
DEFAULT_CACHE_DIR = Path("data")

#: Environment name → ``quantpro.toml`` name, for every setting but the key.
ENV_NAMES: dict[str, str] = {
    "COINALYZE_BASE_URL": "base_url",
    "QUANTPRO_RATE_LIMIT_CALLS": "rate_limit_calls",
    "QUANTPRO_RATE_LIMIT_PERIOD": "rate_limit_period",
    "QUANTPRO_HTTP_TIMEOUT": "http_timeout",
    "QUANTPRO_SYMBOLS_TTL_HOURS": "symbols_ttl_hours",
    "QUANTPRO_RESPONSE_TTL_MINUTES": "response_ttl_minutes",
    "QUANTPRO_CACHE_DIR": "cache_dir",
    "QUANTPRO_REFERENCE_EXCHANGES": "reference_exchanges",
    "QUANTPRO_LOG_FILE": "log_file",
    # part two: derivatives from the exchanges and the store (docs/design.md §11)
    "QUANTPRO_DERIVATIVES": "derivatives",
    "QUANTPRO_STORE_PATH": "store_path",
    "QUANTPRO_STORE_RETENTION_DAYS": "store_retention_days",
    "QUANTPRO_SNAPSHOT_MAX_LAG_S": "snapshot_max_lag_s",
    "QUANTPRO_COINALYZE_BUDGET": "coinalyze_budget",
    "QUANTPRO_COINALYZE_RESERVE": "coinalyze_reserve",
    "QUANTPRO_WATCHLIST": "watchlist",
    # trade plans (§12)
    "QUANTPRO_MIN_STOP_PCT": "min_stop_pct",
    "QUANTPRO_MAX_STOP_PCT": "max_stop_pct",
    "QUANTPRO_MAX_TARGET_PCT": "max_target_pct",
    "QUANTPRO_FEE_PCT": "fee_pct",
    "QUANTPRO_ALLOW_STALE": "allow_stale",
    # watch, history, alerts (§14)
    "QUANTPRO_HISTORY_DAYS": "history_days",
    "QUANTPRO_ALERT_MIN_SCORE": "alert_min_score",
}
API_KEY_ENV = "COINALYZE_API_KEY"
#: Secrets: read only from the environment or ``.env``, never from ``quantpro.toml``, never written.
ALERT_URLS_ENV = "QUANTPRO_ALERT_URLS"
SERVE_TOKEN_ENV = "QUANTPRO_SERVE_TOKEN"
SECRET_ENV_NAMES = (API_KEY_ENV, ALERT_URLS_ENV, SERVE_TOKEN_ENV)
#: ``QUANTPRO_EXCHANGE_URL_<VENUE>``: every venue call of every command goes there (loopback fakes, a proxy).
EXCHANGE_URL_PREFIX = "QUANTPRO_EXCHANGE_URL_"
DERIVATIVES_MODES = ("auto", "store", "coinalyze")


def _alias(env_name: str) -> Any:
    return AliasChoices(env_name, ENV_NAMES[env_name])


class Settings(BaseSettings):
    """Every setting of docs/design.md §3. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
        env_file=".env",
        env_file_encoding="utf-8",
        allow_inf_nan=False,  # "inf" as a timeout or a period is a typo, not a setting (issue 16 §10)
    )

    api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices(API_KEY_ENV))
    base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias=_alias("COINALYZE_BASE_URL"))
    rate_limit_calls: int = Field(default=40, ge=1, validation_alias=_alias("QUANTPRO_RATE_LIMIT_CALLS"))
    rate_limit_period: float = Field(
        default=60.0, gt=0, validation_alias=_alias("QUANTPRO_RATE_LIMIT_PERIOD")
    )
    http_timeout: float = Field(default=30.0, gt=0, validation_alias=_alias("QUANTPRO_HTTP_TIMEOUT"))
    symbols_ttl_hours: float = Field(
        default=24.0, ge=0, validation_alias=_alias("QUANTPRO_SYMBOLS_TTL_HOURS")
    )
    response_ttl_minutes: float = Field(
        default=15.0, ge=0, validation_alias=_alias("QUANTPRO_RESPONSE_TTL_MINUTES")
    )
    cache_dir: Path | None = Field(default=None, validation_alias=_alias("QUANTPRO_CACHE_DIR"))
    reference_exchanges: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("Binance", "Bybit", "OKX"), validation_alias=_alias("QUANTPRO_REFERENCE_EXCHANGES")
    )
    log_file: Path | None = Field(default=None, validation_alias=_alias("QUANTPRO_LOG_FILE"))

    # -- §11: derivatives from the exchanges, the store, the planner --------------------------------
    derivatives: Literal["auto", "store", "coinalyze"] = Field(
        default="auto", validation_alias=_alias("QUANTPRO_DERIVATIVES")
    )
    store_path: Path | None = Field(default=None, validation_alias=_alias("QUANTPRO_STORE_PATH"))
    store_retention_days: float = Field(
        default=90.0, gt=0, validation_alias=_alias("QUANTPRO_STORE_RETENTION_DAYS")
    )
    snapshot_max_lag_s: float = Field(
        default=300.0, gt=0, le=900, validation_alias=_alias("QUANTPRO_SNAPSHOT_MAX_LAG_S")
    )
    coinalyze_budget: int | None = Field(
        default=None, ge=0, validation_alias=_alias("QUANTPRO_COINALYZE_BUDGET")
    )
    coinalyze_reserve: float = Field(
        default=0.10, ge=0, lt=1, validation_alias=_alias("QUANTPRO_COINALYZE_RESERVE")
    )
    watchlist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias=_alias("QUANTPRO_WATCHLIST")
    )
    exchange_urls: dict[str, str] = Field(default_factory=dict)

    # -- §12: trade plans -----------------------------------------------------------------------------
    min_stop_pct: float = Field(default=0.3, ge=0, validation_alias=_alias("QUANTPRO_MIN_STOP_PCT"))
    max_stop_pct: float = Field(default=10.0, gt=0, validation_alias=_alias("QUANTPRO_MAX_STOP_PCT"))
    max_target_pct: float = Field(default=25.0, gt=0, validation_alias=_alias("QUANTPRO_MAX_TARGET_PCT"))
    fee_pct: float = Field(default=0.05, ge=0, lt=5, validation_alias=_alias("QUANTPRO_FEE_PCT"))
    allow_stale: bool = Field(default=False, validation_alias=_alias("QUANTPRO_ALLOW_STALE"))

    # -- §14: watch, history, alerts --------------------------------------------------------------------
    history_days: float = Field(default=90.0, gt=0, validation_alias=_alias("QUANTPRO_HISTORY_DAYS"))
    alert_min_score: float = Field(
        default=70.0, ge=0, le=100, validation_alias=_alias("QUANTPRO_ALERT_MIN_SCORE")
    )
    alert_urls: SecretStr | None = Field(default=None, validation_alias=AliasChoices(ALERT_URLS_ENV))
    # -- §15: the dashboard ---------------------------------------------------------------------------
    serve_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices(SERVE_TOKEN_ENV))

    @field_validator("reference_exchanges", mode="before")
    @classmethod
    def _split_exchanges(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list | tuple):
            names = tuple(str(part).strip() for part in value if str(part).strip())
            if not names:
                raise ValueError("needs at least one exchange name")
            return names
        return value

    @field_validator("watchlist", mode="before")
    @classmethod
    def _split_watchlist(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list | tuple):
            entries = tuple(str(part).strip() for part in value if str(part).strip())
            for entry in entries:
                exchange, sep, symbol = entry.partition(":")
                if not sep or not exchange.strip() or not symbol.strip():
                    raise ValueError(f"{entry!r} is not EXCHANGE:SYMBOL")
            return tuple(
                e.split(":", 1)[0].strip().upper() + ":" + e.split(":", 1)[1].strip() for e in entries
            )
        return value

    @field_validator("exchange_urls")
    @classmethod
    def _check_exchange_urls(cls, value: dict[str, str]) -> dict[str, str]:
        checked: dict[str, str] = {}
        for venue, url in value.items():
            parts = urlsplit(url.strip())
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ValueError(
                    f"{EXCHANGE_URL_PREFIX}{venue.upper()} must be an http(s) URL such as "
                    f"http://127.0.0.1:9001"
                )
            checked[venue.upper()] = url.strip().rstrip("/")
        return checked

    @field_validator("api_key")
    @classmethod
    def _check_key(cls, value: SecretStr | None) -> SecretStr | None:
        """A key goes in an HTTP header: printable ASCII, no spaces or newlines inside (issue 16 §10)."""
        if value is None:
            return value
        key = value.get_secret_value().strip()
        if key and not all(33 <= ord(ch) < 127 for ch in key):
            raise ValueError(
                "the API key must be printable ASCII without spaces or line breaks (check for a pasted "
                "newline or a typographic character)"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if not urlsplit(value).hostname:
            raise ValueError("needs a host, such as https://api.coinalyze.net/v1")
        for secret in url_credentials(value):  # credentials in the URL are secrets (issue 16 §5)
            register_secret(secret)
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=Path.cwd() / CONFIG_FILE)
        return (init_settings, env_settings, dotenv_settings, toml)

    # -- derived values -------------------------------------------------------------------------

    @property
    def has_api_key(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value().strip())

    def api_key_value(self) -> str:
        """The key itself, for the one place that puts it in a request header."""
        if not self.has_api_key:
            raise ConfigError(
                f"no Coinalyze API key: set {API_KEY_ENV} in the environment or in a .env file "
                "(get one at https://coinalyze.net/account/api-key/), or try `quantpro demo`"
            )
        assert self.api_key is not None
        return self.api_key.get_secret_value().strip()

    def cache_path(self, data_dir: Path | None = None) -> Path:
        """Where caches live: ``QUANTPRO_CACHE_DIR``, else the scan's DATA_DIR, else ``./data``."""
        if self.cache_dir is not None:
            return self.cache_dir
        return data_dir if data_dir is not None else DEFAULT_CACHE_DIR

    def alert_url_list(self) -> list[str]:
        """The Apprise URLs of ``QUANTPRO_ALERT_URLS`` (secrets: never log or write them)."""
        if self.alert_urls is None:
            return []
        return [url.strip() for url in self.alert_urls.get_secret_value().split(",") if url.strip()]

    def store_file(self, data_dir: Path | None = None) -> Path:
        """``QUANTPRO_STORE_PATH``, else ``<cache dir>/quantpro.sqlite``."""
        if self.store_path is not None:
            return self.store_path
        return self.cache_path(data_dir) / "quantpro.sqlite"

    @property
    def cycle_budget(self) -> int:
        """Coinalyze units per 15-minute cycle: the setting, else the quota's 900 seconds' worth."""
        if self.coinalyze_budget is not None:
            return self.coinalyze_budget
        return int(self.rate_limit_calls * 900 / self.rate_limit_period)

    @property
    def batch_size(self) -> int:
        """Symbols per request: at most 20, and never more than the window holds."""
        return max(1, min(20, self.rate_limit_calls))


def _check_config_file(path: Path) -> None:
    """Refuse a key in ``quantpro.toml`` and name unknown settings, so typos do not pass silently."""
    if not path.is_file():
        return
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    known = set(ENV_NAMES.values())
    secrets = {"api_key": API_KEY_ENV, "coinalyze_api_key": API_KEY_ENV, "alert_urls": ALERT_URLS_ENV}
    secrets |= {"serve_token": SERVE_TOKEN_ENV}
    for key in data:
        env_name = secrets.get(key.lower())
        if env_name is not None:
            raise ConfigError(
                f"{path}: {key} is a secret and is never read from {CONFIG_FILE}; set {env_name} in the "
                "environment or in .env instead, and remove it from the file"
            )
        if key.lower() not in known:
            raise ConfigError(
                f"{path}: unknown setting {key!r}; valid settings are {', '.join(sorted(known))}"
            )


def _exchange_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """``QUANTPRO_EXCHANGE_URL_<VENUE>=http://host:port`` for each venue that has one (upper-case names)."""
    return {
        key[len(EXCHANGE_URL_PREFIX) :].upper(): value
        for key, value in environ.items()
        if key.upper().startswith(EXCHANGE_URL_PREFIX) and value.strip()
    }


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings; ``overrides`` are command-line flags (``None`` means "not given")."""
    _check_config_file(Path.cwd() / CONFIG_FILE)
    given = {name: value for name, value in overrides.items() if value is not None}
    given.setdefault("exchange_urls", _exchange_urls(os.environ))
    try:
        return Settings(**given)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f".env is not valid UTF-8 (byte {exc.start}); save it as UTF-8 or remove the odd character"
        ) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: "
            + err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


# -- where each value came from (``quantpro show-config``, docs/design.md §16) ----------------------------

SettingSource = Literal["flag", "env", ".env", "quantpro.toml", "default"]


def env_name(field: str) -> str:
    """The environment variable of a setting (``QUANTPRO_EXCHANGE_URL_<VENUE>`` for the venue URLs)."""
    if field == "exchange_urls":
        return EXCHANGE_URL_PREFIX + "<VENUE>"
    alias = Settings.model_fields[field].validation_alias
    assert isinstance(alias, AliasChoices)
    return str(alias.choices[0])


def setting_sources(**overrides: Any) -> dict[str, SettingSource]:
    """For every setting, where :func:`load_settings` with these flags takes its value from: the first
    of flag, environment, ``.env``, ``quantpro.toml`` that has it, else the default. The same
    pydantic-settings sources are asked, so the answer cannot drift from what is loaded."""
    given = {name for name, value in overrides.items() if value is not None}
    found: list[tuple[SettingSource, set[str]]] = [
        ("env", {k.upper() for k in EnvSettingsSource(Settings)()}),
        (".env", {k.upper() for k in DotEnvSettingsSource(Settings)()}),
        ("quantpro.toml", {k.upper() for k in _toml_values()}),
    ]
    sources: dict[str, SettingSource] = {}
    for field in Settings.model_fields:
        if field in given:
            sources[field] = "flag"
        elif field == "exchange_urls":
            sources[field] = "env" if _exchange_urls(os.environ) else "default"
        else:
            name = env_name(field).upper()
            sources[field] = next((label for label, names in found if name in names), "default")
    return sources


def _toml_values() -> dict[str, Any]:
    path = Path.cwd() / CONFIG_FILE
    return TomlConfigSettingsSource(Settings, toml_file=path)() if path.is_file() else {}
