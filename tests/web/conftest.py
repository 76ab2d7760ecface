"""The public results service on a real port over a real SQLite store, and helpers to fill the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import aiohttp
import pytest

from bot.web.app import ResultsApp, WebOptions, WebServer
from bot.web.links import new_public_id
from db.articles import ArticleStore, NewArticle
from db.database import Database
from db.polls import NewPoll, PollOption, PollStore
from db.public import PublicStore
from tests.conftest import NOW

GUILD = 1001
SCALE = [("Oui", 100.0), ("Plutôt oui", 66.7), ("Plutôt non", 33.3), ("Non", 0.0), ("Sans avis", None)]


@dataclass
class Seeded:
    poll_id: int
    public_id: str | None
    article_id: int | None = None
    article_public_id: str | None = None
    extra: dict[str, int] = field(default_factory=dict)


async def enable(db: Database, guild: int = GUILD, **changes: object) -> None:
    """Turn publishing on for a server (with optional opinions / origins)."""
    async with db.transaction() as conn:
        store = PublicStore(conn)
        current = await store.settings(guild)
        await store.save_settings(replace(current, **{"enabled": True, **changes}), NOW)  # type: ignore[arg-type]


async def seed_poll(
    db: Database,
    votes: dict[int, int] | None = None,
    *,
    question: str = "Trainium 2 est-il crédible ?",
    publish: bool = True,
    guild: int = GUILD,
    with_article: bool = False,
    closes_in: timedelta = timedelta(days=7),
    labels: list[tuple[str, float | None]] | None = None,
) -> Seeded:
    """A poll with `votes` {position: count} from distinct voters, optionally published (with its article)."""
    answers = labels or SCALE
    async with db.transaction() as conn:
        article_id = None
        if with_article:
            article = await ArticleStore(conn).create(
                NewArticle(
                    guild_id=guild,
                    content_hash=new_public_id().ljust(64, "0")[:64],
                    title="Une puce maison pour l'IA",
                    summary="Un résumé court.",
                    opinion_prompt="Votre avis ?",
                    posted_by=7,
                    created_at=NOW,
                    url=f"https://journal.example/{new_public_id()}",
                    site_name="Le Journal",
                )
            )
            article_id = article.id
        poll = await PollStore(conn).create(
            NewPoll(
                guild_id=guild,
                question=question,
                kind="scale" if labels is None else "choice",
                options=[PollOption(i, label, score) for i, (label, score) in enumerate(answers)],
                created_by=7,
                created_at=NOW,
                closes_at=NOW + closes_in,
                article_id=article_id,
            )
        )
        voter = 0
        for position, count in (votes or {}).items():
            for _ in range(count):
                voter += 1
                await PollStore(conn).add_vote(poll.id, f"voter-{voter}", position, NOW + timedelta(minutes=voter))
        public_id = article_public_id = None
        if publish:
            public = PublicStore(conn)
            public_id = (await public.publish("poll", poll.id, guild, new_public_id(), NOW)).public_id
            if article_id is not None:
                link = await public.publish("article", article_id, guild, new_public_id(), NOW)
                article_public_id = link.public_id
    return Seeded(poll.id, public_id, article_id, article_public_id)


@dataclass
class Served:
    base: str
    http: aiohttp.ClientSession
    app: ResultsApp

    async def get(self, path: str, **kwargs: object) -> aiohttp.ClientResponse:
        response = await self.http.get(self.base + path, allow_redirects=False, **kwargs)  # type: ignore[arg-type]
        await response.read()
        return response


@pytest.fixture
def web_clock() -> Callable[[], datetime]:
    return lambda: NOW + timedelta(hours=1)


@pytest.fixture
async def serve(db: Database, web_clock: Callable[[], datetime]) -> AsyncIterator[Callable[..., object]]:
    """`served = await serve(**WebOptions fields)`: the app listening on 127.0.0.1, a client session for it."""
    started: list[tuple[WebServer, aiohttp.ClientSession]] = []

    async def start(**options: object) -> Served:
        options.setdefault("cache_seconds", 0.0)
        results = ResultsApp(db, web_clock, WebOptions(**options))  # type: ignore[arg-type]
        server = WebServer(results, "127.0.0.1", 0)
        await server.start()
        session = aiohttp.ClientSession()
        started.append((server, session))
        return Served(server.base_url, session, results)

    yield start
    for server, session in started:
        await session.close()
        await server.stop()
