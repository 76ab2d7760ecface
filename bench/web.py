"""Figure 6: the public results JSON of one hot poll while 10,000 votes land on it.

The real bot, in a process of its own (bench/process.py, the default stack) on the emulator that stays in the
bench process, takes a burst of 10,000 votes on one published poll (200 clicks in flight, as in the `tally`
group) while a load client in its own process GETs the poll's `/p/{id}.json` in a loop over 4 keep-alive
connections. Two deployments: the web service in its own process (`python -m bot web` on the same SQLite
file), and in the bot's process (`TRIBUNE_WEB_PORT`: its own thread, event loop and store connections, but
the same interpreter, so the same GIL as the bot). Measured by the client (CLOCK_MONOTONIC, shared by the
processes): requests/s and latency of the responses sent during the burst, non-200 answers, and the delay
from the last vote's acknowledgement to the first response showing all 10,000 voters; read from /proc, the
CPU the bot, the emulator and the separate web service used during the burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import (
    POLL_LABELS_FR,
    REPO_ROOT,
    Figure,
    GroupResult,
    check_emulator,
    create_poll,
    percentile,
    timed_group,
)
from bench.process import bot_process, child_env
from bench.shards import own_cpu_seconds

if TYPE_CHECKING:
    from tests.discord_emulator import DiscordEmulator, MessageRecord

NAME = "web"
VOTES = 10_000
IN_FLIGHT = 200
CONNECTIONS = 4
REPS = 2
P99_CEILING_MS = 20.0
MODES = ("apart", "in-process")
# Every request comes from one address: the service's per-address rate limit would answer 429s.
NO_RATE_LIMIT = {"TRIBUNE_WEB_RATE": "0"}
VOTE_ID = re.compile(r"^tribune:vote:(\d+):\d+$")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll_id_of(message: MessageRecord) -> int:
    """The poll a poll message belongs to, read from its vote buttons' custom ids (as Discord holds them)."""
    for button in message.buttons():
        if match := VOTE_ID.match(button.get("custom_id", "")):
            return int(match.group(1))
    raise RuntimeError("the poll message has no vote button")


async def published_json_path(emu: DiscordEmulator, message: MessageRecord) -> str:
    """Turn results publishing on for the server, publish the poll; the path of its public JSON."""
    mod = emu.members["mod"]
    await (await emu.invoke(mod, "settings publish-results", state="on")).wait_reply()
    reply = await (await emu.invoke(mod, "poll publish", poll=poll_id_of(message))).wait_reply()
    found = re.search(r"/p/[A-Za-z0-9_-]+\.json", reply.content or "")
    if found is None:
        raise RuntimeError(f"/poll publish gave no public link: {reply.content!r}")
    return found.group(0)


@contextlib.asynccontextmanager
async def web_apart(db_path: Path, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot web` on the bot's store, serving on ``port`` until the block exits."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "web",
        cwd=db_path.parent,
        stdout=asyncio.subprocess.PIPE,
        env=child_env(
            {
                "DATABASE_URL": f"sqlite:///{db_path}",
                "TRIBUNE_WEB_PORT": str(port),
                "TRIBUNE_LOG_LEVEL": "WARNING",
                **NO_RATE_LIMIT,
            }
        ),
    )
    try:
        assert server.stdout is not None
        await asyncio.wait_for(server.stdout.readline(), timeout=30)  # its first line: serving
        yield server
    finally:
        server.terminate()
        await server.wait()


async def burst_once(tmp: Path, mode: str) -> dict[str, float]:
    from tests.discord_emulator import DiscordEmulator, gather_limited

    db_path = tmp / "tribune.db"
    port = free_port()
    bot_env = {"TRIBUNE_WEB_PORT": str(port), **NO_RATE_LIMIT} if mode == "in-process" else {}
    async with DiscordEmulator() as emu, bot_process(emu, "tribune", db_path, env=bot_env) as bot:
        message = await create_poll(emu, "Le web tient-il la rafale ?")
        url = f"http://127.0.0.1:{port}{await published_json_path(emu, message)}"
        async with contextlib.AsyncExitStack() as stack:
            server = await stack.enter_async_context(web_apart(db_path, port)) if mode == "apart" else None

            def cpu_seconds() -> dict[str, float]:
                """CPU used so far by the bot process, the bench process (the emulator) and the web service apart."""
                web = own_cpu_seconds(server.pid) if server is not None else math.nan
                return {"bot": bot.cpu_seconds(), "emulator": time.process_time(), "web": web}

            client = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.web_client",
                url,
                str(CONNECTIONS),
                cwd=REPO_ROOT,
                env=child_env(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            await asyncio.sleep(1.0)  # the client is up and warm before the first vote
            members = emu.add_members(VOTES, prefix="burst")

            async def click(i: int, member: Any) -> float:
                record = await emu.click(member, message, POLL_LABELS_FR[i % len(POLL_LABELS_FR)])
                response = await record.wait_response(timeout=10)
                return record.created + response.elapsed

            cpu_before = cpu_seconds()
            burst_start = time.monotonic()
            acks = await gather_limited([click(i, m) for i, m in enumerate(members)], limit=IN_FLIGHT)
            burst_end = time.monotonic()
            cpu = {name: used - cpu_before[name] for name, used in cpu_seconds().items()}
            last_ack = max(acks)
            await asyncio.sleep(3.0)  # long enough for the final tally to reach the JSON
            out, _ = await asyncio.wait_for(client.communicate(b""), timeout=30)  # closing stdin stops it
        check_emulator(emu, "web burst")
    samples = json.loads(out)
    during = [s for s in samples if burst_start <= s[0] <= burst_end]
    latencies = [s[1] * 1000.0 for s in during]
    final = [s[0] + s[1] for s in samples if s[3] == VOTES]
    return {
        "rate": len(during) / (burst_end - burst_start),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "errors": float(sum(1 for s in samples if s[2] != 200)),
        "fresh": (min(final) - last_ack) if final else float("inf"),
        "votes_per_s": VOTES / (burst_end - burst_start),
        **{f"{name}_cores": used / (burst_end - burst_start) for name, used in cpu.items()},
    }


async def measure() -> GroupResult:
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="tribune-bench-web-") as name:
        for rep in range(REPS):
            for mode in MODES:
                rep_dir = Path(name) / f"{mode}-{rep}"
                rep_dir.mkdir()
                runs[mode].append(await burst_once(rep_dir, mode))

    figures: list[Figure] = []
    for mode in MODES:

        def col(key: str, mode: str = mode) -> list[float]:
            return [run[key] for run in runs[mode]]

        where = "web apart" if mode == "apart" else "web in the bot's process"
        figures += [
            Figure(NAME, f"{where}: JSON requests/s during the burst", col("rate"), "req/s"),
            Figure(NAME, f"{where}: JSON latency p50", col("p50"), "ms", 1),
            Figure(NAME, f"{where}: JSON latency p99", col("p99"), "ms", 1).judge(
                lambda v: v <= P99_CEILING_MS, f"≤ {P99_CEILING_MS:.0f} ms"
            ),
            Figure(NAME, f"{where}: JSON latency max", col("max"), "ms", 1),
            Figure(NAME, f"{where}: non-200 answers", col("errors"), "").judge(lambda v: v == 0, "0"),
            Figure(NAME, f"{where}: last ack → JSON shows all votes", col("fresh"), "s", 2).judge(
                lambda v: v <= 2.0, "≤ 2 s", on="max"
            ),
            Figure(NAME, f"{where}: votes/s of the burst meanwhile", col("votes_per_s"), "votes/s"),
            Figure(NAME, f"{where}: CPU of the bot process", col("bot_cores"), "cores", 2),
            Figure(NAME, f"{where}: CPU of the emulator (bench process)", col("emulator_cores"), "cores", 2),
        ]
        if mode == "apart":
            figures.append(Figure(NAME, f"{where}: CPU of the web service process", col("web_cores"), "cores", 2))
    notes = [
        f"{REPS} bursts per deployment (fresh emulator, bot process and store each); {VOTES:,} votes, {IN_FLIGHT} "
        f"clicks in flight; the load client runs {CONNECTIONS} keep-alive connections in its own process; rate "
        "limit off (TRIBUNE_WEB_RATE=0) since every request comes from one address.",
        "Latency is the client's: request sent → body read. Only responses sent between the first and the last "
        "click of the burst count for requests/s and percentiles.",
        "The service reads a hot poll from the store at most once per second (its cache); apart it re-checks "
        "on every request that the poll is still published (one indexed lookup), beside the bot it trusts "
        "its cache (min(1 s, edit interval)) and the bot invalidates it when publishing changes.",
        "The bot runs in its own process (bench/process.py, default stack), the emulator that plays Discord in the "
        "bench process. In the bot's process the service has its own thread and event loop but shares the GIL "
        "with the bot. Apart, four processes (emulator, bot, web service, load client) share the 2 cores. "
        "`CPU of …` = a process's utime+stime during the burst ÷ the burst's duration (the bot process's includes "
        "the web service when it runs there; the load client is not counted).",
        "`last ack → JSON` can be negative: a vote is committed before its click is acknowledged, so the JSON "
        "may show it before the emulator records the acknowledgement.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure, harness_on_uvloop=True)


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
