"""Load client of the `web` group, in its own process: GET one URL in a loop over a few keep-alive
connections until its stdin is closed, then print every response's (send time, latency, status, voters)
as JSON on stdout. Times are CLOCK_MONOTONIC, comparable with the bench process."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def worker(http: aiohttp.ClientSession, url: str, stop: asyncio.Event, samples: list[list[float]]) -> None:
    while not stop.is_set():
        sent = time.monotonic()
        async with http.get(url) as response:
            body = await response.read()
        elapsed = time.monotonic() - sent
        voters = json.loads(body).get("voters", -1) if response.status == 200 else -1
        samples.append([sent, elapsed, response.status, voters])


async def main(url: str, connections: int) -> None:
    samples: list[list[float]] = []
    stop = asyncio.Event()

    async def wait_for_eof() -> None:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        stop.set()

    watcher = asyncio.ensure_future(wait_for_eof())
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(worker(http, url, stop, samples) for _ in range(connections)))
    await watcher
    json.dump(samples, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
