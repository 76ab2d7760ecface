from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DatabaseLocation, Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.discord_token is None
    assert settings.database == DatabaseLocation("sqlite", "tribune.db")
    assert settings.log_level == "INFO" and settings.fetch_allow == () and settings.dev_guild_id is None


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": " tok ",
            "DATABASE_URL": "sqlite:////var/lib/tribune/t.db",
            "TRIBUNE_LOG_LEVEL": "debug",
            "TRIBUNE_DEV_GUILD": "123",
            "TRIBUNE_FETCH_ALLOW": "intranet.example, 10.1.0.0/16 ,",
            "TRIBUNE_SECRET": "s3",
            "TRIBUNE_LLM_URL": "http://127.0.0.1:8000/v1",
        }
    )
    assert settings.discord_token == "tok"
    assert settings.database.file == Path("/var/lib/tribune/t.db")
    assert settings.log_level == "DEBUG" and settings.dev_guild_id == 123
    assert settings.fetch_allow == ("intranet.example", "10.1.0.0/16")
    assert settings.secret == "s3" and settings.llm_url == "http://127.0.0.1:8000/v1"


def test_repr_never_shows_the_token_or_the_secret() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "very-secret-token", "TRIBUNE_SECRET": "hmac-key"})
    assert "very-secret-token" not in repr(settings) and "hmac-key" not in repr(settings)


@pytest.mark.parametrize(
    "name,value", [("TRIBUNE_DEV_GUILD", "abc"), ("TRIBUNE_LOG_LEVEL", "x"), ("DATABASE_URL", "x")]
)
def test_malformed_values_raise_a_settings_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_memory_database() -> None:
    assert Settings.from_env({"DATABASE_URL": "sqlite:///:memory:"}).database.file is None


def test_fetch_timeout_and_size_cap_are_settings() -> None:
    default = Settings.from_env({})
    assert default.fetch_timeout == 15.0 and default.fetch_max_bytes == 5 * 1024 * 1024
    tuned = Settings.from_env({"TRIBUNE_FETCH_TIMEOUT": "0,5", "TRIBUNE_FETCH_MAX_MB": "0.25"})
    assert tuned.fetch_timeout == 0.5 and tuned.fetch_max_bytes == 256 * 1024


@pytest.mark.parametrize("name", ["TRIBUNE_FETCH_TIMEOUT", "TRIBUNE_FETCH_MAX_MB"])
@pytest.mark.parametrize("value", ["0", "-3", "beaucoup", "inf", "nan"])
def test_a_fetch_limit_must_be_a_positive_number(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_web_service_settings() -> None:
    assert Settings.from_env({}).web_port is None  # off by default
    settings = Settings.from_env(
        {
            "TRIBUNE_WEB_PORT": "8080",
            "TRIBUNE_PUBLIC_URL": "https://resultats.journal.example/",
            "TRIBUNE_WEB_BEHIND_PROXY": "1",
        }
    )
    assert settings.web_port == 8080 and settings.web_host == "127.0.0.1" and settings.web_behind_proxy
    assert settings.public_url == "https://resultats.journal.example"
    assert (
        settings.web_rate_per_minute == 120.0 and Settings.from_env({"TRIBUNE_WEB_RATE": "0"}).web_rate_per_minute == 0
    )
    for name, value in (
        ("TRIBUNE_WEB_PORT", "http"),
        ("TRIBUNE_WEB_PORT", "70000"),
        ("TRIBUNE_PUBLIC_URL", "site.fr"),
        ("TRIBUNE_WEB_RATE", "-1"),
        ("TRIBUNE_WEB_RATE", "vite"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_shards_default_to_discords_count_in_one_process() -> None:
    settings = Settings.from_env({})
    assert settings.shard_count is None and settings.shard_ids is None and settings.db_pool_size == 10


@pytest.mark.parametrize(
    "ids,expected", [("0,1", (0, 1)), ("0-3", (0, 1, 2, 3)), ("6, 0-1,1", (0, 1, 6)), (None, None)]
)
def test_shard_ids_are_lists_and_ranges(ids: str | None, expected: tuple[int, ...] | None) -> None:
    env = {"TRIBUNE_SHARD_COUNT": "8", "DATABASE_URL": "postgresql://h/t", "TRIBUNE_SECRET": "k"}
    if ids is not None:
        env["TRIBUNE_SHARD_IDS"] = ids
    settings = Settings.from_env(env)
    assert settings.shard_count == 8 and settings.shard_ids == expected


@pytest.mark.parametrize(
    "env,fragment",
    [
        ({"TRIBUNE_SHARD_COUNT": "0"}, "TRIBUNE_SHARD_COUNT"),
        ({"TRIBUNE_SHARD_IDS": "0"}, "TRIBUNE_SHARD_COUNT"),
        ({"TRIBUNE_SHARD_COUNT": "2", "TRIBUNE_SHARD_IDS": "2"}, "de 0 à 1"),
        ({"TRIBUNE_SHARD_COUNT": "4", "TRIBUNE_SHARD_IDS": "3-1"}, "TRIBUNE_SHARD_IDS"),
        ({"TRIBUNE_SHARD_COUNT": "4", "TRIBUNE_SHARD_IDS": "a"}, "TRIBUNE_SHARD_IDS"),
        ({"TRIBUNE_SHARD_COUNT": "2", "TRIBUNE_SHARD_IDS": "0"}, "avec SQLite, un seul processus"),
        ({"TRIBUNE_DB_POOL_SIZE": "1"}, "TRIBUNE_DB_POOL_SIZE"),
        ({"DATABASE_URL": "postgresql://h/t"}, "TRIBUNE_SECRET"),
    ],
)
def test_bad_shard_and_pool_settings_are_refused(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        Settings.from_env(env)


def test_sqlite_may_run_every_shard_in_its_one_process() -> None:
    settings = Settings.from_env({"TRIBUNE_SHARD_COUNT": "2", "TRIBUNE_SHARD_IDS": "0-1"})
    assert settings.shard_ids == (0, 1)


def test_a_postgresql_password_never_shows_in_the_settings() -> None:
    url = "postgresql://tribune:pg-secret@db.example:5432/tribune"
    settings = Settings.from_env({"DATABASE_URL": url, "TRIBUNE_SECRET": "k"})
    assert settings.database.is_postgres and settings.database.path == url and settings.database.file is None
    assert "pg-secret" not in repr(settings) and "pg-secret" not in settings.database.display()
