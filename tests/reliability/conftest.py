"""A hostile website and a trap, both on loopback, for the reliability suite.

The hostile site (127.0.0.1, allow-listed for the fetcher as an intranet would be) serves what a broken or
malicious site would. The trap listens on another loopback address (127.0.0.2) that nothing may reach: it
records every TCP connection, so a redirect, an XML entity or an IP spelling that got through shows up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

TRAP_HOST = "127.0.0.2"
MB = 1024 * 1024


@dataclass
class Trap:
    port: int = 0
    connections: list[tuple[str, int]] = field(default_factory=list)

    def spellings(self) -> list[str]:
        """The same forbidden address written the ways an attacker would (dotted, decimal, hex, short, IPv6)."""
        return [
            f"http://{TRAP_HOST}:{self.port}/",
            f"http://2130706434:{self.port}/",
            f"http://0x7f000002:{self.port}/",
            f"http://0177.0.0.2:{self.port}/",
            f"http://127.2:{self.port}/",
            f"http://[::ffff:127.0.0.2]:{self.port}/",
        ]


@pytest.fixture
async def trap() -> AsyncIterator[Trap]:
    state = Trap()

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections.append(writer.get_extra_info("peername"))
        writer.close()

    server = await asyncio.start_server(record, TRAP_HOST, 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state


@dataclass
class HostileSite:
    base: str = ""
    requests: list[str] = field(default_factory=list)


def _feed(body: str, doctype: str = "") -> str:
    return f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>Flux</title>{body}</channel></rss>'


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return _feed(
        "<item><title>&lol9;</title><link>http://x.invalid/</link></item>", f"<!DOCTYPE r [{''.join(entities)}]>"
    )


@functools.cache
def gzip_bomb_body() -> bytes:
    """40 MB of HTML in about 40 kB of gzip (built once per run: compressing takes a moment)."""
    return gzip.compress(b"<html><body>" + b" " * (40 * MB) + b"</body></html>", compresslevel=9)


@pytest.fixture
async def hostile_site(trap: Trap) -> AsyncIterator[HostileSite]:
    state = HostileSite()
    bomb = gzip_bomb_body()

    async def stream(
        request: web.Request, chunk: bytes, count: int, pause: float, content_type: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            for _ in range(count):
                await response.write(chunk)
                if pause:
                    await asyncio.sleep(pause)
        return response

    async def huge(request: web.Request) -> web.StreamResponse:  # 50 MB, no Content-Length
        return await stream(request, b"<p>" + b"x" * (MB - 7) + b"</p>\n", 50, 0, "text/html")

    async def huge_declared(request: web.Request) -> web.Response:
        return web.Response(body=b"", headers={"Content-Type": "text/html", "Content-Length": str(50 * MB)})

    async def gzip_bomb(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})

    async def slow(request: web.Request) -> web.StreamResponse:  # one byte a second
        return await stream(request, b"x", 120, 1.0, "text/html; charset=utf-8")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def typed(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        bodies = {
            "pdf": (b"%PDF-1.4\n" + bytes(range(256)) * 20, "application/pdf"),
            "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "image/png"),
            "zip": (b"PK\x03\x04" + bytes(range(256)) * 20, "application/zip"),
            "charset": (bytes(range(256)) * 40, "text/html; charset=x-unheard-of-99"),
            "broken-feed": (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Coup', "application/rss+xml"),
            "laughs": (billion_laughs().encode(), "application/rss+xml"),
            "xxe": (
                _feed(
                    "<item><title>&xxe;</title><link>http://x.invalid/a</link></item>",
                    f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://{TRAP_HOST}:{trap.port}/xxe">]>',
                ).encode(),
                "application/rss+xml",
            ),
            "xxe-file": (
                _feed(
                    "<item><title>&xxe;</title><link>http://x.invalid/b</link></item>",
                    '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                ).encode(),
                "application/rss+xml",
            ),
        }
        body, content_type = bodies[kind]
        return web.Response(body=body, headers={"Content-Type": content_type})

    @web.middleware
    async def log(request: web.Request, handler):  # type: ignore[no-untyped-def]
        state.requests.append(request.path)
        return await handler(request)

    app = web.Application(middlewares=[log])
    app.router.add_get("/huge", huge)
    app.router.add_get("/huge-declared", huge_declared)
    app.router.add_get("/bomb", gzip_bomb)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/typed/{kind}", typed)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield state
    await runner.cleanup()
