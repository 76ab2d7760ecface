"""The results page in a real headless Chromium: its DOM shows the store's counts, in French and English."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from db.database import Database
from db.guild_settings import GuildSettingsStore
from tests.conftest import NOW, REPO_ROOT
from tests.web.conftest import GUILD, enable, seed_poll

SCREENSHOT = REPO_ROOT / "docs" / "web-results.png"
# Loopback only: every other host resolves nowhere and goes to a dead proxy, and Chromium's own
# background traffic (updates, metrics, sync) is switched off.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is required in CI (.ci/run installs it)")
    pytest.skip("chromium is not installed (apt-get install chromium); the browser test needs it")


async def run_chromium(tmp_path: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    return stdout.decode()


def shown_counts(dom: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="n" data-count="(\d+)">', dom)]


async def test_the_page_renders_the_same_counts_in_french_and_english(db: Database, serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await enable(db)
    seeded = await seed_poll(db, {0: 1203, 1: 540, 3: 311, 4: 46}, question="Trainium 2 est-il crédible ?")
    served = await serve()
    url = f"{served.base}/p/{seeded.public_id}"
    expected = [a["count"] for a in (await (await served.get(f"/p/{seeded.public_id}.json")).json())["answers"]]
    assert expected == [1203, 540, 0, 311, 46]

    french = await run_chromium(tmp_path, "--dump-dom", url)
    assert '<html lang="fr">' in french
    assert shown_counts(french) == expected
    assert "2\u202f100 votants" in french and "Ouvert jusqu'au" in french
    assert "57,3\u202f%" in french  # 1 203 of 2 100 voters, written the French way
    assert len(re.findall(r"<rect [^>]*data-answer=", french)) == 5  # the server-rendered chart

    screenshot = tmp_path / "results.png"
    await run_chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=720,640", url)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("TRIBUNE_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshot, SCREENSHOT)

    async with db.transaction() as conn:
        await GuildSettingsStore(conn).update(GUILD, NOW, language="en")
    english = await run_chromium(tmp_path, "--dump-dom", url)
    assert '<html lang="en">' in english
    assert shown_counts(english) == expected
    assert "2,100 voters" in english and "Open until" in english and "57.3%" in english
