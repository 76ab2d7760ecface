"""URL fetching that is safe against SSRF.

The bot fetches URLs typed by anyone on Discord, so every hop is checked:

* only ``http``/``https``;
* IP literals (including legacy ``2130706433`` / ``0177.0.0.1`` / ``0x7f.1`` forms) are parsed and refused
  when loopback, private, link-local, multicast, reserved, unspecified or otherwise not global — for IPv6
  too, including IPv4-mapped, 6to4, Teredo and NAT64 addresses embedding such an IPv4;
* host names are resolved **once** by :class:`VettingResolver`, which drops every refused address; aiohttp
  then connects only to the vetted addresses, leaving no DNS-rebinding window between check and connect;
* redirects are followed by hand (at most ``max_redirects``), each target checked like the first URL;
* the body is streamed under a byte cap, the content type must be HTML/XHTML/XML and the whole fetch is
  bounded by a total timeout.

Refusals are :class:`~bot.articles.errors.FetchError` with a message key (see ``messages.py``).
An operator allow-list (``TRIBUNE_FETCH_ALLOW``: host names, ``*.suffix`` or networks) lifts the address
check for an intranet site.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.articles.encoding import decode_bytes
from bot.articles.errors import ExtractError, FetchError
from bot.articles.extract import Article, extract_html

USER_AGENT = "TribuneBot/0.1 (+https://github.com/tribune)"
ALLOW_ENV = "TRIBUNE_FETCH_ALLOW"
DEFAULT_TIMEOUT = 15.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
ALLOWED_CONTENT_TYPES = HTML_TYPES | FEED_TYPES | {"application/xml", "text/xml"}

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,application/atom+xml,text/xml;q=0.9"
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_V4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


# --------------------------------------------------------------------------------------------------
# Address policy
# --------------------------------------------------------------------------------------------------


def parse_ip(host: str) -> IPAddress | None:
    """Parse ``host`` as an IP literal the way the C resolver would, or return None for a name.

    Accepts bracketed IPv6 and the legacy ``inet_aton`` IPv4 spellings (decimal ``2130706433``,
    octal ``0177.0.0.1``, hex ``0x7f.1``, short ``127.1``) so they cannot sneak past the check.
    """
    candidate = host.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    candidate = candidate.rstrip(".") if ":" not in candidate else candidate
    if not candidate:
        return None
    if ":" in candidate:
        try:
            return ipaddress.IPv6Address(candidate)
        except ValueError:
            return None
    return _parse_legacy_ipv4(candidate)


def _parse_legacy_ipv4(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        if not _V4_PART.fullmatch(part):
            return None
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    # inet_aton semantics: leading parts are bytes, the last part fills the remaining bytes.
    if any(value > 0xFF for value in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = 0
    for value in head:
        number = (number << 8) | value
    number = (number << (8 * (4 - len(head)))) | last
    return ipaddress.IPv4Address(number)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """IPv4 address carried inside an IPv6 one (mapped, 6to4, Teredo client, NAT64, compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 0xFFFF:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_forbidden_address(address: IPAddress) -> bool:
    """True for every address a user-supplied URL must not reach (anything not globally routable)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        embedded = _embedded_ipv4(address)
        if embedded is not None and is_forbidden_address(embedded):
            return True
        if address.is_site_local:
            return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


@dataclass(frozen=True, slots=True)
class AllowList:
    """Operator exceptions to the address policy: exact hosts, ``*.suffix`` domains and networks."""

    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.hosts or self.suffixes or self.networks)

    def allows_host(self, host: str) -> bool:
        """Whether ``host`` (a name) is allowed whatever it resolves to."""
        name = host.strip().rstrip(".").lower()
        return name in self.hosts or any(name.endswith(suffix) for suffix in self.suffixes)

    def allows_address(self, address: IPAddress) -> bool:
        """Whether ``address`` lies in an allowed network."""
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )

    def permits(self, host: str, address: IPAddress) -> bool:
        """Final verdict for connecting to ``address`` on behalf of ``host``."""
        return not is_forbidden_address(address) or self.allows_host(host) or self.allows_address(address)


def parse_allow_list(value: str | Iterable[str] | None) -> AllowList:
    """Parse ``TRIBUNE_FETCH_ALLOW`` (comma-separated) or an iterable of entries.

    Entries: ``intranet.example`` (that host), ``*.corp.example`` (its subdomains), ``10.1.0.0/16`` or
    ``127.0.0.1`` (addresses). Raises ``ValueError`` on an entry that is none of these.
    """
    if value is None:
        return AllowList()
    entries = value.split(",") if isinstance(value, str) else list(value)
    hosts: set[str] = set()
    suffixes: list[str] = []
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        name = entry.rstrip(".")
        wildcard = name.startswith("*.") or name.startswith(".")
        name = name.lstrip("*").lstrip(".")
        if not name or not re.fullmatch(r"[a-z0-9_.-]+", name.encode("idna").decode("ascii")):
            raise ValueError(f"invalid {ALLOW_ENV} entry: {raw.strip()!r}")
        name = name.encode("idna").decode("ascii")
        if wildcard:
            suffixes.append("." + name)
        else:
            hosts.add(name)
    return AllowList(frozenset(hosts), tuple(suffixes), tuple(networks))


def _as_allow_list(allow: AllowList | str | Iterable[str] | None) -> AllowList:
    return allow if isinstance(allow, AllowList) else parse_allow_list(allow)


def validate_url(url: str | URL, allow: AllowList | str | Iterable[str] | None = None) -> URL:
    """Check what can be checked without the network (scheme, host, IP literal); return the parsed URL.

    Raises :class:`FetchError` (``fetch.invalid_url``, ``fetch.scheme``, ``fetch.private_address``).
    """
    allow_list = _as_allow_list(allow)
    try:
        parsed = url if isinstance(url, URL) else URL(str(url).strip())
    except (ValueError, TypeError) as exc:
        raise FetchError("fetch.invalid_url", {"url": str(url)[:200]}) from exc
    scheme = (parsed.scheme or "").lower()
    if scheme not in {"http", "https"}:
        if not scheme:
            raise FetchError("fetch.invalid_url", {"url": str(url)[:200]})
        raise FetchError("fetch.scheme", {"scheme": scheme})
    host = parsed.raw_host or ""
    if not host:
        raise FetchError("fetch.invalid_url", {"url": str(url)[:200]})
    address = parse_ip(host)
    if address is not None:
        if not allow_list.permits(host, address):
            raise FetchError("fetch.private_address", {"host": host})
        if isinstance(address, ipaddress.IPv4Address) and host != str(address):
            # "2130706433", "0x7f.1"…: connect to the canonical form of the address that was checked.
            parsed = parsed.with_host(str(address))
    return parsed


# --------------------------------------------------------------------------------------------------
# Resolver: resolve once, keep only vetted addresses
# --------------------------------------------------------------------------------------------------


class VettingResolver(AbstractResolver):
    """Resolver for aiohttp's connector that filters out refused addresses.

    aiohttp connects to the addresses this returns, so the address checked is the address connected
    to. ``inner`` does the actual lookup (``aiohttp.ThreadedResolver`` by default; tests inject fakes).
    """

    def __init__(self, allow: AllowList, inner: AbstractResolver | None = None) -> None:
        self._allow = allow
        self._inner = inner
        self._owns_inner = inner is None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and return only the addresses the policy permits."""
        if self._inner is None:
            self._inner = aiohttp.ThreadedResolver()
        try:
            infos = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise FetchError("fetch.dns", {"host": host}) from exc
        vetted: list[ResolveResult] = []
        refused: str | None = None
        for info in infos:
            try:
                address = ipaddress.ip_address(info["host"])
            except ValueError:
                refused = refused or str(info["host"])
                continue
            if self._allow.permits(host, address):
                vetted.append(info)
            else:
                refused = refused or str(address)
        if not vetted:
            if refused is not None:
                raise FetchError("fetch.private_host", {"host": host, "address": refused})
            raise FetchError("fetch.dns", {"host": host})
        return vetted

    async def close(self) -> None:
        """Close the inner resolver when this instance created it."""
        if self._owns_inner and self._inner is not None:
            await self._inner.close()


# --------------------------------------------------------------------------------------------------
# Fetcher
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Outcome of a fetch. ``not_modified`` is set on a 304 answer to a conditional GET (empty text)."""

    url: str
    final_url: str
    status: int
    content_type: str | None
    text: str
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    encoding: str | None = None
    redirects: list[str] = field(default_factory=list)

    @property
    def is_feed(self) -> bool:
        """Whether the document is (or declares itself as) an RSS/Atom feed."""
        if self.content_type in FEED_TYPES:
            return True
        if self.content_type in {"application/xml", "text/xml"}:
            head = self.text[:2000].lower()
            return "<rss" in head or "<feed" in head or "<rdf:rdf" in head
        return False


def _format_mb(max_bytes: int) -> str:
    value = max_bytes / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}".rstrip("0").rstrip(".")


class SafeFetcher:
    """Fetch user-supplied URLs without letting them reach internal services.

    ``allow`` lifts the address policy for some hosts/networks (``TRIBUNE_FETCH_ALLOW``);
    ``timeout`` bounds the whole fetch (redirects and body included), ``connect_timeout`` each
    connection; ``max_bytes`` caps the (decompressed) body; ``resolver`` replaces the DNS lookup.
    """

    def __init__(
        self,
        allow: AllowList | str | Iterable[str] | None = (),
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        user_agent: str = USER_AGENT,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.allow = _as_allow_list(allow)
        self.timeout = float(timeout)
        self.connect_timeout = float(min(connect_timeout, timeout))
        self.max_bytes = int(max_bytes)
        self.max_redirects = int(max_redirects)
        self.user_agent = user_agent
        self._resolver = resolver

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> SafeFetcher:
        """Build a fetcher whose allow-list comes from ``TRIBUNE_FETCH_ALLOW`` (other options as kwargs)."""
        environ = os.environ if env is None else env
        return cls(parse_allow_list(environ.get(ALLOW_ENV, "")), **kwargs)

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch ``url`` (conditional GET when ``etag``/``last_modified`` are given).

        Raises :class:`FetchError` with the reason of any refusal.
        """
        target = validate_url(url, self.allow)
        headers = {"User-Agent": self.user_agent, "Accept": _ACCEPT, "Accept-Language": "fr,en;q=0.8"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        client_timeout = aiohttp.ClientTimeout(
            total=None, connect=self.connect_timeout, sock_connect=self.connect_timeout, sock_read=self.timeout
        )
        host = target.raw_host or ""
        try:
            async with asyncio.timeout(self.timeout):
                connector = aiohttp.TCPConnector(
                    resolver=VettingResolver(self.allow, self._resolver), limit=4, force_close=True
                )
                async with aiohttp.ClientSession(
                    connector=connector,
                    timeout=client_timeout,
                    headers=headers,
                    trust_env=False,  # never route through an environment proxy: it would skip our checks
                    cookie_jar=aiohttp.DummyCookieJar(),
                ) as session:
                    return await self._follow(session, str(url), target)
        except FetchError:
            raise
        except TimeoutError as exc:
            raise FetchError("fetch.timeout", {"seconds": _format_seconds(self.timeout)}) from exc
        except aiohttp.ClientConnectorDNSError as exc:
            raise FetchError("fetch.dns", {"host": exc.host or host}) from exc
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
            raise FetchError("fetch.tls", {"host": exc.host or host}) from exc
        except aiohttp.ClientConnectorError as exc:
            raise FetchError("fetch.connection", {"host": exc.host or host}) from exc
        except aiohttp.InvalidURL as exc:
            raise FetchError("fetch.invalid_url", {"url": str(exc.url)[:200]}) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise FetchError("fetch.network", {"host": host}) from exc

    async def _follow(self, session: aiohttp.ClientSession, original: str, target: URL) -> FetchResult:
        redirects: list[str] = []
        for hop in range(self.max_redirects + 1):
            async with session.get(target, allow_redirects=False) as response:
                if response.status in _REDIRECTS:
                    if hop >= self.max_redirects:
                        raise FetchError("fetch.too_many_redirects", {"max": self.max_redirects})
                    location = response.headers.get("Location", "").strip()
                    try:
                        next_url = target.join(URL(location)) if location else None
                    except ValueError:
                        next_url = None
                    if next_url is None:
                        raise FetchError("fetch.bad_redirect", {"status": response.status})
                    # Check the new target before any byte goes to it.
                    target = validate_url(next_url, self.allow)
                    redirects.append(str(target))
                    continue
                return await self._result(response, original, target, redirects)
        raise FetchError("fetch.too_many_redirects", {"max": self.max_redirects})  # pragma: no cover

    async def _result(
        self, response: aiohttp.ClientResponse, original: str, target: URL, redirects: list[str]
    ) -> FetchResult:
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        has_type = "Content-Type" in response.headers
        mimetype = response.content_type.lower() if has_type else None
        if response.status == 304:
            return FetchResult(
                url=original,
                final_url=str(target),
                status=304,
                content_type=mimetype,
                text="",
                etag=etag,
                last_modified=last_modified,
                not_modified=True,
                redirects=redirects,
            )
        if not 200 <= response.status < 300:
            raise FetchError("fetch.http_status", {"status": response.status})
        if mimetype is not None and mimetype not in ALLOWED_CONTENT_TYPES:
            raise FetchError("fetch.content_type", {"content_type": mimetype})
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            # Refuse on the announced size: not a single body byte is read.
            raise FetchError("fetch.too_large", {"max_mb": _format_mb(self.max_bytes), "max_bytes": self.max_bytes})
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchError("fetch.too_large", {"max_mb": _format_mb(self.max_bytes), "max_bytes": self.max_bytes})
        if mimetype is None and not bytes(body[:512]).lstrip().startswith(b"<"):
            # No Content-Type header: accept only what looks like markup.
            raise FetchError("fetch.content_type", {"content_type": "?"})
        text, encoding = decode_bytes(bytes(body), response.charset)
        return FetchResult(
            url=original,
            final_url=str(target),
            status=response.status,
            content_type=mimetype or "text/html",
            text=text,
            etag=etag,
            last_modified=last_modified,
            encoding=encoding,
            redirects=redirects,
        )


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


def article_from_fetch(result: FetchResult) -> Article:
    """Article of a fetched page; a feed is refused with ``extract.is_feed``."""
    if result.is_feed:
        raise ExtractError("extract.is_feed")
    return extract_html(result.text, url=result.final_url)
