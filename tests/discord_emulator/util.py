"""Small helpers shared by the emulator: snowflakes, timestamps, permission flags, locales."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import time
from collections.abc import Iterable

DISCORD_EPOCH_MS = 1420070400000

#: Locales Discord accepts in ``*_localizations`` and interaction ``locale`` fields.
VALID_LOCALES: frozenset[str] = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
        "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN",
        "ja", "zh-TW", "ko",
    }
)  # fmt: skip


class SnowflakeGenerator:
    """Produces real-looking, strictly increasing snowflakes from a (possibly shifted) clock.

    Real snowflakes matter: discord.py derives ``created_at`` from them and decides on
    sub-rate-limits for deletes from the age they encode.
    """

    def __init__(self, worker: int = 1, process: int = 0) -> None:
        self._worker = worker & 0x1F
        self._process = process & 0x1F
        self._increment = itertools.count()
        self._last = 0
        self._issued: set[int] = set()

    def at(self, timestamp: float) -> int:
        """Return a new unique snowflake for ``timestamp`` (seconds since the Unix epoch)."""
        ms = max(int(timestamp * 1000) - DISCORD_EPOCH_MS, 0)
        value = (ms << 22) | (self._worker << 17) | (self._process << 12) | (next(self._increment) & 0xFFF)
        if timestamp >= time.time() - 1 and value <= self._last:
            # Keep "now" snowflakes strictly increasing even inside one millisecond.
            value = self._last + 1
        while value in self._issued:  # back-dated ids may collide; nudge them
            value += 1
        self._issued.add(value)
        self._last = max(self._last, value)
        return value


def snowflake_time(snowflake: int) -> float:
    """Return the Unix timestamp (seconds) encoded in ``snowflake``."""
    return ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000


@functools.lru_cache(maxsize=4096)  # every payload formats the same few timestamps (joins, messages) again
def iso(timestamp: float | None) -> str | None:
    """Format a Unix timestamp the way Discord does (ISO 8601 with microseconds and +00:00)."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()


# Permission bits, as documented by Discord (kept here so the emulator does not trust discord.py's table).
PERMISSIONS: dict[str, int] = {
    "create_instant_invite": 1 << 0,
    "kick_members": 1 << 1,
    "ban_members": 1 << 2,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_audit_log": 1 << 7,
    "priority_speaker": 1 << 8,
    "stream": 1 << 9,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "send_tts_messages": 1 << 12,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "mention_everyone": 1 << 17,
    "use_external_emojis": 1 << 18,
    "view_guild_insights": 1 << 19,
    "connect": 1 << 20,
    "speak": 1 << 21,
    "mute_members": 1 << 22,
    "deafen_members": 1 << 23,
    "move_members": 1 << 24,
    "use_vad": 1 << 25,
    "change_nickname": 1 << 26,
    "manage_nicknames": 1 << 27,
    "manage_roles": 1 << 28,
    "manage_webhooks": 1 << 29,
    "manage_expressions": 1 << 30,
    "use_application_commands": 1 << 31,
    "request_to_speak": 1 << 32,
    "manage_events": 1 << 33,
    "manage_threads": 1 << 34,
    "create_public_threads": 1 << 35,
    "create_private_threads": 1 << 36,
    "use_external_stickers": 1 << 37,
    "send_messages_in_threads": 1 << 38,
    "use_embedded_activities": 1 << 39,
    "moderate_members": 1 << 40,
    "view_creator_monetization_analytics": 1 << 41,
    "use_soundboard": 1 << 42,
    "create_expressions": 1 << 43,
    "create_events": 1 << 44,
    "use_external_sounds": 1 << 45,
    "send_voice_messages": 1 << 46,
    "send_polls": 1 << 49,
    "use_external_apps": 1 << 50,
    "pin_messages": 1 << 51,
}
ALL_PERMISSIONS = 0
for _bit in PERMISSIONS.values():
    ALL_PERMISSIONS |= _bit

#: What a fresh server grants @everyone, trimmed to what the test guild needs (view, send, history, commands).
EVERYONE_BASIC = (
    PERMISSIONS["view_channel"]
    | PERMISSIONS["send_messages"]
    | PERMISSIONS["send_messages_in_threads"]
    | PERMISSIONS["read_message_history"]
    | PERMISSIONS["use_application_commands"]
    | PERMISSIONS["send_polls"]  # Tribune's native polls (README's invite list)
)

#: A typical invite permission set for a bot that posts, threads and moderates its own messages.
BOT_DEFAULT = (
    PERMISSIONS["view_channel"]
    | PERMISSIONS["send_messages"]
    | PERMISSIONS["send_messages_in_threads"]
    | PERMISSIONS["embed_links"]
    | PERMISSIONS["attach_files"]
    | PERMISSIONS["read_message_history"]
    | PERMISSIONS["add_reactions"]
    | PERMISSIONS["use_external_emojis"]
    | PERMISSIONS["create_public_threads"]
    | PERMISSIONS["manage_threads"]
    | PERMISSIONS["manage_messages"]
    | PERMISSIONS["use_application_commands"]
)


def perms(value: int | str | Iterable[str] | object | None) -> int:
    """Normalise a permission set given as an int, a flag name, names, or a ``discord.Permissions``."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError("a bool is not a permission set")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return PERMISSIONS[value]
        except KeyError:
            raise ValueError(f"unknown permission {value!r}") from None
    raw = getattr(value, "value", None)
    if isinstance(raw, int):  # discord.Permissions
        return raw
    total = 0
    for item in value:  # type: ignore[attr-defined]
        total |= perms(item)
    return total


def permission_names(value: int) -> list[str]:
    """List the flag names set in ``value`` (for readable error messages)."""
    return [name for name, bit in PERMISSIONS.items() if value & bit]


# Discord's rule: ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, lower case where a case exists.
_NAME_CHARS = re.compile(r"^[\w'-]{1,32}$")


def valid_command_name(name: str) -> bool:
    """Approximate Discord's CHAT_INPUT name rule with unicode-aware Python."""
    if not isinstance(name, str) or not _NAME_CHARS.match(name):
        return False
    # \w also matches "_" and digits; every cased letter must be lower case.
    return name == name.lower()
