"""Figure 6: the public results JSON of one hot poll while 10,000 votes land on it.

The real bot on the emulator takes a burst of 10,000 votes on one published poll (200 clicks in flight, as in
the `tally` group) while a load client in its own process GETs the poll's `/p/{id}.json` in a loop over 4
keep-alive connections. Two deployments: the web service in its own process (`python -m bot web` on the same
SQLite file), and in the bot's process (`TRIBUNE_WEB_PORT`: its own thread, event loop and store connections,
but the same interpreter, so the same GIL as the bot and, here, the emulator). Measured by the client
(CLOCK_MONOTONIC, shared by the processes): requests/s and latency of the responses sent during the burst,
non-200 answers, and the delay from the last vote's acknowledgement to the first response showing all 10,000
voters.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_SECRET,
    POLL_LABELS_FR,
    REPO_ROOT,
    Figure,
    GroupResult,
    check_emulator,
    create_poll,
    percentile,
    timed_group,
)

NAME = "web"
VOTES = 10_000
IN_FLIGHT = 200
CONNECTIONS = 4
REPS = 2
P99_CEILING_MS = 20.0
MODES = ("apart", "in-process")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRIBUNE_", "DATABASE_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), TRIBUNE_LOG_LEVEL="WARNING", **extra)
    return env


async def burst_once(tmp: Path, mode: str) -> dict[str, float]:
    from bot.client import Tribune
    from bot.settings import Settings
    from db.database import Database
    from db.polls import PollStore
    from tests.discord_emulator import DiscordEmulator, connect_bot, gather_limited, sync_commands

    db_path = tmp / "tribune.db"
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "TRIBUNE_WEB_RATE": "0"}
    if mode == "in-process":
        env["TRIBUNE_WEB_PORT"] = "0"
    settings = Settings.from_env(env)
    server: asyncio.subprocess.Process | None = None
    client: asyncio.subprocess.Process | None = None
    async with DiscordEmulator() as emu:
        bot = Tribune(settings, Database(settings.database), secret=BENCH_SECRET)
        async with connect_bot(emu, bot):
            await sync_commands(bot)
            message = await create_poll(emu, "Le web tient-il la rafale ?")
            await (await emu.invoke(emu.members["mod"], "settings publish-results", state="on")).wait_reply()
            async with bot.db.read() as conn:
                poll = await PollStore(conn).by_message(message.id)
            assert poll is not None
            poll_id = poll.id
            reply = await (await emu.invoke(emu.members["mod"], "poll publish", poll=poll_id)).wait_reply()
            public_id = re.search(r"/p/([A-Za-z0-9_-]+)\.json", reply.content or "").group(1)  # type: ignore[union-attr]
            if mode == "apart":
                port = free_port()
                server = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "web",
                    cwd=tmp,
                    stdout=asyncio.subprocess.PIPE,
                    env=child_env(
                        DATABASE_URL=f"sqlite:///{db_path}", TRIBUNE_WEB_PORT=str(port), TRIBUNE_WEB_RATE="0"
                    ),
                )
                assert server.stdout is not None
                await asyncio.wait_for(server.stdout.readline(), timeout=30)
                base = f"http://127.0.0.1:{port}"
            else:
                assert bot.web is not None
                base = bot.web.base_url
            client = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.web_client",
                f"{base}/p/{public_id}.json",
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

            burst_start = time.monotonic()
            acks = await gather_limited([click(i, m) for i, m in enumerate(members)], limit=IN_FLIGHT)
            burst_end = time.monotonic()
            last_ack = max(acks)
            await asyncio.sleep(3.0)  # long enough for the final tally to reach the JSON
            out, _ = await asyncio.wait_for(client.communicate(b""), timeout=30)  # closing stdin stops it
            if server is not None:
                server.terminate()
                await server.wait()
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
        ]
    notes = [
        f"{REPS} bursts per deployment (fresh emulator, bot and store each); {VOTES:,} votes, {IN_FLIGHT} clicks in "
        f"flight; the load client runs {CONNECTIONS} keep-alive connections in its own process; rate limit off "
        "(TRIBUNE_WEB_RATE=0) since every request comes from one address.",
        "Latency is the client's: request sent → body read. Only responses sent between the first and the last "
        "click of the burst count for requests/s and percentiles.",
        "The service reads a hot poll from the store at most once per second (its cache); apart it re-checks "
        "on every request that the poll is still published (one indexed lookup), beside the bot it trusts "
        "its cache (min(1 s, edit interval)) and the bot invalidates it when publishing changes.",
        "In the bot's process the service has its own thread and event loop but shares the GIL with the bot and, "
        "in this harness, with the emulator that plays Discord; both saturate the CPU during the burst, which is "
        "what its p99 measures. Apart, three processes (bot with emulator, web service, load client) share the "
        "2 cores. Deployments that expect heavy traffic should run the service apart.",
        "`last ack → JSON` can be negative: a vote is committed before its click is acknowledged, so the JSON "
        "may show it before the emulator records the acknowledgement.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
