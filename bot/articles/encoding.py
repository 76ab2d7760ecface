"""Byte decoding shared by the fetcher and file uploads: declared charset, then utf-8, then cp1252.

The cp1252 fallback decodes any bytes at all, so decoded file text is also checked to *be* text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)

# WHATWG: these labels are decoded as windows-1252 by every browser, so pages rely on it.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
}


def normalize_charset(label: str | None) -> str | None:
    """Return a Python codec name for a declared charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page that *declares* utf-16 in a meta tag is necessarily ASCII-compatible: HTML spec says utf-8.
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return "utf-8"
    return name


def sniff_charset(body: bytes) -> str | None:
    """Charset declared inside the document (``<meta charset>`` or ``<?xml encoding>``)."""
    head = body[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(head)
        if match:
            found = normalize_charset(match.group(1).decode("ascii", "ignore"))
            if found:
                return found
    return None


def decode_bytes(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode ``body``: BOM, then ``declared`` (HTTP header), then in-document declaration,
    then strict utf-8, then cp1252. Returns ``(text, codec)``."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec
    codec = normalize_charset(declared) or sniff_charset(body)
    if codec:
        return body.decode(codec, errors="replace"), codec
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252"


# Share of characters that may be neither printable nor ordinary whitespace; binary data far exceeds it.
MAX_UNPRINTABLE_SHARE = 0.02
_WHITESPACE = frozenset("\n\r\t\f\v")


def is_mostly_text(text: str) -> bool:
    """True when decoded `text` reads as text: few control characters and undecodable bytes (U+FFFD).

    Zero-width and formatting characters (category Cf) count as printable: real articles carry them.
    """
    if not text:
        return True
    bad = sum(
        1
        for char in text
        if char == "\ufffd" or (unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") and char not in _WHITESPACE)
    )
    return bad <= MAX_UNPRINTABLE_SHARE * len(text)
