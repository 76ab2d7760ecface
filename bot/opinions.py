"""Opinions as plain rules: their length, the cooldown between submissions, links shown for what they are."""

from __future__ import annotations

import re
import time
from collections import deque

MIN_CHARS, MAX_CHARS = 10, 1500
COOLDOWN_COUNT, COOLDOWN_SECONDS = 3, 60.0
MASKED_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?(https?://[^)\s>]+)>?\s*\)")


def unmask_links(text: str) -> str:
    """`[texte](https://x)` → `texte (https://x)`: members always see where a link really goes."""
    return MASKED_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)


class Cooldown:
    """At most `count` submissions per `seconds` per member; memory holds only recent submitters."""

    def __init__(self, count: int = COOLDOWN_COUNT, seconds: float = COOLDOWN_SECONDS) -> None:
        self.count, self.seconds = count, seconds
        self._recent: dict[int, deque[float]] = {}

    def retry_after(self, member_id: int, now: float | None = None) -> float:
        """Seconds to wait before the member may submit again (0: now)."""
        now = time.monotonic() if now is None else now
        stamps = self._recent.get(member_id)
        if not stamps:
            return 0.0
        while stamps and now - stamps[0] >= self.seconds:
            stamps.popleft()
        if not stamps:
            del self._recent[member_id]
            return 0.0
        return self.seconds - (now - stamps[0]) if len(stamps) >= self.count else 0.0

    def record(self, member_id: int, now: float | None = None) -> None:
        self._recent.setdefault(member_id, deque()).append(time.monotonic() if now is None else now)
