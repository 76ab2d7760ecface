"""bench/process.py: a bot in a child process on the test's emulator, on either runtime stack, and stopped cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.process import STACKS, Stack, bot_process
from tests.discord_emulator import DiscordEmulator

EXPECTED = {
    "stock": {"loop": "asyncio", "json": "json", "gateway": "zlib-stream"},
    "speed": {"loop": "uvloop", "json": "orjson", "gateway": "zstd-stream"},
}


@pytest.mark.parametrize("stack", STACKS)
async def test_the_ack_only_bot_answers_a_click_from_its_own_process(
    emulator: DiscordEmulator, tmp_path: Path, stack: Stack
) -> None:
    button = {"type": 2, "style": 2, "label": "Oui", "custom_id": "bench:ack:0"}
    message = emulator.add_message("general", content="?", components=[{"type": 1, "components": [button]}])
    async with bot_process(emulator, "ack", tmp_path / "unused.db", stack=stack) as bot:
        assert {k: bot.details[k] for k in EXPECTED[stack]} == EXPECTED[stack]
        assert int(bot.details["pid"]) == bot.pid
        assert bot.spawned < bot.building <= bot.connected  # one CLOCK_MONOTONIC for both processes
        assert 10_000 < bot.imported_kib
        record = await emulator.click(emulator.members["alice"], message, "Oui")
        response = await record.wait_response(timeout=10)
        assert response.type == 4 and record.ephemeral
        assert bot.rss_kib() > 10_000 and bot.cpu_seconds() > 0
    assert bot.process.returncode == 0  # end of stdin closed the bot and the process exited on its own
