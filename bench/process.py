"""The bot under measurement in a process of its own, connected to the emulator running in the bench process.

Why this split: the benchmarks drive the emulator through its Python API (clicks, waits on callbacks, the
records of every request) and read its figures, so it stays in the bench process; the bot — the real
Tribune or the ack-only bot — gets its own interpreter, event loop, GIL and garbage collector, so that what
is measured is the bot, not the harness walking its records. Its CPU time and RSS are read from /proc.

    async with DiscordEmulator() as emu:
        async with bot_process(emu, "tribune", tmp / "tribune.db", stack="speed") as bot:
            ...  # emu.click(...) as in the e2e tests; bot.rss_kib(), bot.cpu_seconds()

``stack`` picks the runtime the child runs on, from the same install: ``"speed"`` is the default install
(uvloop, orjson, zstd gateway compression); ``"stock"`` is plain discord.py (asyncio's loop, the standard
json module, zlib-stream), obtained by hiding those modules from the child before discord is imported.

The child reads commands on stdin: ``profile`` starts cProfile, ``dump PATH`` stops it and writes the
stats; end of input closes the bot cleanly and exits.

Run as ``python -m bench.process KIND API_URL GATEWAY_URL TOKEN DB_PATH STACK`` (that is the child).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tests.discord_emulator import DiscordEmulator

REPO_ROOT = Path(__file__).resolve().parent.parent
Kind = Literal["tribune", "ack"]
Stack = Literal["speed", "stock"]
STACKS: tuple[Stack, ...] = ("stock", "speed")
# Modules whose absence gives plain discord.py: json instead of orjson, zlib-stream instead of zstd-stream.
STOCK_HIDDEN = ("orjson", "zstandard", "uvloop", "aiodns", "brotli")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class ChildFailed(RuntimeError):
    """The bot process exited or logged an error: the run is void."""


@dataclass
class BotProcess:
    """A running child bot: its pid, what it printed on stderr, and its resources read from /proc."""

    kind: Kind
    stack: Stack
    process: asyncio.subprocess.Process
    log: Path
    ready_line: str = ""
    details: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        """Resident memory of the bot process now (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise ChildFailed("no VmRSS for the bot process")

    def cpu_seconds(self) -> float:
        """User + system CPU time the bot process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15 of stat)

    async def command(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()
        await self._expect("OK")

    async def start_profile(self) -> None:
        await self.command("profile")

    async def dump_profile(self, path: Path) -> None:
        await self.command(f"dump {path}")

    def errors(self) -> list[str]:
        """ERROR and CRITICAL lines the child logged (discord.py swallows callback errors into logs)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line or "Traceback" in line]

    async def _expect(self, expected: str) -> str:
        assert self.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT)
            if not raw:
                await self.process.wait()
                tail = self.log.read_text(errors="replace")[-3000:]
                raise ChildFailed(f"the {self.kind} bot exited ({self.process.returncode}) before {expected}:\n{tail}")
            line = raw.decode().strip()
            if line.startswith(expected):
                return line

    async def stop(self) -> None:
        """Close stdin (the child closes its bot cleanly), wait; kill it if it does not exit in time."""
        if self.process.returncode is not None:
            return
        assert self.process.stdin is not None
        with contextlib.suppress(ConnectionError):
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise ChildFailed(f"the {self.kind} bot did not exit within {STOP_TIMEOUT:.0f} s") from None


@contextlib.asynccontextmanager
async def bot_process(
    emu: DiscordEmulator, kind: Kind, db_path: Path, *, stack: Stack = "speed", env: dict[str, str] | None = None
) -> AsyncIterator[BotProcess]:
    """Start the ``kind`` bot as a child process on ``emu``, yield once it is ready (commands synced).

    On exit the child is stopped; a child that logged an error voids the run (``ChildFailed``).
    """
    # The child's stderr goes to a file: a pipe nobody reads would block it once full.
    err = tempfile.NamedTemporaryFile(prefix=f"tribune-{kind}-", suffix=".log", delete=False)
    log = Path(err.name)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.process",
            kind,
            emu.api_url,
            emu.gateway_url,
            emu.token,
            str(db_path),
            stack,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        )
        err.close()
        child = BotProcess(kind, stack, process, log)
        try:
            child.ready_line = await child._expect("READY")
            child.details = dict(part.split("=", 1) for part in child.ready_line.split()[1:])
            yield child
        finally:
            await child.stop()
        errors = child.errors()
        if errors:
            raise ChildFailed(f"the {kind} bot logged {len(errors)} error line(s): {errors[:3]}")
    finally:
        err.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(err.name)


# --- the child ------------------------------------------------------------------------------------------


def hide_modules(names: tuple[str, ...]) -> None:
    """Make ``import name`` fail for each name, as on an install without it (before discord is imported)."""
    for name in names:
        sys.modules[name] = None  # type: ignore[assignment]


def build_bot(kind: Kind, db_path: str) -> Any:
    if kind == "ack":
        from bench.votes import AckOnlyBot

        return AckOnlyBot()
    from bench.common import make_tribune

    return make_tribune(Path(db_path))


async def serve_commands(bot: Any) -> None:
    """Answer the parent's stdin commands until end of input."""
    import cProfile

    profiler: cProfile.Profile | None = None
    while True:
        line = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if not line:
            return
        verb, _, argument = line.partition(" ")
        if verb == "profile":
            profiler = cProfile.Profile()
            profiler.enable()
        elif verb == "dump" and profiler is not None:
            profiler.disable()
            profiler.dump_stats(argument)
            profiler = None
        print("OK", flush=True)


async def child_main(kind: Kind, api_url: str, gateway_url: str, token: str, db_path: str, stack: Stack) -> None:
    import discord
    import discord.gateway
    import discord.http
    import yarl

    from bench.common import quiet_logs

    quiet_logs()
    discord.http.Route.BASE = api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    bot = build_bot(kind, db_path)
    bot._connection.guild_ready_timeout = 0.05
    async with bot:
        runner = asyncio.create_task(bot.start(token), name="bot-start")
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()  # raises what stopped the bot
            raise RuntimeError("bot.start() returned before READY")
        if getattr(bot, "failed_extensions", None):
            raise RuntimeError(f"extensions failed to load: {bot.failed_extensions}")
        if kind == "tribune":
            await bot.tree.sync()
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
        json_module = "orjson" if discord.utils.HAS_ORJSON else "json"
        compression = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
        print(f"READY loop={loop} json={json_module} gateway={compression} pid={os.getpid()}", flush=True)
        await serve_commands(bot)
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


def child(argv: list[str]) -> None:
    kind, api_url, gateway_url, token, db_path, stack = argv
    if stack not in STACKS or kind not in ("tribune", "ack"):
        raise SystemExit(f"usage: python -m bench.process tribune|ack API GATEWAY TOKEN DB {'|'.join(STACKS)}")
    if stack == "stock":
        hide_modules(STOCK_HIDDEN)
        asyncio.run(child_main(kind, api_url, gateway_url, token, db_path, stack))  # type: ignore[arg-type]
        return
    from bot.__main__ import run_async

    run_async(child_main(kind, api_url, gateway_url, token, db_path, stack))  # type: ignore[arg-type]


if __name__ == "__main__":
    child(sys.argv[1:])
