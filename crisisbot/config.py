"""Configuration: one YAML file plus environment overrides, validated at start.

Why dataclasses and not a settings framework: the schema is small, and the error message must
name the exact bad key (``api.port: expected an integer, got 'abc'``), which is easiest to
guarantee when we walk the tree ourselves.

Precedence (highest first): command-line flags (``--db``), environment variables, the YAML file
(``--config`` or ``CRISISBOT_CONFIG``), built-in defaults.

Environment overrides use ``CRISISBOT_<SECTION>__<KEY>`` (double underscore), for example
``CRISISBOT_API__PORT=9000``; lists are comma-separated. ``CRISISBOT_DB`` sets ``database.url``,
``DISCORD_TOKEN`` sets ``discord.token``, ``DISCORD_API_BASE_URL`` and ``DISCORD_GATEWAY_URL`` set
``discord.api_base_url`` and ``discord.gateway_url``.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.settings import DiscordSettings
from protocols.bounded_yaml import BoundedSafeLoader

__all__ = [
    "ApiSettings",
    "ConfigError",
    "DatabaseSettings",
    "DiscordSettings",
    "DrillSettings",
    "HashDBSettings",
    "LoggingSettings",
    "ProtocolSettings",
    "Settings",
    "check_database_url",
    "load_settings",
    "DEFAULT_DB_URL",
]

DEFAULT_DB_URL = "sqlite:///crisisbot.db"


class ConfigError(Exception):
    """A configuration file or environment variable is invalid; the message names the key."""


@dataclass
class DatabaseSettings:
    """Where state lives: ``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``postgresql://...``."""

    url: str = DEFAULT_DB_URL


@dataclass
class LoggingSettings:
    level: str = "INFO"
    json: bool = False


@dataclass
class HashDBSettings:
    """Limits that protect the hashing pipeline from hostile files."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_image_pixels: int = 89_478_485  # Pillow's own default bomb limit
    video_frame_interval_seconds: float = 1.0
    video_max_frames: int = 14_400  # sampled frames of one video, at most (4 h at 1 a second)
    video_max_seconds: float = 14_400.0  # hashing stops there and says it cut the video short
    video_time_limit_seconds: float = 900.0  # a video still decoding after this is refused
    video_max_file_bytes: int = 8 * 1024**3  # a video hashed from a path (CLI), at most
    max_concurrent_videos: int = 1  # videos hashed at once per process, beside the decodes
    max_decode_bytes: int = 256 * 1024 * 1024  # decoded pixels of one image or frame, at most
    max_concurrent_decodes: int = 2  # files hashed at once per process (bot and API together)
    #: distinct platforms (or other actors) whose false-positive verdicts flag a likely bad hash
    bad_hash_min_sources: int = 2


@dataclass
class ApiSettings:
    """The lookup API (``crisisbot serve``/``run``): bind address and limits.

    ``max_batch``: hashes per match request or entries per batch add (400 beyond);
    ``max_upload_bytes``: largest upload to ``/v1/match/upload`` (413 beyond); each key's token
    bucket refills ``rate_limit_per_minute`` and holds ``rate_limit_burst`` (429 when empty).
    Failed authentications are throttled per client address (``auth_failures_per_minute``,
    ``auth_failure_burst``; behind a reverse proxy list it in ``trusted_proxies``).
    The rest tune caches and limits; ``hashdb.api.ApiConfig`` documents each (same names).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    max_batch: int = 1000
    max_upload_bytes: int = 50 * 1024 * 1024
    max_json_bytes: int = 4 * 1024 * 1024
    rate_limit_per_minute: int = 6000
    rate_limit_burst: int = 600
    key_cache_seconds: float = 5.0  # how late a revocation by another process takes effect
    list_cache_seconds: float = 60.0  # upper bound; small databases re-read list metadata in ~1 s
    changes_max_limit: int = 5000  # largest page of the delta feed
    coalesce_lookups: bool = True  # match concurrent single lookups together
    auth_failures_per_minute: int = 60  # failed authentications per client address, then 429
    auth_failure_burst: int = 20
    trusted_proxies: list[str] = field(default_factory=list)  # reverse proxies: X-Forwarded-For


@dataclass
class ProtocolSettings:
    extra_dirs: list[str] = field(default_factory=list)
    timezone: str = "UTC"


@dataclass
class DrillSettings:
    """Extra scenario folders, and how fast drills run when no ``--speed`` is given."""

    extra_dirs: list[str] = field(default_factory=list)
    default_speed: float = 1.0  # drill seconds per wall-clock second


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    hashdb: HashDBSettings = field(default_factory=HashDBSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    protocols: ProtocolSettings = field(default_factory=ProtocolSettings)
    drills: DrillSettings = field(default_factory=DrillSettings)


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Convert ``value`` to ``annotation`` or raise ConfigError naming ``key``."""
    origin = typing.get_origin(annotation)
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(item, item_type, f"{key}[{i}]") for i, item in enumerate(value)]
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        }:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected an integer, got {value!r}") from None
    if annotation is float:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected a number, got {value!r}") from None
    if annotation is str:
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{key}: unsupported type {annotation!r}")  # pragma: no cover


def _section_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _apply(settings: Settings, tree: Mapping[str, Any], source: str) -> None:
    top = _section_types(Settings)
    for section_name, section_values in tree.items():
        if section_name not in top:
            known = ", ".join(sorted(top))
            raise ConfigError(f"{source}: unknown section {section_name!r} (known: {known})")
        if section_values is None:
            continue
        if not isinstance(section_values, Mapping):
            raise ConfigError(f"{source}: {section_name}: expected a mapping")
        section = getattr(settings, section_name)
        types_ = _section_types(type(section))
        for key, value in section_values.items():
            if key not in types_:
                known = ", ".join(sorted(types_))
                raise ConfigError(
                    f"{source}: unknown key {section_name}.{key} (known in {section_name}: {known})"
                )
            setattr(section, key, _coerce(value, types_[key], f"{section_name}.{key}"))


#: (section, key) of counts and sizes below which nothing could work (a pool of no threads)
_AT_LEAST_ONE = (
    ("hashdb", "max_decode_bytes"),
    ("hashdb", "max_concurrent_decodes"),
    ("hashdb", "bad_hash_min_sources"),
)


def _check_at_least_one(settings: Settings) -> None:
    for section, key in _AT_LEAST_ONE:
        value = getattr(getattr(settings, section), key)
        if value < 1:
            raise ConfigError(f"{section}.{key}: must be at least 1, got {value}")


def _env_tree(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    tree: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        if not name.startswith("CRISISBOT_") or "__" not in name:
            continue
        section, _, key = name[len("CRISISBOT_") :].partition("__")
        tree.setdefault(section.lower(), {})[key.lower()] = value
    return tree


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    *,
    db_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build validated settings from defaults, the YAML file, the environment and flags."""
    env = os.environ if environ is None else environ
    settings = Settings()
    path = config_file or env.get("CRISISBOT_CONFIG")
    if path:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read config file: {exc.strerror or exc}") from None
        try:
            data = yaml.load(text, Loader=BoundedSafeLoader) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            raise ConfigError(f"{p}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
        if not isinstance(data, Mapping):
            raise ConfigError(f"{p}: the top level must be a mapping of sections")
        _apply(settings, data, str(p))
    _apply(settings, _env_tree(env), "environment")
    _check_at_least_one(settings)
    if env.get("CRISISBOT_DB"):
        settings.database.url = env["CRISISBOT_DB"]
    if env.get("DISCORD_TOKEN"):
        settings.discord.token = env["DISCORD_TOKEN"]
    if env.get("DISCORD_API_BASE_URL"):
        settings.discord.api_base_url = env["DISCORD_API_BASE_URL"]
    if env.get("DISCORD_GATEWAY_URL"):
        settings.discord.gateway_url = env["DISCORD_GATEWAY_URL"]
    if env.get("CRISISBOT_LOG_FORMAT", "").lower() == "json":
        settings.logging.json = True
    if db_url:
        settings.database.url = db_url
    check_database_url(settings.database.url)
    return settings


#: URL schemes a database URL may have (a bare path, without ``://``, is a SQLite file).
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")


def check_database_url(url: str) -> None:
    """Refuse a database URL no store understands.

    Why here: the stores take anything that is not ``postgresql://`` as a SQLite path, so a typo
    such as ``postgresq://...`` or ``sqlite:/x.db`` would silently create a new, empty database
    file (and folders) named after the URL, and every command would then "work" on it.
    """
    if "://" not in url:
        if url.startswith("sqlite:"):
            raise ConfigError(f"database.url: expected sqlite:///path, got {url!r}")
        return
    scheme = url.partition("://")[0].lower()
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"database.url: unknown scheme {scheme!r} in {url!r} "
            "(use sqlite:///relative.db, sqlite:////absolute.db or postgresql://...)"
        )
    if scheme == "sqlite":
        sqlite_path(url)  # raises on a malformed SQLite URL


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite:") or "://" not in url


def sqlite_path(url: str) -> str:
    """The file path of a SQLite URL: ``sqlite:///x.db`` is relative, ``sqlite:////x.db`` absolute.

    A bare path (no scheme) is accepted too, and ``sqlite://:memory:`` gives an in-memory database.
    """
    if "://" not in url:
        return url
    scheme, _, rest = url.partition("://")
    if scheme != "sqlite":
        raise ConfigError(f"database.url: not a SQLite URL: {url!r}")
    if rest in {":memory:", "/:memory:"}:
        return ":memory:"
    if not rest.startswith("/"):
        raise ConfigError(f"database.url: expected sqlite:///path, got {url!r}")
    return rest[1:]
