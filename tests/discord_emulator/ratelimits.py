"""Per-route rate-limit buckets with Discord's headers and 429 answers.

A bucket is a fixed window: the first request opens it, ``limit`` requests fit in ``per`` seconds, the
next one gets a 429 whose ``retry_after`` is the time left in the window. Headers let discord.py pace
itself; a rule with ``advertise=False`` hides its limit (like Discord's undocumented sub-limits) so
discord.py meets real 429s.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field


@dataclass
class RateLimitRule:
    """``limit`` requests per ``per`` seconds for each major parameter (channel, guild, webhook)."""

    limit: int
    per: float
    advertise: bool = True


@dataclass
class _Window:
    opened: float
    count: int = 0


@dataclass
class RateLimitDecision:
    """The outcome for one request: headers to send, and whether it is refused."""

    headers: dict[str, str]
    limited: bool = False
    retry_after: float = 0.0


@dataclass
class RateLimiter:
    """Fixed-window buckets keyed by (rule name, major parameter)."""

    default: RateLimitRule = field(default_factory=lambda: RateLimitRule(50, 1.0))
    rules: dict[str, RateLimitRule] = field(default_factory=dict)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def check(self, bucket: str, major: str) -> RateLimitDecision:
        """Count one request on ``bucket`` (rule name or route key) for ``major``; decide, build headers."""
        rule = self.rules.get(bucket, self.default)
        now = time.monotonic()
        key = (bucket, major)
        window = self._windows.get(key)
        if window is None or now >= window.opened + rule.per:
            window = _Window(opened=now)
            self._windows[key] = window
        reset_after = max(window.opened + rule.per - now, 0.0)
        bucket_hash = hashlib.sha1(bucket.encode()).hexdigest()[:16]
        limited = window.count >= rule.limit
        if not limited:
            window.count += 1
        if rule.advertise:
            remaining = max(rule.limit - window.count, 0)
            headers = {
                "X-RateLimit-Limit": str(rule.limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": bucket_hash,
            }
        else:
            # A hidden sub-limit: the headers describe a generous generic bucket.
            headers = {
                "X-RateLimit-Limit": str(self.default.limit),
                "X-RateLimit-Remaining": str(self.default.limit - 1),
                "X-RateLimit-Reset": f"{time.time() + self.default.per:.3f}",
                "X-RateLimit-Reset-After": f"{self.default.per:.3f}",
                "X-RateLimit-Bucket": bucket_hash,
            }
        if limited:
            headers["X-RateLimit-Scope"] = "user"
            # Small floor so a client sleeping exactly retry_after lands in the next window.
            return RateLimitDecision(headers=headers, limited=True, retry_after=round(reset_after + 0.01, 3))
        return RateLimitDecision(headers=headers)

    def reset(self) -> None:
        """Forget every open window."""
        self._windows.clear()
