"""Settings, resolved once at the edge into a frozen object (docs/design.md §3).

Precedence: command-line flag > environment > ``.env`` > ``quantpro.toml`` in the working directory >
default. In ``quantpro.toml`` a setting is written without its prefix, lower-case
(``rate_limit_calls = 40``). The API key is read only from the environment or ``.env``; it is a
``SecretStr`` so it never shows in a repr, a log line or an error. Nothing else reads ``os.environ``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from quantpro.errors import ConfigError

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
}
API_KEY_ENV = "COINALYZE_API_KEY"


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

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
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
    for key in data:
        if key.lower() in {"api_key", "coinalyze_api_key"}:
            raise ConfigError(
                f"{path}: the API key is never read from {CONFIG_FILE}; set {API_KEY_ENV} in the "
                "environment or in .env instead, and remove it from the file"
            )
        if key.lower() not in known:
            raise ConfigError(
                f"{path}: unknown setting {key!r}; valid settings are {', '.join(sorted(known))}"
            )


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings; ``overrides`` are command-line flags (``None`` means "not given")."""
    _check_config_file(Path.cwd() / CONFIG_FILE)
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
