"""The public results service: an aiohttp application over the store, safe by default.

Only published items answer; everything else is the same 404. No static files, no listing, strict
headers on every response, a per-IP rate limit, JSON with CORS for each server's allowed origins only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.polls.tally import compute_tally
from bot.polls.visibility import visible_tally
from bot.settings import Settings
from bot.web.links import PUBLIC_ID_PATTERN, poll_urls
from bot.web.pages import (
    STYLE_HASH,
    PublicArticle,
    PublicOpinion,
    PublicPoll,
    article_page,
    not_found_page,
    poll_json,
    poll_page,
)
from db.articles import ArticleStore
from db.database import Database
from db.guild_settings import GuildSettingsStore
from db.location import DatabaseLocation
from db.opinions import OpinionStore
from db.polls import Poll, PollStore
from db.public import PublicSettings, PublicStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPINIONS_SHOWN = 3
CACHE_LIMIT = 2048  # entries; random ids that miss are never cached, so this bounds hot items only
RATE_TABLE_LIMIT = 50_000


@dataclass(frozen=True)
class WebOptions:
    public_url: str | None = None  # how visitors reach the service (links, JSON); else the request's origin
    cache_seconds: float = 1.0  # a hot poll is read from the store at most this often
    refresh_seconds: int = 15  # open polls' pages reload themselves this often
    rate_per_minute: float = 120.0  # per visitor IP, with a burst of the same size; 0: no limit
    behind_proxy: bool = False  # trust X-Forwarded-For from the reverse proxy
    # Apart from the bot nobody tells the service about a withdrawal, so every cache hit re-checks that the
    # item is still published. Beside the bot, the bot calls `invalidate()` instead and hits cost nothing.
    recheck_cached: bool = True


@dataclass(frozen=True)
class Published:
    """A loaded item with what its page needs: language, time zone, and the server's web settings."""

    poll: PublicPoll | None
    article: PublicArticle | None
    language: str
    timezone: str
    public: PublicSettings


class ResultsReader:
    """Builds public view models from the store, caching each item for a short while."""

    def __init__(self, db: Database, clock: Clock, cache_seconds: float, recheck_cached: bool = True) -> None:
        self.db, self.clock, self.cache_seconds, self.recheck_cached = db, clock, cache_seconds, recheck_cached
        self._cache: dict[tuple[str, str], tuple[float, Published]] = {}
        self._generation = 0

    def invalidate(self) -> None:
        """Forget every cached item (something was published, withdrawn or switched off). Thread-safe."""
        self._generation += 1  # a read that started before this call must not refill the cache
        self._cache.clear()

    async def get(self, kind: str, public_id: str) -> Published | None:
        key = (kind, public_id)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.cache_seconds:
            if not self.recheck_cached:
                return hit[1]
            # Counts may be a moment old; a withdrawal may not: it answers 404 at once.
            async with self.db.read() as conn:
                if await PublicStore(conn).is_live(public_id, kind):
                    return hit[1]
            self._cache.pop(key, None)
            return None
        generation = self._generation
        found = await (self._poll(public_id) if kind == "poll" else self._article(public_id))
        if found is None:
            self._cache.pop(key, None)
            return None
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        if generation == self._generation:
            self._cache[key] = (now, found)
        return found

    async def _public_poll(self, store: PollStore, public: PublicStore, poll: Poll, public_id: str) -> PublicPoll:
        counts = await store.counts(poll.id)
        last_vote = await public.last_vote_at(poll.id)
        now = self.clock()
        # The deadline holds even before the bot's loop has closed the poll.
        status = "closed" if poll.status != "open" or poll.closes_at <= now else "open"
        tally = compute_tally(poll.options, counts.per_option, counts.voters)
        shown = visible_tally(
            tally,
            status=status,
            closes_at=poll.closes_at,
            now=now,
            mode=poll.results_visibility,
            published=poll.results_published,
        )
        updated = max(m for m in (poll.created_at, poll.closed_at, last_vote) if m is not None)
        return PublicPoll(
            public_id=public_id,
            question=poll.question,
            kind=poll.kind,
            multiple=poll.multiple,
            status=status,
            deadline=poll.closes_at,
            closed_at=poll.closed_at,
            updated_at=updated,
            tally=shown,
        )

    async def _poll(self, public_id: str) -> Published | None:
        async with self.db.read() as conn:
            public = PublicStore(conn)
            link = await public.resolve(public_id, "poll")
            if link is None:
                return None
            settings = await public.settings(link.guild_id)
            store = PollStore(conn)
            poll = await store.get(link.item_id)
            if not settings.enabled or poll is None or poll.status == "deleted" or poll.guild_id != link.guild_id:
                return None
            built = await self._public_poll(store, public, poll, public_id)
            guild = await GuildSettingsStore(conn).get(link.guild_id)
        return Published(built, None, guild.language, guild.timezone, settings)

    async def _article(self, public_id: str) -> Published | None:
        async with self.db.read() as conn:
            public = PublicStore(conn)
            link = await public.resolve(public_id, "article")
            if link is None:
                return None
            settings = await public.settings(link.guild_id)
            article = await ArticleStore(conn).get(link.item_id)
            if not settings.enabled or article is None or article.guild_id != link.guild_id:
                return None
            store = PollStore(conn)
            polls = []
            for poll_link in await public.published_polls_of_article(article.id):
                poll = await store.get(poll_link.item_id)
                if poll is not None:
                    polls.append(await self._public_poll(store, public, poll, poll_link.public_id))
            opinions = None
            if settings.show_opinions:
                # most_useful never returns hidden opinions; deleted ones are gone from the store.
                found = await OpinionStore(conn).most_useful(article.id, limit=OPINIONS_SHOWN)
                opinions = tuple(PublicOpinion(o.text, o.useful) for o in found if not o.hidden)
            guild = await GuildSettingsStore(conn).get(link.guild_id)
        built = PublicArticle(public_id, article.title, article.url, article.site_name, tuple(polls), opinions)
        return Published(None, built, guild.language, guild.timezone, settings)


class RateLimiter:
    """A token bucket per client address: `rate_per_minute` sustained, the same number as burst."""

    def __init__(self, rate_per_minute: float) -> None:
        self.capacity = rate_per_minute
        self.per_second = rate_per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str) -> float:
        """0 when the request may go on, else the seconds to wait."""
        now = time.monotonic()
        tokens, last = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.per_second
        if len(self._buckets) >= RATE_TABLE_LIMIT:
            self._buckets.clear()  # a flood of addresses: forget them all rather than grow without bound
        self._buckets[client] = (tokens - 1, now)
        return 0.0


def client_address(request: web.Request, behind_proxy: bool) -> str:
    if behind_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()  # the address the proxy itself saw
    return request.remote or "?"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(request: web.Request, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in wanted.split(",") if tag.strip())


def csp(frame_ancestors: str) -> str:
    return (
        f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'self'; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors {frame_ancestors}"
    )


class ResultsApp:
    """Routes and policies; `build()` returns the aiohttp application."""

    def __init__(self, db: Database, clock: Clock, options: WebOptions | None = None) -> None:
        self.options = options or WebOptions()
        self.reader = ResultsReader(db, clock, self.options.cache_seconds, self.options.recheck_cached)
        self.limiter = RateLimiter(self.options.rate_per_minute)

    def build(self) -> web.Application:
        app = web.Application(middlewares=[self.rate_limit, self.not_found])
        pid = f"{{public_id:{PUBLIC_ID_PATTERN}}}"
        app.router.add_get(f"/p/{pid}.json", self.poll_json, allow_head=True)
        app.router.add_get(f"/p/{pid}/embed", self.poll_embed, allow_head=True)
        app.router.add_get(f"/p/{pid}", self.poll_page, allow_head=True)
        app.router.add_get(f"/a/{pid}", self.article_page, allow_head=True)
        app.on_response_prepare.append(self.strict_headers)
        return app

    # --- policies --------------------------------------------------------------------------------------

    @web.middleware
    async def rate_limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        wait = self.options.rate_per_minute and self.limiter.allow(client_address(request, self.options.behind_proxy))
        if wait:
            return web.Response(
                status=429, text="429 Too Many Requests\n", headers={"Retry-After": str(max(1, round(wait)))}
            )
        return await handler(request)

    @web.middleware
    async def not_found(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """One 404 for unknown routes, unknown ids and unpublished items: nothing tells them apart."""
        try:
            return await handler(request)
        except web.HTTPNotFound:
            if request.path.endswith(".json"):
                return web.json_response({"error": "not_found"}, status=404)
            return web.Response(status=404, text=not_found_page("fr"), content_type="text/html")

    async def strict_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Server"] = "Tribune"
        headers.setdefault("Content-Security-Policy", csp("'none'"))
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers["X-Frame-Options"] = "DENY"
        headers.setdefault("Cache-Control", "no-cache")

    # --- handlers --------------------------------------------------------------------------------------

    def base_url(self, request: web.Request) -> str:
        return self.options.public_url or str(request.url.origin())

    async def load(self, kind: str, request: web.Request) -> Published:
        found = await self.reader.get(kind, request.match_info["public_id"])
        if found is None:
            raise web.HTTPNotFound()
        return found

    def respond(
        self, request: web.Request, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """Send `body` with an ETag, or 304 when the visitor already has it (auto-refresh costs ~nothing)."""
        data = body.encode()
        etag = etag_of(data)
        all_headers = {"ETag": etag, **(headers or {})}
        if not_modified(request, etag):
            return web.Response(status=304, headers=all_headers)
        return web.Response(body=data, content_type=content_type, charset="utf-8", headers=all_headers)

    async def poll_json(self, request: web.Request) -> web.Response:
        found = await self.load("poll", request)
        assert found.poll is not None
        document = poll_json(found.poll, poll_urls(self.base_url(request), found.poll.public_id))
        headers = {"Vary": "Origin"}
        origin = request.headers.get("Origin")
        if origin and origin.rstrip("/").lower() in found.public.embed_origins:
            headers["Access-Control-Allow-Origin"] = origin
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        return self.respond(request, body, "application/json", headers)

    async def poll_page(self, request: web.Request) -> web.Response:
        found = await self.load("poll", request)
        assert found.poll is not None
        page = poll_page(found.poll, found.language, found.timezone, refresh_seconds=self.options.refresh_seconds)
        return self.respond(request, page, "text/html")

    async def poll_embed(self, request: web.Request) -> web.Response:
        found = await self.load("poll", request)
        assert found.poll is not None
        page = poll_page(
            found.poll, found.language, found.timezone, refresh_seconds=self.options.refresh_seconds, chrome=False
        )
        ancestors = " ".join(found.public.embed_origins) or "'none'"
        return self.respond(request, page, "text/html", {"Content-Security-Policy": csp(ancestors)})

    async def article_page(self, request: web.Request) -> web.Response:
        found = await self.load("article", request)
        assert found.article is not None
        page = article_page(found.article, found.language, found.timezone, refresh_seconds=self.options.refresh_seconds)
        return self.respond(request, page, "text/html")


class WebServer:
    """The application bound to a host and port, started and stopped with whoever owns the store."""

    def __init__(self, results: ResultsApp, host: str, port: int, public_url: str | None = None) -> None:
        self.results, self.app = results, results.build()
        self.host, self.port, self.public_url = host, port, public_url
        self._runner: web.AppRunner | None = None

    def invalidate(self) -> None:
        """Publishing changed: the next request reads the store again."""
        self.results.reader.invalidate()

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])  # port 0 asks the OS for a free one (tests)
        log.info("Public results on http://%s:%d (links use %s)", self.host, self.port, self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class ThreadedWebServer:
    """The service on a thread with its own event loop and its own connections to the same store.

    In the bot's process a burst of votes keeps the bot's loop busy; pages and JSON must not queue behind it.
    Reads go through the thread's own SQLite reader (WAL snapshots), so they never wait for the bot either.
    """

    def __init__(
        self,
        location: DatabaseLocation,
        build: Callable[[Database], ResultsApp],
        host: str,
        port: int,
        public_url: str | None = None,
    ) -> None:
        self.location, self.build = location, build
        self.host, self.port, self.public_url = host, port, public_url
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._server: WebServer | None = None

    def invalidate(self) -> None:
        """Publishing changed: the next request reads the store again (called from the bot's thread)."""
        if self._server is not None:
            self._server.invalidate()

    async def start(self) -> None:
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="tribune-web", daemon=True)
        self._thread.start()
        await asyncio.wrap_future(ready)  # a port in use or an unreadable store is raised here

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve(ready))
        finally:
            self._loop.close()

    async def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        self._stop = asyncio.Event()
        db = Database(self.location)
        try:
            await db.connect()
            server = WebServer(self.build(db), self.host, self.port, self.public_url)
            await server.start()
        except BaseException as exc:
            await db.close()
            ready.set_exception(exc)
            return
        self.port, self._server = server.port, server
        ready.set_result(None)
        try:
            await self._stop.wait()
        finally:
            await server.stop()
            await db.close()

    async def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def web_options(settings: Settings, cache_seconds: float = 1.0, recheck_cached: bool = True) -> WebOptions:
    return WebOptions(
        public_url=settings.public_url,
        cache_seconds=cache_seconds,
        rate_per_minute=settings.web_rate_per_minute,
        behind_proxy=settings.web_behind_proxy,
        recheck_cached=recheck_cached,
    )


def web_server(
    db: Database, clock: Clock, settings: Settings, cache_seconds: float = 1.0, recheck_cached: bool = True
) -> WebServer:
    """The service as configured by `TRIBUNE_WEB_*` and `TRIBUNE_PUBLIC_URL`, on the caller's event loop."""
    results = ResultsApp(db, clock, web_options(settings, cache_seconds, recheck_cached))
    return WebServer(results, settings.web_host, settings.web_port or 0, settings.public_url)


def web_beside_the_bot(
    db: Database, clock: Clock, settings: Settings, cache_seconds: float = 1.0
) -> WebServer | ThreadedWebServer:
    """The service the bot starts: on its own thread over the same file (an in-memory store cannot be
    shared between connections of two loops, so it stays on the bot's loop then)."""
    if db.location.file is None:
        return web_server(db, clock, settings, cache_seconds, recheck_cached=False)
    options = web_options(settings, cache_seconds, recheck_cached=False)
    return ThreadedWebServer(
        db.location,
        lambda own: ResultsApp(own, clock, options),
        settings.web_host,
        settings.web_port or 0,
        settings.public_url,
    )
