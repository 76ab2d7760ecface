"""`python -m bot` runs on uvloop when it is installed and on asyncio's own loop when it is not, with its garbage
collector tuned for bursts of clicks."""

from __future__ import annotations

import asyncio
import gc
import sys

import pytest

from bot.__main__ import YOUNG_GENERATION_THRESHOLD, event_loop_factory, run_async


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build; the fallback test covers it")
def test_uvloop_drives_the_bot_when_installed() -> None:
    import uvloop  # a dependency of the default install everywhere else

    assert event_loop_factory() is uvloop.new_event_loop
    assert run_async(loop_module()).startswith("uvloop")


def test_without_uvloop_the_bot_falls_back_to_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what `import uvloop` meets where no wheel exists
    assert event_loop_factory() is None
    assert run_async(loop_module()).startswith("asyncio")


def test_the_bot_collects_its_youngest_objects_less_often() -> None:
    """A click burst allocates fast: the young generation's threshold is raised, the older ones kept."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    try:
        run_async(loop_module())
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, 10, 10)
        assert YOUNG_GENERATION_THRESHOLD > 700
    finally:
        gc.set_threshold(*before)
