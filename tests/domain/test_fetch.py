"""SSRF-safe fetching: address policy, allow-list, redirects, limits, charsets, conditional GET.

Pages are served by a real aiohttp server on 127.0.0.1, reachable only through an explicit allow-list
(exactly what an operator would configure for an intranet site). Host names are resolved by an injected
resolver so that tests never touch real DNS.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from yarl import URL

from bot.articles.errors import FetchError
from bot.articles.feeds import parse_feed
from bot.i18n import catalog
from bot.net.fetch import (
    DEFAULT_MAX_BYTES,
    USER_AGENT,
    AllowList,
    SafeFetcher,
    VettingResolver,
    article_from_fetch,
    is_forbidden_address,
    parse_allow_list,
    parse_ip,
    validate_url,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"
ARTICLE_HTML = (FIXTURES / "01-nvidia-blackwell-puces-ia" / "article.html").read_text(encoding="utf-8")
BIG_TOTAL = 48 * 1024 * 1024
LOCAL = ["127.0.0.1"]


class FakeResolver(AbstractResolver):
    """Resolves names from a table (no real DNS); counts lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for address in self.table[host]
        ]

    async def close(self) -> None:
        return None


# --------------------------------------------------------------------------------------------------
# Local server
# --------------------------------------------------------------------------------------------------


def _app(state: dict[str, object]) -> web.Application:
    release: asyncio.Event = state["release"]  # type: ignore[assignment]

    async def article(request: web.Request) -> web.StreamResponse:
        state["user_agent"] = request.headers.get("User-Agent")
        etag = '"v1"'
        modified = "Tue, 19 Mar 2024 10:15:00 GMT"
        if request.headers.get("If-None-Match") == etag or request.headers.get("If-Modified-Since") == modified:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            text=ARTICLE_HTML,
            content_type="text/html",
            charset="utf-8",
            headers={"ETag": etag, "Last-Modified": modified},
        )

    async def latin1(request: web.Request) -> web.Response:
        html = (
            '<html><head><meta charset="windows-1252"><title>Été</title></head>'
            "<body><p>Déjà « là » — 5 €</p></body></html>"
        )
        return web.Response(body=html.encode("cp1252"), headers={"Content-Type": "text/html"})

    async def xml_latin1(request: web.Request) -> web.Response:
        xml = (
            '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Côté</title></channel></rss>'
        )
        return web.Response(body=xml.encode("latin-1"), headers={"Content-Type": "application/rss+xml"})

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=(FIXTURES / "feed.xml").read_bytes(), headers={"Content-Type": "application/rss+xml"})

    async def json_body(request: web.Request) -> web.Response:
        return web.json_response({"title": "not an article"})

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n", content_type="image/png")

    async def big(request: web.Request) -> web.StreamResponse:
        # Chunked (no Content-Length): only the streaming cap can stop it.
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        try:
            while state["big_sent"] < BIG_TOTAL:  # type: ignore[operator]
                await response.write(chunk)
                state["big_sent"] += len(chunk)  # type: ignore[operator]
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def big_declared(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = BIG_TOTAL
        await response.prepare(request)
        try:
            for _ in range(BIG_TOTAL // (64 * 1024)):
                await response.write(b"x" * 64 * 1024)
                state["declared_sent"] += 64 * 1024  # type: ignore[operator]
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def slow(request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(release.wait(), timeout=10)
        except TimeoutError:
            pass
        return web.Response(text="<html>late</html>", content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        remaining = int(request.match_info["n"])
        if remaining == 0:
            return web.Response(text=ARTICLE_HTML, content_type="text/html")
        raise web.HTTPFound(f"/redirect/{remaining - 1}")

    async def redirect_to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<html>nope</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/latin1", latin1)
    app.router.add_get("/xml-latin1", xml_latin1)
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/json", json_body)
    app.router.add_get("/image", image)
    app.router.add_get("/big", big)
    app.router.add_get("/big-declared", big_declared)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_get("/redirect-to", redirect_to)
    app.router.add_get("/missing", not_found)
    return app


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, dict[str, object]]]:
    state: dict[str, object] = {"release": asyncio.Event(), "big_sent": 0, "declared_sent": 0}
    test_server = TestServer(_app(state), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield f"http://127.0.0.1:{test_server.port}", state
    finally:
        state["release"].set()  # type: ignore[attr-defined]
        await test_server.close()


async def _refusal(fetcher: SafeFetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(url)
    return info.value


# --------------------------------------------------------------------------------------------------
# Address policy (no network)
# --------------------------------------------------------------------------------------------------

PRIVATE_LITERALS = [
    ("http://127.0.0.1/", "127.0.0.1"),
    ("http://127.8.9.10:8080/admin", "127.8.9.10"),
    ("http://10.0.0.1/", "10.0.0.1"),
    ("http://10.255.255.254/", "10.255.255.254"),
    ("http://172.16.0.1/", "172.16.0.1"),
    ("http://172.31.255.254/", "172.31.255.254"),
    ("http://192.168.1.1/", "192.168.1.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://100.64.0.1/", "100.64.0.1"),
    ("http://0.0.0.0/", "0.0.0.0"),
    ("http://224.0.0.1/", "224.0.0.1"),
    ("http://240.0.0.1/", "240.0.0.1"),
    ("http://255.255.255.255/", "255.255.255.255"),
    ("http://[::1]/", "::1"),
    ("http://[::]/", "::"),
    ("http://[fc00::1]/", "fc00::1"),
    ("http://[fd12:3456:789a::1]/", "fd12:3456:789a::1"),
    ("http://[fe80::1]/", "fe80::1"),
    ("http://[ff02::1]/", "ff02::1"),
    ("http://[::ffff:10.0.0.1]/", "::ffff:a00:1"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"),
    ("http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe"),
    ("http://[64:ff9b::10.0.0.1]/", "64:ff9b::a00:1"),  # NAT64 embedding a private IPv4
    ("http://[2002:a00:1::]/", "2002:a00:1::"),  # 6to4 embedding 10.0.0.1
    # Legacy inet_aton spellings of loopback / private addresses
    ("http://2130706433/", "127.0.0.1"),
    ("http://0177.0.0.1/", "127.0.0.1"),
    ("http://0x7f.1/", "127.0.0.1"),
    ("http://0x7f000001/", "127.0.0.1"),
    ("http://017700000001/", "127.0.0.1"),
    ("http://127.1/", "127.0.0.1"),
    ("http://10.1/", "10.0.0.1"),
    ("http://0xa9.254.169.254/", "169.254.169.254"),
    ("http://127.0.0.1./", "127.0.0.1"),
]


@pytest.mark.parametrize(("url", "address"), PRIVATE_LITERALS)
def test_private_literals_are_refused_before_any_connection(url: str, address: str) -> None:
    with pytest.raises(FetchError) as info:
        validate_url(url)
    host = URL(url).raw_host
    assert info.value.key == "fetch.private_address"
    assert info.value.params == {"host": host}
    assert parse_ip(host or "") == ipaddress.ip_address(address)


@pytest.mark.parametrize(("url", "address"), PRIVATE_LITERALS[:6] + PRIVATE_LITERALS[-8:])
async def test_private_literals_are_refused_by_fetch(url: str, address: str) -> None:
    error = await _refusal(SafeFetcher(timeout=2), url)
    assert error.key == "fetch.private_address"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0300.0250.0.1", "192.168.0.1"),
        ("3232235521", "192.168.0.1"),
        ("[::1]", "::1"),
        ("8.8.8.8", "8.8.8.8"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("09.1.1.1", None),  # not octal: a name, resolved (and vetted) by DNS
        ("4294967296", None),
    ],
)
def test_parse_ip_follows_inet_aton(text: str, expected: str | None) -> None:
    parsed = parse_ip(text)
    assert (str(parsed) if parsed is not None else None) == (str(ipaddress.ip_address(expected)) if expected else None)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4007::1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))
    assert str(validate_url(f"http://{address if ':' not in address else f'[{address}]'}/page")).startswith("http")


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("ftp://example.com/file", "ftp"),
        ("file:///etc/passwd", "file"),
        ("gopher://example.com/", "gopher"),
        ("javascript:alert(1)", "javascript"),
        ("data:text/html,<p>hi</p>", "data"),
    ],
)
async def test_other_schemes_are_refused(url: str, scheme: str) -> None:
    error = await _refusal(SafeFetcher(), url)
    assert error.key == "fetch.scheme"
    assert error.params == {"scheme": scheme}


@pytest.mark.parametrize("url", ["example.com/page", "http://", "https:///path", "not a url"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchError) as info:
        validate_url(url)
    assert info.value.key == "fetch.invalid_url"


def test_parse_allow_list() -> None:
    allow = parse_allow_list(" intranet.example , 10.1.0.0/16,127.0.0.1, *.corp.example, ::1, ")
    assert allow.hosts == frozenset({"intranet.example"})
    assert allow.suffixes == (".corp.example",)
    assert [str(network) for network in allow.networks] == ["10.1.0.0/16", "127.0.0.1/32", "::1/128"]
    assert allow.allows_host("INTRANET.example.")
    assert allow.allows_host("wiki.corp.example")
    assert not allow.allows_host("corp.example.evil.test")
    assert allow.allows_address(ipaddress.ip_address("10.1.2.3"))
    assert not allow.allows_address(ipaddress.ip_address("10.2.0.1"))
    assert allow.permits("anything.test", ipaddress.ip_address("127.0.0.1"))
    assert not allow.permits("anything.test", ipaddress.ip_address("127.0.0.2"))
    assert parse_allow_list("") == AllowList()
    assert not parse_allow_list(None)
    with pytest.raises(ValueError, match="bad host"):
        parse_allow_list("ok.example, bad host")


def test_fetcher_reads_allow_list_from_environment() -> None:
    fetcher = SafeFetcher.from_env({"TRIBUNE_FETCH_ALLOW": "intranet.example,192.168.10.0/24"})
    assert fetcher.allow.allows_host("intranet.example")
    assert fetcher.allow.allows_address(ipaddress.ip_address("192.168.10.5"))
    assert not SafeFetcher.from_env({}).allow
    assert SafeFetcher().max_bytes == DEFAULT_MAX_BYTES == 5 * 1024 * 1024


def test_allow_list_lifts_the_literal_check() -> None:
    assert validate_url("http://10.1.2.3/wiki", allow=["10.1.0.0/16"]).host == "10.1.2.3"
    with pytest.raises(FetchError):
        validate_url("http://10.2.0.1/wiki", allow=["10.1.0.0/16"])


# --------------------------------------------------------------------------------------------------
# Resolution: the address connected to is the address checked
# --------------------------------------------------------------------------------------------------


async def test_hostname_resolving_to_private_address_is_refused() -> None:
    resolver = FakeResolver({"intranet.test": ["192.168.1.20"]})
    error = await _refusal(SafeFetcher(resolver=resolver, timeout=2), "http://intranet.test/wiki")
    assert error.key == "fetch.private_host"
    assert error.params == {"host": "intranet.test", "address": "192.168.1.20"}
    assert resolver.calls == ["intranet.test"]


async def test_localhost_name_is_refused_with_the_system_resolver() -> None:
    error = await _refusal(SafeFetcher(timeout=2), "http://localhost:9/")
    assert error.key == "fetch.private_host"
    assert ipaddress.ip_address(error.params["address"]).is_loopback


async def test_unknown_host_is_a_dns_failure() -> None:
    error = await _refusal(SafeFetcher(resolver=FakeResolver({}), timeout=2), "http://nowhere.test/")
    assert error.key == "fetch.dns"
    assert error.params == {"host": "nowhere.test"}


async def test_vetting_resolver_keeps_only_permitted_addresses() -> None:
    inner = FakeResolver({"mixed.test": ["10.0.0.7", "127.0.0.1", "169.254.169.254", "93.184.216.34"]})
    resolver = VettingResolver(parse_allow_list(LOCAL), inner)
    results = await resolver.resolve("mixed.test", 80)
    assert [result["host"] for result in results] == ["127.0.0.1", "93.184.216.34"]
    strict = VettingResolver(AllowList(), inner)
    assert [result["host"] for result in await strict.resolve("mixed.test", 80)] == ["93.184.216.34"]


async def test_connection_goes_to_the_vetted_address_only(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    port = base.rsplit(":", 1)[1]
    # The name also resolves to a private address: it must be dropped, not tried.
    resolver = FakeResolver({"news.test": ["10.0.0.7", "127.0.0.1"]})
    fetcher = SafeFetcher(allow=LOCAL, resolver=resolver, timeout=3, connect_timeout=1)
    started = time.perf_counter()
    result = await fetcher.fetch(f"http://news.test:{port}/article")
    assert result.status == 200
    assert "Blackwell" in result.text
    assert resolver.calls == ["news.test"]  # resolved once, no second lookup to race against
    assert time.perf_counter() - started < 1.0  # 10.0.0.7 (unroutable here) was never attempted


async def test_rebinding_answer_to_loopback_is_refused() -> None:
    # The first URL check passes (it is a name); the answer used for connecting is what is vetted.
    resolver = FakeResolver({"rebind.test": ["127.0.0.1"]})
    error = await _refusal(SafeFetcher(resolver=resolver, timeout=2), "http://rebind.test/")
    assert error.key == "fetch.private_host"
    assert error.params["address"] == "127.0.0.1"


async def test_allow_list_by_host_name(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    port = base.rsplit(":", 1)[1]
    resolver = FakeResolver({"wiki.corp.test": ["127.0.0.1"], "intranet.test": ["127.0.0.1"]})
    fetcher = SafeFetcher(allow="*.corp.test", resolver=resolver, timeout=3)
    result = await fetcher.fetch(f"http://wiki.corp.test:{port}/article")
    assert result.status == 200
    error = await _refusal(fetcher, f"http://intranet.test:{port}/article")
    assert error.key == "fetch.private_host"


# --------------------------------------------------------------------------------------------------
# Fetching from the local server
# --------------------------------------------------------------------------------------------------


async def test_loopback_server_is_refused_without_allow_list(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    error = await _refusal(SafeFetcher(timeout=2), f"{base}/article")
    assert error.key == "fetch.private_address"
    assert error.params == {"host": "127.0.0.1"}


async def test_fetch_article_page(server: tuple[str, dict[str, object]]) -> None:
    base, state = server
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"{base}/article")
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.encoding == "utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 19 Mar 2024 10:15:00 GMT"
    assert not result.not_modified
    assert result.final_url == result.url == f"{base}/article"
    assert state["user_agent"] == USER_AGENT == "TribuneBot/0.1 (+https://github.com/tribune)"
    article = article_from_fetch(result)
    assert article.author == "Julien Marchetti"
    assert article.text.startswith("Lors de l'ouverture de sa conférence GTC")


async def test_conditional_get_returns_not_modified(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    fetcher = SafeFetcher(allow=LOCAL, timeout=5)
    by_etag = await fetcher.fetch(f"{base}/article", etag='"v1"')
    assert by_etag.not_modified and by_etag.status == 304 and by_etag.text == ""
    assert by_etag.etag == '"v1"'
    by_date = await fetcher.fetch(f"{base}/article", last_modified="Tue, 19 Mar 2024 10:15:00 GMT")
    assert by_date.not_modified
    changed = await fetcher.fetch(f"{base}/article", etag='"v0"')
    assert not changed.not_modified and changed.status == 200 and changed.text


async def test_charset_from_meta_tag(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"{base}/latin1")
    assert result.encoding == "cp1252"
    assert "Déjà « là » — 5 €" in result.text
    assert "<title>Été</title>" in result.text


async def test_charset_from_xml_declaration(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"{base}/xml-latin1")
    assert result.encoding == "cp1252"
    assert "<title>Côté</title>" in result.text
    assert result.is_feed


async def test_feed_document_is_fetched_and_parsed(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"{base}/feed.xml")
    assert result.content_type == "application/rss+xml" and result.is_feed
    assert len(parse_feed(result.text, base_url=result.final_url).entries) == 7
    with pytest.raises(Exception) as info:
        article_from_fetch(result)
    assert getattr(info.value, "key", None) == "extract.is_feed"


@pytest.mark.parametrize(("path", "content_type"), [("/json", "application/json"), ("/image", "image/png")])
async def test_wrong_content_type_is_refused(
    server: tuple[str, dict[str, object]], path: str, content_type: str
) -> None:
    base, _ = server
    error = await _refusal(SafeFetcher(allow=LOCAL, timeout=5), f"{base}{path}")
    assert error.key == "fetch.content_type"
    assert error.params == {"content_type": content_type}


async def test_streamed_body_over_the_cap_is_refused_without_reading_it_all(
    server: tuple[str, dict[str, object]],
) -> None:
    base, state = server
    error = await _refusal(SafeFetcher(allow=LOCAL, timeout=5, max_bytes=200_000), f"{base}/big")
    assert error.key == "fetch.too_large"
    assert error.params["max_bytes"] == 200_000
    await asyncio.sleep(0.05)
    # The server had 48 MB to send; the client hung up long before.
    assert state["big_sent"] < BIG_TOTAL // 4


async def test_declared_length_over_the_cap_is_refused_immediately(
    server: tuple[str, dict[str, object]],
) -> None:
    base, state = server
    error = await _refusal(SafeFetcher(allow=LOCAL, timeout=5, max_bytes=1024 * 1024), f"{base}/big-declared")
    assert error.key == "fetch.too_large"
    assert error.params["max_mb"] == "1"
    await asyncio.sleep(0.05)
    assert state["declared_sent"] < BIG_TOTAL // 4


async def test_timeout(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    started = time.perf_counter()
    error = await _refusal(SafeFetcher(allow=LOCAL, timeout=0.3), f"{base}/slow")
    assert error.key == "fetch.timeout"
    assert error.params == {"seconds": "0.3"}
    assert time.perf_counter() - started < 2


async def test_http_error_status(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    error = await _refusal(SafeFetcher(allow=LOCAL, timeout=5), f"{base}/missing")
    assert error.key == "fetch.http_status"
    assert error.params == {"status": 404}


async def test_redirects_are_followed_up_to_the_limit(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"{base}/redirect/5")
    assert result.status == 200
    assert result.final_url == f"{base}/redirect/0"
    assert len(result.redirects) == 5


async def test_redirect_chain_longer_than_five_is_refused(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    error = await _refusal(SafeFetcher(allow=LOCAL, timeout=5), f"{base}/redirect/6")
    assert error.key == "fetch.too_many_redirects"
    assert error.params == {"max": 5}


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("http://10.0.0.1/admin", "fetch.private_address"),
        ("http://169.254.169.254/latest/meta-data/", "fetch.private_address"),
        ("http://[::ffff:192.168.0.1]/", "fetch.private_address"),
        ("http://167772161/", "fetch.private_address"),  # 10.0.0.1 in decimal
        ("http://intranet.test/", "fetch.private_host"),
        ("ftp://example.com/", "fetch.scheme"),
    ],
)
async def test_redirect_targets_are_checked(server: tuple[str, dict[str, object]], target: str, key: str) -> None:
    base, _ = server
    resolver = FakeResolver({"intranet.test": ["10.20.30.40"]})
    fetcher = SafeFetcher(allow=LOCAL, resolver=resolver, timeout=5)
    error = await _refusal(fetcher, f"{base}/redirect-to?to={target}")
    assert error.key == key


async def test_allowed_legacy_ip_form_is_fetched_as_its_canonical_address(
    server: tuple[str, dict[str, object]],
) -> None:
    base, _ = server
    port = base.rsplit(":", 1)[1]
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"http://2130706433:{port}/article")
    assert result.status == 200
    assert result.final_url == f"{base}/article"


async def test_relative_redirect_is_resolved(server: tuple[str, dict[str, object]]) -> None:
    base, _ = server
    result = await SafeFetcher(allow=LOCAL, timeout=5).fetch(f"{base}/redirect-to?to=/article")
    assert result.final_url == f"{base}/article"
    assert result.redirects == [f"{base}/article"]


def test_every_fetch_error_key_has_messages() -> None:
    keys = {
        "fetch.invalid_url",
        "fetch.scheme",
        "fetch.private_address",
        "fetch.private_host",
        "fetch.dns",
        "fetch.connection",
        "fetch.tls",
        "fetch.network",
        "fetch.timeout",
        "fetch.too_many_redirects",
        "fetch.bad_redirect",
        "fetch.too_large",
        "fetch.content_type",
        "fetch.http_status",
    }
    assert keys <= catalog("fr").keys() and keys <= catalog("en").keys()
    error = FetchError("fetch.private_address", {"host": "10.0.0.1"})
    assert error.render("fr") == "Adresse refusée : « 10.0.0.1 » est une adresse privée, locale ou réservée."
    assert "10.0.0.1" in error.render("en")
