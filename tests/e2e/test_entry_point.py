"""`python -m bot run` and `sync` against the emulator: login refused, sync printed, token never logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.__main__ import RedactSecrets, run, sync
from bot.settings import Settings
from tests.discord_emulator import DiscordEmulator

BAD_TOKEN = "refused-by-the-emulator-0123456789abcdef"  # never shaped like a real token


def settings_for(tmp_path: Path, token: str) -> Settings:
    return Settings.from_env({"DISCORD_TOKEN": token, "DATABASE_URL": f"sqlite:///{tmp_path}/tribune.db"})


async def test_refused_token_exits_2_with_a_clear_message_and_is_never_logged(
    emulator: DiscordEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await run(settings_for(tmp_path, BAD_TOKEN)) == 2
    out = capsys.readouterr()
    assert "Discord a refusé le jeton" in out.err and "Reset Token" in out.err
    assert "Traceback" not in out.err
    everything = out.out + out.err + caplog.text
    assert BAD_TOKEN not in everything
    assert (tmp_path / "tribune.db").exists()  # the store was opened and migrated before Discord


async def test_sync_publishes_the_tree_to_a_guild_and_prints_it(
    emulator: DiscordEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path, emulator.token)
    assert await sync(settings, str(emulator.guild.id)) == 0
    out = capsys.readouterr().out
    assert f"sur le serveur {emulator.guild.id}" in out
    names = {c["name"] for c in emulator.commands(emulator.guild)}
    assert {"poll", "article", "settings", "opinion", "feed"} <= names
    for name in names:
        assert name in out
    assert emulator.commands() == []  # nothing global: sync does only what was asked


async def test_sync_refuses_a_bad_token(
    emulator: DiscordEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sync(settings_for(tmp_path, BAD_TOKEN), None) == 2
    assert "Discord a refusé le jeton" in capsys.readouterr().err


def test_redaction_filter_masks_secrets_in_any_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", (BAD_TOKEN,), None)
    assert RedactSecrets(BAD_TOKEN).filter(record)
    assert BAD_TOKEN not in record.getMessage() and "***" in record.getMessage()
