"""Public results pages and JSON, as pure functions: escaping, chart geometry, refresh, links, origins."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.polls.tally import compute_tally
from bot.polls.visibility import visible_tally
from bot.web.links import PUBLIC_ID_PATTERN, article_url, new_public_id, poll_urls
from bot.web.pages import (
    CHART_WIDTH,
    STYLE,
    STYLE_HASH,
    PublicPoll,
    iframe_snippet,
    not_found_page,
    origins_of,
    poll_json,
    poll_page,
    results_svg,
)
from db.polls import PollOption

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
OPTIONS = [PollOption(0, "Oui", 100.0), PollOption(1, "Non", 0.0), PollOption(2, "Sans avis", None)]


def public_poll(status: str = "open", question: str = "Crédible ?", **counts: int) -> PublicPoll:
    per_option = {0: counts.get("yes", 3), 1: counts.get("no", 1), 2: counts.get("none", 0)}
    tally = compute_tally(OPTIONS, per_option, sum(per_option.values()))
    return PublicPoll(
        public_id="x" * 22,
        question=question,
        kind="scale",
        multiple=False,
        status=status,
        deadline=NOW + timedelta(days=2),
        closed_at=None if status == "open" else NOW,
        updated_at=NOW,
        tally=tally,
    )


def test_json_is_plain_values_with_utc_times() -> None:
    document = poll_json(public_poll(), {"page": "https://r.example/p/x"})
    assert document["voters"] == 4 and document["score"] == 75.0
    assert [a["percent"] for a in document["answers"]] == [75.0, 25.0, 0.0]
    assert document["deadline"] == "2026-11-28T09:00:00Z" and document["closed_at"] is None
    assert document["results_visible"] is True and document["links"] == {"page": "https://r.example/p/x"}


def test_bars_are_sized_by_share_of_voters() -> None:
    svg = results_svg(public_poll().tally, "fr", "Q")  # type: ignore[arg-type]
    widths = [int(w) for w in re.findall(r'width="(\d+)" height="14" rx="3" fill="#5865f2"', svg)]
    assert widths == [round(CHART_WIDTH * 0.75), round(CHART_WIDTH * 0.25), 0]
    assert "75\u202f%" in svg and "3 ·" in svg


def test_open_pages_refresh_and_closed_ones_do_not() -> None:
    assert '<meta http-equiv="refresh" content="15">' in poll_page(
        public_poll(), "fr", "Europe/Paris", refresh_seconds=15
    )
    assert "refresh" not in poll_page(public_poll("closed"), "fr", "Europe/Paris", refresh_seconds=15)


def test_times_follow_the_server_zone_and_language() -> None:
    french = poll_page(public_poll(), "fr", "Europe/Paris", refresh_seconds=None)
    assert "Ouvert jusqu&#x27;au 28 nov. 2026 à 10:00" in french  # 09:00 UTC is 10:00 in Paris
    english = poll_page(public_poll("closed"), "en", "America/New_York", refresh_seconds=None)
    assert "Closed on Nov 26, 2026 at 04:00" in english and 'lang="en"' in english


def test_everything_from_members_is_escaped() -> None:
    page = poll_page(public_poll(question='<script>x</script>" onload="y'), "fr", "UTC", refresh_seconds=None)
    assert "<script>" not in page and '" onload="' not in page
    assert "&lt;script&gt;x&lt;/script&gt;&quot; onload=&quot;y" in page


def test_the_only_inline_style_is_the_one_the_csp_hash_allows() -> None:
    import base64
    import hashlib

    page = poll_page(public_poll(), "fr", "UTC", refresh_seconds=None)
    assert re.findall(r"<style>(.*?)</style>", page) == [STYLE]
    assert STYLE_HASH == "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert " style=" not in page and "<script" not in page


def test_not_found_is_one_page_in_french() -> None:
    assert "Page introuvable" in not_found_page("fr") and "Page not found" in not_found_page("en")


def test_public_ids_are_random_and_urls_never_carry_anything_else() -> None:
    ids = {new_public_id() for _ in range(200)}
    assert len(ids) == 200 and all(re.fullmatch(PUBLIC_ID_PATTERN, i) for i in ids)
    urls = poll_urls("https://r.example/", "abc")
    assert urls == {
        "page": "https://r.example/p/abc",
        "embed": "https://r.example/p/abc/embed",
        "json": "https://r.example/p/abc.json",
    }
    assert article_url("https://r.example", "def") == "https://r.example/a/def"


def test_iframe_snippet_is_escaped_and_grows_with_the_answers() -> None:
    small = iframe_snippet("https://r.example/p/a/embed", 'Q "quoted"', 2)
    large = iframe_snippet("https://r.example/p/a/embed", "Q", 10)
    assert 'title="Q &quot;quoted&quot;"' in small and 'src="https://r.example/p/a/embed"' in small
    height = re.compile(r'height="(\d+)"')
    assert int(height.search(large).group(1)) > int(height.search(small).group(1))  # type: ignore[union-attr]


def test_origins_are_normalised_and_anything_else_is_refused() -> None:
    assert origins_of("https://www.Journal.example/, http://localhost:8000  https://www.journal.example") == (
        "https://www.journal.example",
        "http://localhost:8000",
    )
    for bad in ("javascript:alert(1)", "https://site.example/path", "ftp://x", "https://a';b", "*"):
        with pytest.raises(ValueError):
            origins_of(bad)


def test_every_poll_shows_its_counts_today() -> None:
    # One function decides what counts readers may see; until visibility modes exist it shows them all.
    tally = public_poll().tally
    assert tally is not None
    assert visible_tally(tally, status="open", closes_at=NOW, now=NOW) is tally


def test_the_web_package_keeps_the_layers() -> None:
    from tests.domain.test_layers import ROOT, imported_modules

    for pure in ("bot/web/pages.py", "bot/web/links.py", "bot/polls/visibility.py"):
        names = imported_modules(ROOT / pure)
        assert not {n for n in names if n.split(".")[0] in ("aiohttp", "db", "discord", "cogs")}, pure
    store = imported_modules(ROOT / "db/public.py")
    assert not {n for n in store if n.split(".")[0] in ("bot", "cogs", "discord", "aiohttp")}
    app = imported_modules(ROOT / "bot/web/app.py")
    assert not {n for n in app if n.split(".")[0] in ("discord", "cogs")}  # the service runs without Discord


def test_hidden_results_show_no_count_anywhere() -> None:
    from dataclasses import replace

    hidden = replace(public_poll(yes=7, no=5), tally=None)  # what a visibility rule hiding counts yields
    document = poll_json(hidden)
    assert document["results_visible"] is False
    assert document["answers"] is None and document["voters"] is None and document["score"] is None
    page = poll_page(hidden, "en", "UTC", refresh_seconds=None)
    assert "not visible yet" in page and "<svg" not in page and "data-count" not in page
