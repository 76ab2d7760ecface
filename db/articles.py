"""Articles posted on a server, with their summary, reader questions and Discord message ids."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from db._rows import to_datetime, to_ts


@dataclass(frozen=True)
class NewArticle:
    guild_id: int
    content_hash: str
    title: str
    summary: str
    opinion_prompt: str
    posted_by: int
    created_at: datetime
    url: str | None = None
    author: str | None = None
    published_at: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    language: str = "fr"
    keywords: list[str] = field(default_factory=list)
    questions: list[dict[str, str]] = field(default_factory=list)
    feed_id: int | None = None
    channel_id: int | None = None  # where the post is being sent (known before its message id)
    post_token: str | None = None  # the post's nonce (see `bot.delivery`)


@dataclass(frozen=True)
class Article:
    id: int
    guild_id: int
    url: str | None
    content_hash: str
    title: str
    author: str | None
    published_at: str | None
    site_name: str | None
    description: str | None
    image_url: str | None
    language: str
    summary: str
    keywords: list[str]
    questions: list[dict[str, str]]
    opinion_prompt: str
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    feed_id: int | None
    posted_by: int
    created_at: datetime
    post_token: str | None = None


def _article(row: aiosqlite.Row) -> Article:
    values = dict(row)
    values["keywords"] = json.loads(values["keywords"])
    values["questions"] = json.loads(values["questions"])
    values["created_at"] = to_datetime(values["created_at"])
    return Article(**values)


class DuplicateArticle(Exception):
    """The server already has this article (same URL or same text)."""

    def __init__(self, existing: Article) -> None:
        super().__init__(f"article already posted as #{existing.id}")
        self.existing = existing


class ArticleStore:
    """Reads and writes `articles`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def find_duplicate(self, guild_id: int, url: str | None, content_hash: str) -> Article | None:
        """The article of this server with the same URL or the same text, if any."""
        async with self.conn.execute(
            "SELECT * FROM articles WHERE guild_id = ? AND (url = ? OR content_hash = ?) ORDER BY id LIMIT 1",
            (guild_id, url, content_hash),
        ) as cur:
            row = await cur.fetchone()
        return _article(row) if row else None

    async def create(self, new: NewArticle) -> Article:
        """Insert an article; raises DuplicateArticle when the URL or text is already there."""
        existing = await self.find_duplicate(new.guild_id, new.url, new.content_hash)
        if existing is not None:
            raise DuplicateArticle(existing)
        async with self.conn.execute(
            "INSERT INTO articles (guild_id, url, content_hash, title, author, published_at, site_name, "
            "description, image_url, language, summary, keywords, questions, opinion_prompt, feed_id, "
            "posted_by, created_at, channel_id, post_token) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                new.guild_id,
                new.url,
                new.content_hash,
                new.title,
                new.author,
                new.published_at,
                new.site_name,
                new.description,
                new.image_url,
                new.language,
                new.summary,
                json.dumps(new.keywords, ensure_ascii=False),
                json.dumps(new.questions, ensure_ascii=False),
                new.opinion_prompt,
                new.feed_id,
                new.posted_by,
                to_ts(new.created_at),
                new.channel_id,
                new.post_token,
            ),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return _article(row)

    async def get(self, article_id: int) -> Article | None:
        async with self.conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)) as cur:
            row = await cur.fetchone()
        return _article(row) if row else None

    async def by_message(self, message_id: int) -> Article | None:
        async with self.conn.execute("SELECT * FROM articles WHERE message_id = ?", (message_id,)) as cur:
            row = await cur.fetchone()
        return _article(row) if row else None

    async def unposted(self) -> list[Article]:
        """Articles written before their message was sent and never given a message id (a crash between)."""
        async with self.conn.execute(
            "SELECT * FROM articles WHERE message_id IS NULL AND post_token IS NOT NULL ORDER BY id"
        ) as cur:
            return [_article(r) for r in await cur.fetchall()]

    async def set_message(self, article_id: int, channel_id: int, message_id: int) -> None:
        await self.conn.execute(
            "UPDATE articles SET channel_id = ?, message_id = ? WHERE id = ?",
            (channel_id, message_id, article_id),
        )

    async def set_thread(self, article_id: int, thread_id: int | None) -> None:
        await self.conn.execute("UPDATE articles SET thread_id = ? WHERE id = ?", (thread_id, article_id))

    async def delete(self, article_id: int) -> None:
        """Forget an article whose post failed, so the moderator can try again."""
        await self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[tuple[int, str]]:
        """(id, title) of recent articles whose title contains `text` (autocomplete)."""
        async with self.conn.execute(
            "SELECT id, title FROM articles WHERE guild_id = ? AND (title LIKE '%' || ? || '%' "
            "OR CAST(id AS TEXT) = ?) ORDER BY id DESC LIMIT ?",
            (guild_id, text, text, limit),
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]
