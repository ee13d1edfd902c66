"""Settings, read once from the environment (HEALTHQA_*), an optional TOML file and CLI flags.

Precedence, highest first: explicit arguments (CLI flags), environment variables, the TOML
file named by HEALTHQA_CONFIG, built-in defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MEDQUAD_URL = "https://github.com/abachaa/MedQuAD/archive/refs/heads/master.zip"


def data_dir() -> Path:
    """Where healthqa keeps its files by default: $HEALTHQA_HOME, else $XDG_DATA_HOME/healthqa."""
    home = os.environ.get("HEALTHQA_HOME")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "healthqa"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'healthqa.db'}"


class Settings(BaseSettings):
    """Everything a site can configure. Field names map to HEALTHQA_<NAME> variables."""

    model_config = SettingsConfigDict(env_prefix="HEALTHQA_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    cache_dir: Path = Field(default_factory=lambda: data_dir() / "cache")
    topics_file: Path | None = None
    spam_rules_file: Path | None = None  # default: the bundled screening/spam_rules.toml
    featured_file: Path | None = None  # curated Popular questions; default: web/featured.toml
    index_dir: Path | None = None  # default: <data folder>/index/<hash of the database URL>
    model_path: Path | None = None  # a sentence-transformers folder; default: bundled MiniLM
    medquad_url: str = MEDQUAD_URL
    country: str | None = None
    # Mail (password reset, answer notices). Without smtp_host, mail is written as .eml files
    # to <data folder>/outbox, so a fresh site works and nothing is lost.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "none"  # "none", "starttls" or "ssl"
    mail_from: str = "healthqa <noreply@localhost>"
    outbox_dir: Path = Field(default_factory=lambda: data_dir() / "outbox")
    # The public address of the site, for links in mail; default: the address of the request.
    site_url: str | None = None
    # Session cookies are Secure unless the site is reached over plain http on this machine
    # (a development server); set true or false to decide yourself.
    secure_cookies: bool | None = None
    # Addresses of reverse proxies in front of the site: from these, the visitor's address is
    # read from X-Forwarded-For (for rate limits); from anyone else that header is ignored.
    trusted_proxies: list[str] = Field(default_factory=list)
    # The languages askers may write in, comma-separated ("en,es,zh"). English is always read;
    # any other turns on the multilingual index (built on first use, cached like MiniLM's).
    languages: str = "en"

    @property
    def ask_languages(self) -> frozenset[str]:
        """The languages of `languages`, English always among them."""
        return frozenset(
            {"en", *(c.strip().lower() for c in self.languages.split(",") if c.strip())}
        )


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; `overrides` with a None value are ignored (unset CLI flags)."""
    values: dict[str, Any] = {}
    config_file = os.environ.get("HEALTHQA_CONFIG")
    if config_file:
        with open(config_file, "rb") as fh:
            file_values = tomllib.load(fh)
        env_names = {k.removeprefix("HEALTHQA_").lower() for k in os.environ}
        values.update({k: v for k, v in file_values.items() if k not in env_names})
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
