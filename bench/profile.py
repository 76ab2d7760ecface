"""``python -m bench.profile [tribune|ack] [speed|stock]``: where the bot's time goes on the vote path.

Runs one vote-path session (bench/votes.py's clicks) with the bot in its own process under cProfile during
the measured clicks, then prints the functions with the most own time and the most cumulative time.
"""

from __future__ import annotations

import asyncio
import pstats
import sys
import tempfile
from pathlib import Path

from bench.common import create_poll, quiet_logs
from bench.process import Kind, Stack, bot_process
from bench.votes import ack_only_copy, drive

TOP = 25


async def profile(kind: Kind, stack: Stack, out: Path) -> None:
    from tests.discord_emulator import DiscordEmulator

    with tempfile.TemporaryDirectory(prefix="tribune-profile-") as name:
        tmp = Path(name)
        async with DiscordEmulator() as emu:
            async with bot_process(emu, "tribune", tmp / "look.db", stack=stack) as bot:
                message = await create_poll(emu, "Trainium 2 : annonce crédible ?")
                look = ack_only_copy(message.embeds, message.components)
                if kind == "tribune":
                    await bot.start_profile()
                    await drive(emu, message, bot)
                    await bot.dump_profile(out)
        if kind == "ack":
            async with DiscordEmulator() as emu:
                async with bot_process(emu, "ack", tmp / "unused.db", stack=stack) as bot:
                    message = emu.add_message("general", embeds=look["embeds"], components=look["components"])
                    await bot.start_profile()
                    await drive(emu, message, bot)
                    await bot.dump_profile(out)


def main(argv: list[str]) -> int:
    kind: Kind = "ack" if "ack" in argv else "tribune"
    stack: Stack = "stock" if "stock" in argv else "speed"
    quiet_logs()
    out = Path(tempfile.gettempdir()) / f"tribune-profile-{kind}-{stack}.pstats"
    asyncio.run(profile(kind, stack, out))
    stats = pstats.Stats(str(out))
    stats.sort_stats("tottime").print_stats(TOP)
    stats.sort_stats("cumulative").print_stats(TOP)
    print(f"stats: {out} (python -m pstats {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
