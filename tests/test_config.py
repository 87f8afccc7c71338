from __future__ import annotations

from pathlib import Path

import pytest

from crisisbot.config import ConfigError, load_settings, sqlite_path


def test_defaults_use_sqlite_in_working_directory() -> None:
    settings = load_settings(environ={})
    assert settings.database.url == "sqlite:///crisisbot.db"
    assert sqlite_path(settings.database.url) == "crisisbot.db"


def test_yaml_then_environment_then_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("api:\n  port: 9001\ndiscord:\n  responder_role_ids: [1, 2]\n")
    env = {"CRISISBOT_API__HOST": "0.0.0.0", "CRISISBOT_DB": "sqlite:////tmp/x.db"}
    settings = load_settings(cfg, environ=env)
    assert settings.api.port == 9001
    assert settings.api.host == "0.0.0.0"
    assert settings.discord.responder_role_ids == [1, 2]
    assert settings.database.url == "sqlite:////tmp/x.db"
    assert load_settings(cfg, db_url="sqlite:///y.db", environ=env).database.url == "sqlite:///y.db"
    assert sqlite_path("sqlite:////tmp/x.db") == "/tmp/x.db"


def test_environment_lists_and_token() -> None:
    env = {"CRISISBOT_DISCORD__WATCHED_CHANNEL_IDS": "5, 6", "DISCORD_TOKEN": "abc"}
    settings = load_settings(environ=env)
    assert settings.discord.watched_channel_ids == [5, 6]
    assert settings.discord.token == "abc"
    assert "abc" not in repr(settings.discord)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("api:\n  port: abc\n", "api.port"),
        ("api:\n  prot: 1\n", "api.prot"),
        ("nope:\n  a: 1\n", "'nope'"),
        ("api: [1\n", "invalid YAML"),
        ("- 1\n", "mapping"),
        ("logging:\n  json: maybe\n", "logging.json"),
        ("hashdb:\n  max_concurrent_decodes: 0\n", "hashdb.max_concurrent_decodes: must be at"),
        ("hashdb:\n  bad_hash_min_sources: -1\n", "hashdb.bad_hash_min_sources: must be at"),
        pytest.param(
            "api:\n  host: " + "[" * 5000 + "]" * 5000 + "\n",
            "yaml:2:.*: invalid YAML: nested",
            id="nested-5000-deep",
        ),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[")):
        load_settings(cfg, environ={})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml", environ={})


def test_example_config_is_valid_and_complete() -> None:
    example = Path(__file__).resolve().parents[1] / "config.example.yaml"
    assert load_settings(example, environ={}) == load_settings(environ={})


def test_api_section_reaches_the_api_config() -> None:
    from crisisbot.composition import api_config

    env = {"CRISISBOT_API__LIST_CACHE_SECONDS": "5", "CRISISBOT_API__COALESCE_LOOKUPS": "false"}
    config = api_config(load_settings(environ=env))
    assert config.list_cache_seconds == 5.0 and config.coalesce_lookups is False
    assert config.max_batch == load_settings(environ={}).api.max_batch
