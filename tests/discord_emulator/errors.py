"""Error types of the emulator: API errors answered to the bot, and failures recorded for the test."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Failure:
    """Something the bot did that real Discord would reject; the pytest fixture fails the test on it.

    ``kind`` is one of: ``invalid_body``, ``invalid_json``, ``unknown_route``, ``late_interaction_response``,
    ``interaction_already_acknowledged``, ``unknown_interaction``, ``unknown_webhook``, ``invalid_callback``,
    ``gateway``, ``bot_crashed``, ``bot_error`` (an exception discord.py caught and only logged),
    ``emulator_error`` (a bug in the emulator itself).
    """

    kind: str
    message: str
    method: str = ""
    path: str = ""
    status: int = 0
    code: int = 0
    errors: dict[str, Any] | None = None
    body: Any = None
    at: float = field(default_factory=time.monotonic)

    def __str__(self) -> str:
        where = f"{self.method} {self.path} -> {self.status} (code {self.code}): " if self.method else ""
        detail = f" errors={json.dumps(self.errors, ensure_ascii=False)[:800]}" if self.errors else ""
        return f"[{self.kind}] {where}{self.message}{detail}"


class ApiError(Exception):
    """Raised by a route handler to answer an HTTP error in Discord's JSON error shape.

    When ``failure`` is set the error is also recorded in ``emulator.failures`` under that kind.
    """

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        failure: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.failure = failure

    def payload(self) -> dict[str, Any]:
        """The JSON body Discord answers for this error."""
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def not_found(code: int, what: str) -> ApiError:
    """Discord's 404 for an unknown object (``Unknown Message``, ``Unknown Channel``...)."""
    return ApiError(404, code, f"Unknown {what}")


def missing_permissions() -> ApiError:
    """Discord's 403 / 50013 answer when the bot lacks a permission."""
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    """Discord's 403 / 50001 answer when the bot cannot see the channel at all."""
    return ApiError(403, 50001, "Missing Access")


@dataclass(frozen=True)
class FieldError:
    """One documented-limit or schema violation at ``path`` (keys and list indexes of the body)."""

    path: tuple[str | int, ...]
    code: str
    message: str


def nest_errors(items: list[FieldError]) -> dict[str, Any]:
    """Build Discord's nested ``errors`` object: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""
    root: dict[str, Any] = {}
    for item in items:
        node = root
        for key in item.path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": item.code, "message": item.message})
    return root


def invalid_form_body(items: list[FieldError]) -> ApiError:
    """The 400 / 50035 ``Invalid Form Body`` error for ``items``, recorded as an ``invalid_body`` failure."""
    return ApiError(400, 50035, "Invalid Form Body", errors=nest_errors(items), failure="invalid_body")


class EmulatorError(Exception):
    """Misuse of the emulator's test API (unknown command, option, component...)."""


class CommandNotSynced(EmulatorError, LookupError):
    """The command path or one of its options is not in the command tree the bot synced."""


class ComponentNotFound(EmulatorError, LookupError):
    """No component in the message matches the label or custom_id the test gave."""


class BotCrashed(AssertionError):
    """The bot's connection task died while the test was waiting on the emulator."""


class EmulatorTimeout(AssertionError):
    """A condition the test waited for did not become true in time."""
