"""TRIBUNE_SECRET: from the environment, or generated once next to the database with a warning."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.secret import load_or_create_secret, secret_path
from bot.settings import Settings


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path}/tribune.db", **env})


def test_the_environment_wins(tmp_path: Path) -> None:
    assert load_or_create_secret(settings(tmp_path, TRIBUNE_SECRET="from-env")) == b"from-env"
    assert not (tmp_path / "tribune.db.secret").exists()


def test_generated_once_owner_only_and_reused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    first = load_or_create_secret(settings(tmp_path))
    path = secret_path(settings(tmp_path))
    assert path == tmp_path / "tribune.db.secret" and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64  # 256 random bits, hex
    assert any("TRIBUNE_SECRET is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    assert load_or_create_secret(settings(tmp_path)) == first  # never silently replaced
    assert not caplog.records


def test_memory_store_gets_a_temporary_key_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    key = load_or_create_secret(Settings.from_env({"DATABASE_URL": "sqlite:///:memory:"}))
    assert len(key) == 64 and any("temporary key" in r.getMessage() for r in caplog.records)
