"""RSS 2.0 and Atom parsing of already fetched documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles.errors import FeedError
from bot.articles.feeds import html_to_text, parse_feed, parse_feed_entries

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"


def _expected_titles() -> dict[str, str]:
    titles: dict[str, str] = {}
    for folder in FIXTURES.iterdir():
        expected = folder / "expected.json"
        if expected.is_file():
            title = json.loads(expected.read_text(encoding="utf-8"))["title"]
            if title:
                titles[f"https://example.news/articles/{folder.name}"] = title
    return titles


@pytest.mark.parametrize("name", ["feed.xml", "feed_atom.xml"])
def test_fixture_feed(name: str) -> None:
    feed = parse_feed((FIXTURES / name).read_text(encoding="utf-8"))
    assert feed.title == "Le Fil Tech"
    assert feed.link == "https://example.news/"
    assert feed.language in {"fr-FR", "fr"}
    assert len(feed.entries) == 7
    titles = _expected_titles()
    for entry in feed.entries:
        assert entry.guid == entry.link
        assert entry.link in titles
        assert entry.title.replace("\u00a0", " ") == titles[entry.link].replace("\u00a0", " ")
        assert entry.published is not None and entry.published.tzinfo is UTC
        assert entry.summary and "<" not in entry.summary and "&#x27;" not in entry.summary
        assert entry.author
        assert entry.tags
    first = feed.entries[0]
    assert first.link == "https://example.news/articles/06-nebulo-games-annulation-rpg"
    assert first.published == datetime(2025, 5, 14, 14, 45, tzinfo=UTC)  # 16:45 +02:00
    assert first.author == "Karim Benali"
    assert first.summary == "Coup dur pour la scène vidéoludique française."
    # Newest first, as in the documents
    dates = [entry.published for entry in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_rss_and_atom_agree() -> None:
    rss = parse_feed_entries((FIXTURES / "feed.xml").read_bytes())
    atom = parse_feed_entries((FIXTURES / "feed_atom.xml").read_bytes())
    assert [(e.guid, e.title, e.published) for e in rss] == [(e.guid, e.title, e.published) for e in atom]


def test_guid_falls_back_to_link_then_title_hash() -> None:
    document = """<?xml version="1.0"?>
    <rss version="2.0"><channel><title>T</title>
      <item><title>Avec lien</title><link>https://example.news/a</link></item>
      <item><title>Sans lien ni guid</title>
        <description>&lt;p&gt;Texte &lt;b&gt;gras&lt;/b&gt;&lt;/p&gt;</description></item>
      <item><guid isPermaLink="false">tag:example.news,2025:42</guid><title>Guid</title>
        <link>https://example.news/b</link><pubDate>Mon, 03 Feb 2025 11:00:00 +0100</pubDate></item>
    </channel></rss>"""
    entries = parse_feed_entries(document)
    assert entries[0].guid == "https://example.news/a" and entries[0].published is None
    assert entries[1].guid.startswith("sha1:") and entries[1].link is None
    assert entries[1].summary == "Texte gras"
    assert entries[1].guid == parse_feed_entries(document)[1].guid  # stable
    assert entries[2].guid == "tag:example.news,2025:42"
    assert entries[2].published == datetime(2025, 2, 3, 10, 0, tzinfo=UTC)


def test_relative_links_are_resolved_with_base_url() -> None:
    document = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Rel</title><link>/articles/rel</link></item></channel></rss>"
    )
    entry = parse_feed_entries(document, base_url="https://example.news/feed.xml")[0]
    assert entry.link == "https://example.news/articles/rel"


@pytest.mark.parametrize(
    "document",
    [
        "<html><body><p>Pas un flux</p></body></html>",
        "",
        "http://127.0.0.1:9/feed.xml",  # must be parsed as text, never fetched
        "/etc/hostname",  # must never be opened as a file
    ],
)
def test_not_a_feed(document: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(document)
    assert info.value.key == "feed.invalid"


def test_declared_encoding_of_bytes_is_honoured() -> None:
    document = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Côté</title>'
        "<item><title>Été</title><link>https://example.news/e</link></item></channel></rss>"
    ).encode("latin-1")
    feed = parse_feed(document)
    assert feed.title == "Côté" and feed.entries[0].title == "Été"


def test_html_to_text() -> None:
    assert html_to_text("<p>Un&nbsp;texte</p><p>Deux &amp; trois</p>") == "Un texte\nDeux & trois"
