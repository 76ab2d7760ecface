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

The real bot reads its settings from the child's environment, as ``python -m bot`` does: ``env`` adds
variables to it (``{"TRIBUNE_WEB_PORT": "8123"}`` serves the public results in the bot's process); the
machine's own Discord, Tribune and database variables are left out, so only the bench configures the bot.

The child's READY line carries its start-up clock: ``building`` (CLOCK_MONOTONIC, which every process of
the machine shares, when it began building the bot, its modules imported), ``connected`` (READY and the
guilds received) and ``imported_kib`` (its VmRSS before the bot was built). ``sync=False`` leaves the slash
commands unsynced, as a restart of the real bot does, so READY follows the connection at once.

The child reads commands on stdin: ``profile`` starts cProfile, ``dump PATH`` stops it and writes the
stats; end of input closes the bot cleanly and exits.

Run as ``python -m bench.process KIND API_URL GATEWAY_URL TOKEN DB_PATH STACK [--no-sync]`` (that is the child).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
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
# The machine's own configuration, which must not reach a child the bench configures itself.
CONFIGURATION_PREFIXES = ("DISCORD_", "TRIBUNE_", "DATABASE_")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process the bench starts: its own, without the machine's Discord, Tribune and
    database variables, with the repository importable, plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(CONFIGURATION_PREFIXES)}
    return {**env, "PYTHONPATH": str(REPO_ROOT), **(extra or {})}


class ChildFailed(RuntimeError):
    """The bot process exited or logged an error: the run is void."""


@dataclass
class BotProcess:
    """A running child bot: its pid, what it printed on stderr, and its resources read from /proc."""

    kind: Kind
    stack: Stack
    process: asyncio.subprocess.Process
    log: Path
    spawned: float  # CLOCK_MONOTONIC just before the child was spawned
    ready_line: str = ""
    details: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def building(self) -> float:
        """CLOCK_MONOTONIC when the child began building the bot (interpreter up, modules imported)."""
        return float(self.details["building"])

    @property
    def connected(self) -> float:
        """CLOCK_MONOTONIC when the child's bot was connected: READY and its guilds received."""
        return float(self.details["connected"])

    @property
    def imported_kib(self) -> int:
        """The child's VmRSS once its modules were imported, before the bot was built."""
        return int(self.details["imported_kib"])

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
    emu: DiscordEmulator,
    kind: Kind,
    db_path: Path,
    *,
    stack: Stack = "speed",
    env: dict[str, str] | None = None,
    sync: bool = True,
) -> AsyncIterator[BotProcess]:
    """Start the ``kind`` bot as a child process on ``emu``, yield once it is ready (commands synced unless
    ``sync=False``). ``env``: variables added to the child's environment, the real bot's settings among them.

    On exit the child is stopped; a child that logged an error voids the run (``ChildFailed``).
    """
    # The child's stderr goes to a file: a pipe nobody reads would block it once full.
    err = tempfile.NamedTemporaryFile(prefix=f"tribune-{kind}-", suffix=".log", delete=False)
    log = Path(err.name)
    try:
        spawned = time.monotonic()
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
            *([] if sync else ["--no-sync"]),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env=child_env(env),
        )
        err.close()
        child = BotProcess(kind, stack, process, log, spawned)
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


def bot_builder(kind: Kind, db_path: str) -> Callable[[], Any]:
    """What builds the ``kind`` bot, its modules imported (as the entry point has them before it builds one)."""
    if kind == "ack":
        from bench.votes import AckOnlyBot

        return AckOnlyBot
    import bot.client  # noqa: F401  (what ``python -m bot`` imports before it builds Tribune)
    from bench.common import make_tribune

    return lambda: make_tribune(Path(db_path), environ=os.environ)


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


async def event_handlers_done() -> None:
    """Wait (a while at most) for the bot's event handlers still running, such as its ``on_ready`` work.

    A bench may stop the bot milliseconds after READY (``startup`` does), and ``Tribune.close()`` closes the
    store under a listener still reading it, which logs an error and would void the run; what is measured is
    not the shutdown. discord.py names the task of each handler it runs ``discord.py: on_…``.
    """
    running = [task for task in asyncio.all_tasks() if task.get_name().startswith("discord.py: ")]
    if running:
        await asyncio.wait(running, timeout=STOP_TIMEOUT / 3)


async def child_main(args: argparse.Namespace) -> None:
    import discord
    import discord.gateway
    import discord.http
    import yarl

    from bench.common import quiet_logs, rss_kib

    quiet_logs()
    discord.http.Route.BASE = args.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway_url)
    build = bot_builder(args.kind, args.db_path)
    imported_kib = rss_kib()
    building = time.monotonic()
    bot = build()
    bot._connection.guild_ready_timeout = 0.05
    async with bot:
        runner = asyncio.create_task(bot.start(args.token), name="bot-start")
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()  # raises what stopped the bot
            raise RuntimeError("bot.start() returned before READY")
        connected = time.monotonic()
        if getattr(bot, "failed_extensions", None):
            raise RuntimeError(f"extensions failed to load: {bot.failed_extensions}")
        if args.kind == "tribune" and args.sync:
            await bot.tree.sync()
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
        json_module = "orjson" if discord.utils.HAS_ORJSON else "json"
        compression = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
        print(
            f"READY loop={loop} json={json_module} gateway={compression} pid={os.getpid()} "
            f"building={building:.6f} connected={connected:.6f} imported_kib={imported_kib}",
            flush=True,
        )
        await serve_commands(bot)
        await event_handlers_done()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.process", description="the bot process of a benchmark")
    parser.add_argument("kind", choices=("tribune", "ack"))
    for name in ("api_url", "gateway_url", "token", "db_path"):
        parser.add_argument(name)
    parser.add_argument("stack", choices=STACKS)
    parser.add_argument("--no-sync", dest="sync", action="store_false", help="do not sync the slash commands")
    args = parser.parse_args(argv)
    if args.stack == "stock":
        hide_modules(STOCK_HIDDEN)
        asyncio.run(child_main(args))
        return
    from bot.__main__ import run_async

    run_async(child_main(args))


if __name__ == "__main__":
    child(sys.argv[1:])
