"""Settings, read once at start-up from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable, immutable after start-up so no module re-reads the env."""

    telegram_token: str | None
    telegram_api_url: str | None
    database_url: str
    content_dir: Path
    locales_dir: Path
    log_level: str
    index_cache_dir: Path | None = None

    @property
    def telegram_file_url(self) -> str | None:
        """The file endpoint next to ``telegram_api_url`` (``.../bot`` -> ``.../file/bot``)."""
        if not self.telegram_api_url:
            return None
        base = self.telegram_api_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"


def load_settings(env: dict[str, str] | None = None, dotenv_path: Path | None = None) -> Settings:
    """Read the settings; real environment variables win over the ``.env`` file."""
    source: dict[str, str] = {}
    path = dotenv_path or PROJECT_ROOT / ".env"
    if path.is_file():
        source.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    source.update(os.environ if env is None else env)

    data_dir = PROJECT_ROOT / "data"
    database_url = source.get("DATABASE_URL") or f"sqlite:///{data_dir / 'bot.sqlite3'}"
    api_url = source.get("TELEGRAM_API_URL") or None
    if api_url and not api_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_URL must start with http:// or https:// (got {api_url!r}); "
            "example: http://127.0.0.1:8081/bot"
        )
    level = (source.get("LOG_LEVEL") or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {level!r})")
    return Settings(
        telegram_token=(source.get("TELEGRAM_BOT_TOKEN") or "").strip() or None,
        telegram_api_url=api_url,
        database_url=database_url,
        content_dir=Path(source.get("CONTENT_DIR") or PROJECT_ROOT / "content"),
        locales_dir=Path(source.get("LOCALES_DIR") or PROJECT_ROOT / "locales"),
        log_level=level,
        index_cache_dir=(None if source.get("INDEX_CACHE_DIR") == "" else
                         Path(source.get("INDEX_CACHE_DIR") or data_dir / "cache")),
    )
