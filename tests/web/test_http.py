"""The public results service over HTTP: a real aiohttp client against the running app on a real store."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from db.database import Database
from db.opinions import OpinionStore
from db.polls import PollStore
from db.public import PublicSettings, PublicStore
from tests.conftest import NOW
from tests.web.conftest import GUILD, enable, seed_poll

MEMBER_ID = 987654321012345678


async def test_json_has_counts_percentages_score_and_no_member_or_discord_id(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 3, 3: 1})
    served = await serve(public_url="https://resultats.journal.example")
    response = await served.get(f"/p/{seeded.public_id}.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    document = json.loads(await response.text())
    assert document["question"] == "Trainium 2 est-il crédible ?"
    assert document["status"] == "open"
    assert document["voters"] == 4
    assert [(a["label"], a["count"], a["percent"]) for a in document["answers"]] == [
        ("Oui", 3, 75.0),
        ("Plutôt oui", 0, 0.0),
        ("Plutôt non", 0, 0.0),
        ("Non", 1, 25.0),
        ("Sans avis", 0, 0.0),
    ]
    assert document["score"] == 75.0
    assert document["deadline"] == (NOW + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    assert document["updated_at"] == (NOW + timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    assert document["links"]["page"] == f"https://resultats.journal.example/p/{seeded.public_id}"
    body = await response.text()
    assert "voter-" not in body and str(GUILD) not in body and f'"id":"{seeded.public_id}"' in body
    assert str(seeded.poll_id) not in [str(v) for v in document.values()]


async def test_the_same_404_for_unknown_unpublished_deleted_and_switched_off(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    published = await seed_poll(db, {0: 1})
    unpublished = await seed_poll(db, {0: 1}, publish=False)
    deleted = await seed_poll(db, {0: 1})
    async with db.transaction() as conn:
        await PollStore(conn).mark_deleted(deleted.poll_id, NOW)
    served = await serve()
    assert (await served.get(f"/p/{published.public_id}.json")).status == 200

    answers = []
    for path in (
        "/p/AAAAAAAAAAAAAAAAAAAAAA.json",  # never existed
        f"/p/{unpublished.poll_id}.json",  # a row id is not a public id
        f"/p/{deleted.public_id}.json",
    ):
        response = await served.get(path)
        answers.append((response.status, await response.text()))
    assert answers == [(404, '{"error": "not_found"}')] * 3

    pages = {
        (r.status, await r.text()) for r in [await served.get(f"/p/{deleted.public_id}"), await served.get("/p/x")]
    }
    assert len(pages) == 1 and next(iter(pages))[0] == 404

    async with db.transaction() as conn:  # the server stops publishing: everything it published disappears
        await PublicStore(conn).save_settings(PublicSettings(GUILD, enabled=False), NOW)
    gone = await served.get(f"/p/{published.public_id}.json")
    assert (gone.status, await gone.text()) == answers[0]


async def test_no_listing_and_no_other_path(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    served = await serve()
    for path in ("/", "/p/", "/a/", "/static/", "/p/../db", "/.env", "/tribune.db"):
        response = await served.get(path)
        assert response.status == 404, path
        assert "Index of" not in await response.text()
    post = await served.http.post(served.base + "/p/AAAAAAAAAAAAAAAAAAAAAA.json")
    assert post.status == 405


async def test_strict_headers_on_every_answer(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve()
    for path in (f"/p/{seeded.public_id}", f"/p/{seeded.public_id}.json", "/nothing"):
        response = await served.get(path)
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert "aiohttp" not in headers.get("Server", "")


async def test_embed_may_be_framed_only_by_the_allowed_origins(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve()
    closed = await served.get(f"/p/{seeded.public_id}/embed")
    assert "frame-ancestors 'none'" in closed.headers["Content-Security-Policy"]  # no allow-list: nobody

    await enable(db, embed_origins=("https://www.journal.example", "https://amp.journal.example"))
    response = await served.get(f"/p/{seeded.public_id}/embed")
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.journal.example https://amp.journal.example" in csp
    assert "X-Frame-Options" not in response.headers
    page = await response.text()
    assert "<footer>" not in page and "<svg" in page  # no page chrome in the iframe
    assert "<footer>" in await (await served.get(f"/p/{seeded.public_id}")).text()


async def test_cors_only_for_the_allowed_origins(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db, embed_origins=("https://www.journal.example",))
    seeded = await seed_poll(db, {0: 1})
    served = await serve()
    allowed = await served.get(f"/p/{seeded.public_id}.json", headers={"Origin": "https://www.journal.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.journal.example"
    assert "Origin" in allowed.headers["Vary"]
    other = await served.get(f"/p/{seeded.public_id}.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    bare = await served.get(f"/p/{seeded.public_id}.json")
    assert "Access-Control-Allow-Origin" not in bare.headers


async def test_etag_answers_304_until_a_vote_changes_the_results(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve()
    for path in (f"/p/{seeded.public_id}.json", f"/p/{seeded.public_id}"):
        first = await served.get(path)
        etag = first.headers["ETag"]
        again = await served.get(path, headers={"If-None-Match": etag})
        assert again.status == 304 and await again.read() == b""
        assert again.headers["X-Content-Type-Options"] == "nosniff"
    async with db.transaction() as conn:
        await PollStore(conn).add_vote(seeded.poll_id, "voter-new", 3, NOW + timedelta(minutes=30))
    changed = await served.get(f"/p/{seeded.public_id}.json", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert json.loads(await changed.text())["voters"] == 2


async def test_open_page_refreshes_itself_and_closed_page_does_not(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    open_poll = await seed_poll(db, {0: 2})
    past_deadline = await seed_poll(db, {0: 2}, closes_in=timedelta(minutes=30))  # the clock is NOW + 1 h
    served = await serve(refresh_seconds=7)
    page = await (await served.get(f"/p/{open_poll.public_id}")).text()
    assert '<meta http-equiv="refresh" content="7">' in page
    assert "<script" not in page
    closed = await served.get(f"/p/{past_deadline.public_id}")
    text = await closed.text()
    assert "http-equiv" not in text and 'data-status="closed"' in text
    document = json.loads(await (await served.get(f"/p/{past_deadline.public_id}.json")).text())
    assert document["status"] == "closed"


async def test_member_text_is_escaped_everywhere(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db, show_opinions=True)
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    seeded = await seed_poll(
        db, {0: 1}, question=hostile[:300], with_article=True, labels=[("<b>gras</b>", None), ("Non", None)]
    )
    async with db.transaction() as conn:
        await OpinionStore(conn).upsert(GUILD, seeded.article_id or 0, MEMBER_ID, "<iframe src=//evil>" * 2, NOW)
    served = await serve()
    for path in (f"/p/{seeded.public_id}", f"/p/{seeded.public_id}/embed", f"/a/{seeded.article_public_id}"):
        page = await (await served.get(path)).text()
        assert "<script>" not in page and "<img" not in page and "<b>gras" not in page and "<iframe" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    document = json.loads(await (await served.get(f"/p/{seeded.public_id}.json")).text())
    assert document["question"] == hostile  # JSON carries the text as is: the embedding site escapes it


async def test_article_page_shows_its_polls_and_only_visible_opinions_when_allowed(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 2, 3: 1}, with_article=True)
    async with db.transaction() as conn:
        opinions = OpinionStore(conn)
        useful = await opinions.upsert(GUILD, seeded.article_id or 0, 11, "Un avis utile et argumenté.", NOW)
        hidden = await opinions.upsert(GUILD, seeded.article_id or 0, 12, "Un avis masqué par la modération.", NOW)
        await opinions.upsert(GUILD, seeded.article_id or 0, 13, "Un troisième avis, sans marque.", NOW)
        await opinions.toggle_mark(useful.id, 14, NOW)
        await opinions.toggle_mark(hidden.id, 14, NOW)
        await opinions.toggle_mark(hidden.id, 15, NOW)
        await opinions.set_hidden(hidden.id, True, 7, NOW, "hors sujet")
    served = await serve()
    path = f"/a/{seeded.article_public_id}"
    page = await (await served.get(path)).text()
    assert "Une puce maison pour l&#x27;IA" in page and "Trainium 2 est-il crédible ?" in page
    assert 'data-voters="3"' in page
    assert "Un avis utile" not in page  # the server did not allow opinions

    await enable(db, show_opinions=True)
    page = await (await served.get(path)).text()
    assert page.index("Un avis utile et argumenté.") < page.index("Un troisième avis")  # most useful first
    assert "masqué" not in page and "hors sujet" not in page
    assert "1 membre l&#x27;a trouvé utile" in page
    assert str(MEMBER_ID) not in page and "data-opinion" in page
    for member in ("11", "12", "13"):
        assert f">{member}<" not in page


async def test_rate_limit_per_visitor(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve(rate_per_minute=5)
    statuses = [(await served.get(f"/p/{seeded.public_id}.json")).status for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    refused = await served.get(f"/p/{seeded.public_id}.json")
    assert int(refused.headers["Retry-After"]) >= 1
    unlimited = await serve(rate_per_minute=0)  # TRIBUNE_WEB_RATE=0
    assert {(await unlimited.get(f"/p/{seeded.public_id}.json")).status for _ in range(150)} == {200}


async def test_behind_a_proxy_each_visitor_has_its_own_budget(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve(rate_per_minute=2, behind_proxy=True)
    path = f"/p/{seeded.public_id}.json"
    first = [(await served.get(path, headers={"X-Forwarded-For": "203.0.113.1"})).status for _ in range(3)]
    second = [(await served.get(path, headers={"X-Forwarded-For": "203.0.113.2"})).status for _ in range(2)]
    assert first == [200, 200, 429] and second == [200, 200]


async def test_a_hot_poll_is_read_from_the_store_once_per_cache_interval(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve(cache_seconds=1.0)
    path = f"/p/{seeded.public_id}.json"
    assert json.loads(await (await served.get(path)).text())["voters"] == 1
    async with db.transaction() as conn:
        await PollStore(conn).add_vote(seeded.poll_id, "voter-late", 1, NOW + timedelta(minutes=50))
    assert json.loads(await (await served.get(path)).text())["voters"] == 1  # cached
    await asyncio.sleep(1.05)
    assert json.loads(await (await served.get(path)).text())["voters"] == 2
    async with db.transaction() as conn:
        await PublicStore(conn).unpublish("poll", seeded.poll_id)
    assert (await served.get(path)).status == 404  # a withdrawal does not wait for the cache


async def test_beside_the_bot_the_cache_is_trusted_until_the_bot_invalidates_it(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1})
    served = await serve(cache_seconds=30.0, recheck_cached=False)
    path = f"/p/{seeded.public_id}.json"
    assert (await served.get(path)).status == 200
    async with db.transaction() as conn:
        await PublicStore(conn).unpublish("poll", seeded.poll_id)
    served.app.reader.invalidate()  # what /poll publish state:off does through bot.web
    assert (await served.get(path)).status == 404


async def test_a_poll_whose_results_mode_hides_them_shows_no_count_until_it_allows(db: Database, serve) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 3, 3: 1})
    async with db.transaction() as conn:
        assert await PollStore(conn).set_results_visibility(seeded.poll_id, "after_close") == "live"
    served = await serve()
    hidden = json.loads(await (await served.get(f"/p/{seeded.public_id}.json")).text())
    assert hidden["results_visible"] is False
    assert hidden["voters"] is None and hidden["score"] is None
    assert all(a.get("count") is None for a in hidden["answers"] or []), hidden
    page = await (await served.get(f"/p/{seeded.public_id}")).text()
    assert "75" not in page.split("<body", 1)[-1]  # no percentage in the page either
    async with db.transaction() as conn:
        await PollStore(conn).set_results_visibility(seeded.poll_id, "moderators")
        assert await PollStore(conn).publish_results(seeded.poll_id)  # a moderator reveals them
    await asyncio.sleep(1.1)  # past the service's one-second cache of a hot poll
    shown = json.loads(await (await served.get(f"/p/{seeded.public_id}.json")).text())
    assert shown["results_visible"] is True and shown["voters"] == 4
