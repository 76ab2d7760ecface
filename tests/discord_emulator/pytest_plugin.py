"""Pytest fixtures for the Discord emulator.

Register with ``pytest_plugins = ["tests.discord_emulator.pytest_plugin"]`` in ``tests/conftest.py``.

Fixtures:
- ``emulator``: a started :class:`DiscordEmulator` with the default guild, discord.py patched to use it while
  the fixture lives; the test fails at teardown when the emulator recorded failures.
  Options come from the ``emulator`` marker, e.g.
  ``@pytest.mark.emulator(bot_permissions=..., gateway_compression="none", interaction_deadline=0.2)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .emulator import DiscordEmulator
from .harness import connect_bot, sync_commands

__all__ = ["connect_bot", "emulator", "sync_commands"]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "emulator(**options): keyword options for the DiscordEmulator built by the `emulator` fixture "
        "(bot_permissions, gateway_compression, interaction_deadline, edit_rate_limit, ...)",
    )


@pytest_asyncio.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[DiscordEmulator]:
    """A running Discord emulator (default guild "Tribune Test"); asserts no recorded failures at teardown."""
    marker = request.node.get_closest_marker("emulator")
    options = dict(marker.kwargs) if marker else {}
    emu = DiscordEmulator(**options)
    async with emu:
        yield emu
    if emu.failures:
        listing = "\n".join(f"  - {failure}" for failure in emu.failures)
        pytest.fail(f"the Discord emulator recorded {len(emu.failures)} failure(s):\n{listing}", pytrace=False)
